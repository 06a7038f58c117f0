import Foundation
import Testing
import VMExperiments
import VMMapCore
import VMMapTestSupport

@testable import VMReport

/// Debian's Chromium, installed by Scripts/bootstrap (which fails without it); when the
/// tests run without the bootstrap, they skip and say why.
let chromium: String? = ["/usr/bin/chromium", "/usr/lib/chromium/chromium"].first {
  FileManager.default.isExecutableFile(atPath: $0)
}

/// The HTML report opened in headless Chromium with the network cut off: the page requests
/// nothing, logs nothing, and shows something, in light and dark. Screenshots land in
/// `output/browser/` (not committed).
@Suite(
  .serialized,
  .enabled(
    if: chromium != nil,
    "chromium is not installed (Scripts/bootstrap installs it with apt-get install chromium)"))
struct BrowserTests {
  static let directory = repositoryRoot + "/output/browser"

  @Test func reportLoadsNothingLogsNothingAndShowsSomething() throws {
    let page = try writeReport()
    for scheme in [ColorScheme.light, .dark] {
      let run = try openInChromium(page, scheme: scheme)
      // Requests: nothing from the page but its own file and data: URLs. (file:// and data:
      // loads never reach the network log; a file the page tried to load besides itself would
      // break the policy and show up as a console message, checked below.)
      let fromPage = run.requests.filter { !$0.isChromiumsOwn }
      #expect(
        fromPage.allSatisfy { $0.url == run.pageURL || $0.url.hasPrefix("data:") },
        "\(fromPage.map(\.url))")
      #expect(!run.requests.isEmpty || run.netLogEvents > 0, "the network log was written")
      // Console: no error, warning or CSP violation from the page (it has no script, so any
      // console line is the browser complaining about it).
      #expect(run.consoleLines.isEmpty, "\(run.consoleLines)")
      #expect(
        !run.stderr.contains("Content Security Policy") && !run.stderr.contains("Refused to"),
        "\(run.stderr)")
      // The screenshot: the page's background, with text and figures on it.
      let stats = try run.screenshotStats()
      #expect(stats.width == 1200 && stats.height == 1600)
      #expect(stats.background == scheme.background, "\(stats)")
      #expect(stats.distinctColours > 100, "\(stats)")
      #expect(stats.backgroundShare < 0.97 && stats.backgroundShare > 0.3, "\(stats)")
    }
  }

  /// The checks can fail: a page without the policy that loads an image over the network and
  /// logs to the console is caught by both (so an empty result above means something).
  @Test func aLeakyPageIsCaught() throws {
    let page = Self.directory + "/leaky-control.html"
    let html = """
      <!DOCTYPE html><html><head><title>control</title></head><body><p>control</p>
      <img src="http://127.0.0.1:9/vmmap-control.png" alt="">
      <script>console.error("vmmap-control-console")</script></body></html>
      """
    try FileManager.default.createDirectory(
      atPath: Self.directory, withIntermediateDirectories: true)
    try AtomicFile.write(Array(html.utf8), to: page)
    let run = try openInChromium(page, scheme: .light)
    let fromPage = run.requests.filter { !$0.isChromiumsOwn }.map(\.url)
    #expect(fromPage.contains("http://127.0.0.1:9/vmmap-control.png"), "\(run.requests)")
    #expect(run.consoleLines.contains { $0.contains("vmmap-control-console") }, "\(run.stderr)")
  }

  // MARK: the page

  /// The real handout: `vmmap report` (every experiment) plus `--pid` of a specimen whose
  /// files and memfds have hostile names (markup, Markdown, escapes, invalid UTF-8).
  func writeReport() throws -> String {
    try FileManager.default.createDirectory(
      atPath: Self.directory, withIntermediateDirectories: true)
    let specimen = try SpecimenProcess(
      executable: SpecimenProcess.binary, arguments: ["--hostile"])
    defer { specimen.stop() }
    let page = Self.directory + "/report.html"
    let r = try vmmap("report", "--pid", "\(specimen.pid)", "-o", page)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.isEmpty, "\(r.stderr)")
    return page
  }

  // MARK: running Chromium

  enum ColorScheme {
    case light, dark

    /// The page's background colour in this scheme (HTMLStyle's --bg).
    var background: String { self == .light ? "ffffff" : "0d1117" }
  }

  struct Request: CustomStringConvertible {
    var url: String
    var initiator: String?
    var isolationKey: String?

    /// Chromium's own background requests (time, component updates) come from no origin and
    /// no frame: initiator "not an origin", network isolation key "null null". A page's requests
    /// carry its origin (`null` for a file) and a `file://` isolation key.
    var isChromiumsOwn: Bool {
      initiator == "not an origin" && (isolationKey == nil || isolationKey == "null null")
    }

    var description: String { "\(url) (initiator \(initiator ?? "-"), key \(isolationKey ?? "-"))" }
  }

  struct ChromiumRun {
    var pageURL: String
    var requests: [Request]
    var netLogEvents: Int
    var stderr: String
    var screenshot: String

    /// Console messages of the page (`INFO:CONSOLE…] "message", source: URL (line)`).
    /// Console lines, without those of Chromium's own pages (`source: chrome://…`, such as
    /// its new-tab page complaining that the cut-off network is slow).
    var consoleLines: [Substring] {
      stderr.split(separator: "\n").filter {
        $0.contains(":CONSOLE") && !$0.contains("source: chrome://")
      }
    }

    func screenshotStats() throws -> ScreenshotStats { try ScreenshotStats(png: screenshot) }
  }

  /// Runs headless Chromium on `page` with the network cut off (`unshare -n`), background
  /// networking and component updates off, a fresh profile, the network log and console on
  /// stderr recorded, and takes a screenshot. Chromium runs in its own process group, killed
  /// whole when it ends or after 120 s.
  func openInChromium(_ page: String, scheme: ColorScheme) throws -> ChromiumRun {
    let browser = try #require(chromium)
    let name = URL(fileURLWithPath: page).deletingPathExtension().lastPathComponent
    let work = NSTemporaryDirectory() + "vmmap-chromium-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: work) }
    let netLog = work + "/netlog.json"
    let screenshot = Self.directory + "/\(name)-\(scheme).png"
    try? FileManager.default.removeItem(atPath: screenshot)
    let pageURL = URL(fileURLWithPath: page).absoluteString
    var arguments = [
      "/usr/bin/unshare", "-n", browser, "--headless=new", "--no-sandbox", "--disable-gpu",
      "--disable-background-networking", "--disable-component-update", "--no-first-run",
      "--disable-sync", "--disable-default-apps", "--disable-extensions",
      "--disable-breakpad", "--no-default-browser-check", "--hide-scrollbars",
      "--user-data-dir=\(work)/profile", "--log-net-log=\(netLog)",
      "--net-log-capture-mode=Default", "--enable-logging=stderr", "--v=0",
      "--screenshot=\(screenshot)", "--window-size=1200,1600",
    ]
    if scheme == .dark { arguments.append("--force-dark-mode") }
    arguments.append(pageURL)
    let environment = [
      "HOME=\(work)", "XDG_CONFIG_HOME=\(work)/config", "XDG_CACHE_HOME=\(work)/cache",
      "PATH=/usr/bin:/bin", "LANG=C.UTF-8",
    ]
    let status = try runInProcessGroup(
      arguments, environment: environment, stdout: work + "/stdout", stderr: work + "/stderr",
      timeoutSeconds: 120)
    let stderr = (try? String(contentsOfFile: work + "/stderr", encoding: .utf8)) ?? ""
    try #require(status == 0, "chromium exited with \(status): \(stderr)")
    try #require(
      FileManager.default.fileExists(atPath: screenshot), "no screenshot: \(stderr)")
    let (requests, events) = try readNetLog(netLog)
    return ChromiumRun(
      pageURL: pageURL, requests: requests, netLogEvents: events, stderr: stderr,
      screenshot: screenshot)
  }

  /// Every URL request in a Chromium network log (`--log-net-log`), with its initiator and
  /// network isolation key, and the number of events.
  func readNetLog(_ path: String) throws -> ([Request], Int) {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let log = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let constants = try #require(log["constants"] as? [String: Any])
    let sourceTypes = try #require(constants["logSourceType"] as? [String: Int])
    let eventTypes = try #require(constants["logEventTypes"] as? [String: Int])
    let urlRequest = try #require(sourceTypes["URL_REQUEST"])
    let startJob = try #require(eventTypes["URL_REQUEST_START_JOB"])
    let events = try #require(log["events"] as? [[String: Any]])
    var requests: [Request] = []
    for event in events {
      guard let source = event["source"] as? [String: Any], source["type"] as? Int == urlRequest,
        event["type"] as? Int == startJob, let params = event["params"] as? [String: Any],
        let url = params["url"] as? String
      else { continue }
      requests.append(
        Request(
          url: url, initiator: params["initiator"] as? String,
          isolationKey: params["network_isolation_key"] as? String))
    }
    return (requests, events.count)
  }
}

/// Runs a program in its own process group with stdout and stderr in files; on timeout the
/// whole group is killed. Afterwards the group is killed anyway, so no helper process of the
/// program outlives the test. Returns the exit status (128+N when killed by signal N).
func runInProcessGroup(
  _ argv: [String], environment: [String], stdout: String, stderr: String, timeoutSeconds: Int
) throws -> Int32 {
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
  posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  var attributes = posix_spawnattr_t()
  posix_spawnattr_init(&attributes)
  defer { posix_spawnattr_destroy(&attributes) }
  posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
  posix_spawnattr_setpgroup(&attributes, 0)
  let cArgs = argv.map { strdup($0) } + [nil]
  let cEnv = environment.map { strdup($0) } + [nil]
  defer {
    cArgs.forEach { free($0) }
    cEnv.forEach { free($0) }
  }
  var pid: pid_t = 0
  let rc = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
  guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
  var status: Int32 = 0
  var exited = false
  let deadline = Date().addingTimeInterval(TimeInterval(timeoutSeconds))
  while !exited {
    let r = waitpid(pid, &status, WNOHANG)
    if r == pid {
      exited = true
    } else if r < 0 && errno != EINTR {
      break
    } else if Date() > deadline {
      kill(-pid, SIGKILL)
      while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
      exited = true
    } else {
      usleep(20_000)
    }
  }
  kill(-pid, SIGKILL)  // helpers (zygotes, crash handler) that outlived the browser
  return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}

/// What a PNG screenshot shows, decoded by libpng in a tiny C program (built once per run):
/// its size, how many distinct colours it has, the background (top-left pixel) and the share
/// of pixels that are background.
struct ScreenshotStats: CustomStringConvertible {
  var width: Int
  var height: Int
  var distinctColours: Int
  var background: String
  var backgroundShare: Double

  init(png: String) throws {
    let result = try run(try pngStatsTool(), [png])
    try #require(result.status == 0, "pngstats: \(result.stderr)")
    let fields = result.text.split(separator: " ").map(String.init)
    try #require(fields.count == 5, "pngstats: \(result.text)")
    width = try #require(Int(fields[0]))
    height = try #require(Int(fields[1]))
    distinctColours = try #require(Int(fields[2]))
    background = fields[3]
    backgroundShare = try #require(
      Double(fields[4].trimmingCharacters(in: .whitespacesAndNewlines)))
  }

  var description: String {
    "\(width)x\(height), \(distinctColours) colours, background \(background) "
      + "on \(Int(backgroundShare * 100))% of pixels"
  }
}

private let pngStats: Result<String, any Error> = Result {
  let dir = NSTemporaryDirectory() + "vmmap-pngstats-\(getpid())"
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  try """
  #include <png.h>
  #include <stdio.h>
  #include <stdlib.h>
  #include <string.h>
  /* Prints: width height distinct-colours background-rrggbb background-share */
  int main(int argc, char **argv) {
    if (argc != 2) return 2;
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, argv[1])) {
      fprintf(stderr, "%s\\n", image.message);
      return 1;
    }
    image.format = PNG_FORMAT_RGB;
    png_bytep pixels = malloc(PNG_IMAGE_SIZE(image));
    unsigned char *seen = calloc(1 << 21, 1);
    if (!pixels || !seen || !png_image_finish_read(&image, NULL, pixels, 0, NULL)) {
      fprintf(stderr, "%s\\n", image.message);
      return 1;
    }
    size_t n = (size_t)image.width * image.height, distinct = 0, background = 0;
    unsigned first = pixels[0] << 16 | pixels[1] << 8 | pixels[2];
    for (size_t i = 0; i < n; i++) {
      unsigned c = pixels[3 * i] << 16 | pixels[3 * i + 1] << 8 | pixels[3 * i + 2];
      if (!(seen[c >> 3] & (1 << (c & 7)))) { seen[c >> 3] |= 1 << (c & 7); distinct++; }
      if (c == first) background++;
    }
    printf("%u %u %zu %06x %.4f\\n", image.width, image.height, distinct, first,
           (double)background / (double)n);
    return 0;
  }
  """
  .write(toFile: dir + "/pngstats.c", atomically: true, encoding: .utf8)
  let binary = dir + "/pngstats"
  let cc = try run("/usr/bin/cc", ["-O2", "-o", binary, dir + "/pngstats.c", "-lpng"])
  guard cc.status == 0 else { throw CocoaError(.executableLoad, userInfo: ["cc": cc.stderr]) }
  return binary
}

func pngStatsTool() throws -> String { try pngStats.get() }
