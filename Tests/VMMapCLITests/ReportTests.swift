import Foundation
import Glibc
import CVMProbes
import Testing
import VMMapTestSupport

/// `vmmap report` and `vmmap render`, through the built binary. The report is collected once
/// (it runs every experiment) and shared by the tests that only read it.
@Suite(.serialized) struct ReportTests {
  /// A temporary working directory, removed afterwards.
  final class Scratch {
    let path: String
    init() {
      var template = Array("/tmp/vmmap-report-test.XXXXXX".utf8CString)
      path = String(cString: mkdtemp(&template)!)
    }
    deinit { _ = try? run("/bin/rm", ["-rf", path]) }
  }

  /// One full report as JSON, collected once for this suite.
  static let collected: Result<(json: Data, stderr: String, status: Int32), any Error> = Result {
    let dir = Scratch()
    let out = dir.path + "/r.json"
    let r = try vmmap("report", "--json", "-o", out)
    return (try Data(contentsOf: URL(fileURLWithPath: out)), r.stderr, r.status)
  }

  func report() throws -> [String: Any] {
    let c = try Self.collected.get()
    #expect(c.status == 0, "\(c.stderr)")
    return try jsonObject(c.json)
  }

  @Test func everyStepSucceededAndNothingWarned() throws {
    let c = try Self.collected.get()
    #expect(c.stderr.isEmpty, "\(c.stderr)")
    let r = try report()
    let faults = try #require(r["faults"] as? [[String: Any]])
    #expect(faults.count == 8)
    for f in faults {
      #expect(f["error"] == nil, "\(f)")
      #expect(f["result"] != nil)
    }
    let specimen = try #require(r["specimen"] as? [String: Any])
    #expect(specimen["error"] == nil, "\(specimen)")
  }

  /// The machine facts equal what independent tools and the raw files say.
  @Test func machineFactsMatchTheSystem() throws {
    let m = try #require(try report()["machine"] as? [String: Any])
    let kernel = try #require(m["kernel"] as? [String: Any])
    #expect(kernel["release"] as? String == (try run("/bin/uname", ["-r"])).text.trimmed)
    #expect(kernel["architecture"] as? String == (try run("/bin/uname", ["-m"])).text.trimmed)
    #expect(m["hostname"] as? String == (try run("/bin/hostname", [])).text.trimmed)
    let paging = try #require(m["paging"] as? [String: Any])
    #expect(
      paging["pageSize"] as? Int == Int((try run("/usr/bin/getconf", ["PAGESIZE"])).text.trimmed))
    let cpu = try #require(m["cpu"] as? [String: Any])
    #expect(cpu["logicalCPUs"] as? Int == Int((try run("/usr/bin/nproc", [])).text.trimmed))
    let settings = try #require(m["settings"] as? [String: Any])
    func sysctl(_ path: String) throws -> Int? { Int(try readProcFile(path).trimmed) }
    #expect(settings["maxMapCount"] as? Int == (try sysctl("/proc/sys/vm/max_map_count")))
    #expect(
      settings["randomizeVASpace"] as? Int == (try sysctl("/proc/sys/kernel/randomize_va_space")))
    #expect(settings["overcommitMemory"] as? Int == (try sysctl("/proc/sys/vm/overcommit_memory")))
    let thp = try readProcFile("/sys/kernel/mm/transparent_hugepage/enabled")
    #expect(thp.contains("[\(settings["thpEnabled"] as? String ?? "?")]"))
    let memory = try #require(m["memory"] as? [String: Any])
    let memTotal = try readProcFile("/proc/meminfo").split(separator: "\n")
      .first { $0.hasPrefix("MemTotal:") }!.split(separator: " ")[1]
    #expect(memory["total"] as? UInt64 == UInt64(memTotal)! * 1024)
    let swaps = try readProcFile("/proc/swaps").split(separator: "\n").count - 1
    #expect(memory["swapAreas"] as? Int == swaps)
    // The kernel configuration, against zcat.
    if access("/proc/config.gz", R_OK) == 0 {
      let config = try #require(m["kernelConfig"] as? [String: String])
      let text = try run("/bin/sh", ["-c", "zcat /proc/config.gz"]).text
      #expect(!config.isEmpty)
      for (name, value) in config {
        let line = value == "n" ? "# \(name) is not set" : "\(name)=\(value)"
        #expect(text.split(separator: "\n").contains(Substring(line)), "\(line)")
      }
    }
  }

  /// The specimen's snapshot is consistent with itself: sizes add up, VmSize is the sum
  /// without [vsyscall], residency maps decode to their page counts, frames are real.
  @Test func specimenSnapshotAddsUp() throws {
    let specimen = try #require(try report()["specimen"] as? [String: Any])
    let s = try #require(specimen["result"] as? [String: Any])
    let regions = try #require(s["regions"] as? [[String: Any]])
    let totals = try #require(s["totals"] as? [String: Any])
    let sizes = regions.map { $0["size"] as! UInt64 }
    #expect(totals["virtual"] as? UInt64 == sizes.reduce(0, +))
    let vsyscall = regions.filter { $0["kind"] as? String == "vsyscall" }.map {
      $0["size"] as! UInt64
    }
    #expect(totals["vmSize"] as? UInt64 == sizes.reduce(0, +) - vsyscall.reduce(0, +))
    #expect(totals["rss"] as? UInt64 == regions.map { $0["rss"] as? UInt64 ?? 0 }.reduce(0, +))
    let byKind = try #require(s["byKind"] as? [[String: Any]])
    #expect(byKind.map { $0["size"] as! UInt64 }.reduce(0, +) == sizes.reduce(0, +))
    // Every kind the specimen makes is there.
    let kinds = Set(regions.compactMap { $0["kind"] as? String })
    for k in [
      "executable", "shared-library", "heap", "main-stack", "thread-stack", "guard-page", "memfd",
      "sysv-shm", "vdso",
    ] {
      #expect(kinds.contains(k), "\(k)")
    }
    for r in try #require(s["residency"] as? [[String: Any]]) {
      let map = r["map"] as! String
      var pages = 0
      var present = 0
      var state: Character = "."
      var digits = ""
      for c in map + "." {
        if c.isNumber {
          digits.append(c)
        } else {
          let n = Int(digits) ?? 0
          pages += n
          if state == "P" { present += n }
          state = c
          digits = ""
        }
      }
      #expect(pages == r["pages"] as? Int)
      #expect(present == r["present"] as? Int)
      let start = UInt64((r["start"] as! String).dropFirst(2), radix: 16)!
      let end = UInt64((r["end"] as! String).dropFirst(2), radix: 16)!
      #expect(UInt64(pages) * 4096 == end - start)
    }
    let samples = try #require(s["samplePages"] as? [[String: Any]])
    #expect(samples.count >= 4)
    for p in samples {
      #expect(p["present"] as? Bool == true)
      // As root, pagemap gives real frames and kpagecount a count of at least one.
      #expect((p["frame"] as? String)?.hasPrefix("0x") == true)
      #expect((p["mapCount"] as? Int ?? 0) >= 1)
    }
  }

  @Test func jsonValidatesAgainstTheSchema() throws {
    let dir = Scratch()
    let out = dir.path + "/r.json"
    try Self.collected.get().json.write(to: URL(fileURLWithPath: out))
    let check = try validateReportSchema(out)
    #expect(check.status == 0, "\(check.stderr)")
    #expect(check.text == "valid\n")
  }

  /// The short ASLR step: both series ran, the randomised one moved the stack and the mmap
  /// base, the other did not; its section renders with its figure and tables.
  @Test func aslrStepMovedOnlyWithRandomisation() throws {
    let aslr = try #require(try report()["aslr"] as? [String: Any])
    #expect(aslr["error"] == nil, "\(aslr)")
    let result = try #require(aslr["result"] as? [String: Any])
    #expect(result["runs"] as? Int == 6)
    func stats(_ series: String, _ region: String) -> [String: Any]? {
      ((result[series] as? [String: Any])?["regions"] as? [[String: Any]])?
        .first { $0["region"] as? String == region }
    }
    let randomised =
      (try? readProcFile("/proc/sys/kernel/randomize_va_space")).map { !$0.hasPrefix("0") }
      ?? false
    for region in ["stack", "mmap-base"] {
      if randomised { #expect((stats("randomized", region)?["distinct"] as? Int ?? 0) >= 5) }
      #expect(stats("notRandomized", region)?["distinct"] as? Int == 1)
    }
    #expect((result["notRandomized"] as? [String: Any])?["allSame"] as? Bool == true)

    let dir = Scratch()
    let model = dir.path + "/r.json"
    try Self.collected.get().json.write(to: URL(fileURLWithPath: model))
    let md = try vmmap("render", model, "--format", "md", "-o", dir.path + "/r.md")
    #expect(md.status == 0, "\(md.stderr)")
    let text = try readProcFile(dir.path + "/r.md")
    #expect(text.contains("](aslr.svg)"))
    #expect(
      text.contains("| Region | No ASLR, run 1 | No ASLR, run 2 | ASLR, run 1 | ASLR, run 2 |"))
    #expect(text.contains("| Region | Distinct | Lowest | Highest | Bits that differed |"))
    #expect(text.contains("The full experiment: `vmmap --aslr`"))
    let svg = try readProcFile(dir.path + "/aslr.svg")
    #expect(svg.contains("<circle") && svg.contains("<polygon"))
  }

  /// The same model renders to the same bytes; a newer schema, garbage and a missing file
  /// are refused with exit 65, 65 and 66.
  @Test func renderIsDeterministicAndRefusesBadModels() throws {
    let dir = Scratch()
    let model = dir.path + "/r.json"
    try Self.collected.get().json.write(to: URL(fileURLWithPath: model))
    let a = try vmmap("render", model, "--format", "md", "-o", dir.path + "/a.md")
    let b = try vmmap("render", model, "--format", "md", "-o", dir.path + "/b.md")
    #expect(a.status == 0 && b.status == 0, "\(a.stderr)")
    let first = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/a.md"))
    #expect(first == (try Data(contentsOf: URL(fileURLWithPath: dir.path + "/b.md"))))
    #expect(String(decoding: first, as: UTF8.self).contains("## Multi-level page tables"))

    var object = try jsonObject(try Self.collected.get().json)
    object["schemaVersion"] = 2
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: model))
    let newer = try vmmap("render", model, "--format", "md", "-o", dir.path + "/c.md")
    #expect(newer.status == 65)
    #expect(newer.stderr.contains("schemaVersion 2 is newer than this vmmap reads (1)"))
    #expect(access(dir.path + "/c.md", F_OK) != 0)

    try Data("not json".utf8).write(to: URL(fileURLWithPath: model))
    let garbage = try vmmap("render", model, "--format", "md", "-o", dir.path + "/c.md")
    #expect(garbage.status == 65)
    #expect(garbage.stderr.hasPrefix("vmmap: \(model): not a vmmap report"))

    let missing = try vmmap("render", dir.path + "/nope.json")
    #expect(missing.status == 66)
    #expect(missing.stderr.contains("no such file"))
  }

  /// `--templates DIR` renders with a user's copy of the templates; a directory without any
  /// is refused (66).
  @Test func userTemplates() throws {
    let dir = Scratch()
    let model = dir.path + "/r.json"
    try Self.collected.get().json.write(to: URL(fileURLWithPath: model))
    let templates = dir.path + "/templates"
    try FileManager.default.createDirectory(atPath: templates, withIntermediateDirectories: true)
    let original = try String(
      contentsOfFile: repositoryRoot + "/templates/report.md.mustache", encoding: .utf8)
    try original.replacingOccurrences(
      of: "# Virtual memory on {{host}}", with: "# Lab 9 handout for {{host}}"
    ).write(toFile: templates + "/report.md.mustache", atomically: true, encoding: .utf8)
    let r = try vmmap(
      "render", model, "--templates", templates, "--format", "md", "-o", "-", "--figures",
      dir.path + "/figures")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.text.hasPrefix("# Lab 9 handout for `"))
    #expect(r.text.contains("## Multi-level page tables"))

    let empty = dir.path + "/empty"
    try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
    let none = try vmmap("render", model, "--templates", empty, "--format", "md", "-o", "-")
    #expect(none.status == 66)
    #expect(none.stderr.contains("no *.mustache file in it"))
    #expect(none.stdout.isEmpty)
  }

  /// `--pid` of an idle process, without experiments: its totals equal its smaps_rollup.
  @Test func processSnapshotMatchesRollup() throws {
    let sleeper = try Sleeper(isolated: true)
    let dir = Scratch()
    let out = dir.path + "/p.json"
    let r = try vmmap("report", "--pid", "\(sleeper.pid)", "--no-experiments", "--json", "-o", out)
    #expect(r.status == 0, "\(r.stderr)")
    let model = try jsonObject(try Data(contentsOf: URL(fileURLWithPath: out)))
    #expect(model["specimen"] == nil && (model["faults"] as? [Any])?.isEmpty == true)
    let process = try #require(model["process"] as? [String: Any])
    let s = try #require(process["result"] as? [String: Any])
    let totals = try #require(s["totals"] as? [String: Any])
    let rollup = try naiveFieldSums("/proc/\(sleeper.pid)/smaps_rollup")
    #expect(totals["rss"] as? UInt64 == rollup["Rss"])
    #expect(totals["pss"] as? UInt64 == rollup["Pss"])
    #expect(totals["anonymous"] as? UInt64 == rollup["Anonymous"])
    #expect(s["pid"] as? Int == Int(sleeper.pid))
  }

  /// A kernel thread is refused up front (69); a flag without its subcommand is a usage error.
  @Test func badRequests() throws {
    let kthread = try vmmap("report", "--pid", "2", "--no-experiments", "--json", "-o", "-")
    #expect(kthread.status == 69)
    #expect(kthread.stderr.contains("PID 2 is a kernel thread"))
    #expect(kthread.stdout.isEmpty)
    let nothing = try vmmap("report", "--no-experiments")
    #expect(nothing.status == 64)
    #expect(nothing.stderr.contains("--no-experiments leaves nothing to report"))
    let misplaced = try vmmap("--self", "report")
    #expect(misplaced.status == 64)
    let contradiction = try vmmap("report", "--format", "md", "-o", "x.html")
    #expect(contradiction.status == 64)
    #expect(contradiction.stderr.contains("-o x.html says html, --format says md"))
  }

  /// A step that fails is recorded, warned about on stderr and leaves exit 0; `--strict`
  /// makes it exit 70. The failing step is a real one: on machines (like this kind) where
  /// even root is refused /proc/1/smaps, the snapshot of PID 1 fails in its child.
  @Test(.enabled(if: open("/proc/1/smaps", O_RDONLY) < 0, "root may read /proc/1/smaps here"))
  func failedStepWarnsAndStrictFails() throws {
    let dir = Scratch()
    let out = dir.path + "/one.json"
    let lax = try vmmap("report", "--pid", "1", "--no-experiments", "--json", "-o", out)
    #expect(lax.status == 0, "\(lax.stderr)")
    #expect(lax.stderr.hasPrefix("vmmap: warning: experiment snapshot-1: "), "\(lax.stderr)")
    #expect(lax.stderr.hasSuffix("(recorded in the report)\n"))
    let model = try jsonObject(try Data(contentsOf: URL(fileURLWithPath: out)))
    let process = try #require(model["process"] as? [String: Any])
    #expect(process["result"] == nil)
    let error = try #require(process["error"] as? [String: Any])
    #expect((error["message"] as? String)?.contains("permission denied") == true)
    // The handout still renders, with the failure listed.
    let md = try vmmap("render", out, "--format", "md", "-o", "-", "--figures", dir.path)
    #expect(md.status == 0)
    #expect(md.text.contains("### Failures"))
    let strict = try vmmap(
      "report", "--pid", "1", "--no-experiments", "--strict", "--json", "-o", out)
    #expect(strict.status == 70)
  }

  /// `--redact`: no hostname, home directory or argument survives, in JSON or Markdown.
  @Test func redactedReportLeaksNothing() throws {
    let sleeper = try Sleeper(isolated: true)
    let dir = Scratch()
    let hostname = (try run("/bin/hostname", [])).text.trimmed
    for format in ["json", "md"] {
      let out = dir.path + "/redacted.\(format)"
      let r = try vmmap(
        "report", "--pid", "\(sleeper.pid)", "--no-experiments", "--redact", "--format", format,
        "-o", out)
      #expect(r.status == 0, "\(r.stderr)")
      let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: out)), as: UTF8.self)
      // As a word: a short hostname ("vm") is also part of "vmmap".
      let words = text.split { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
      #expect(!words.contains(Substring(hostname)), "\(format) names the host")
      #expect(!text.contains("/root/"), "\(format) names a home directory")
      if format == "json" {
        let model = try jsonObject(Data(text.utf8))
        #expect((model["options"] as? [String: Any])?["redacted"] as? Bool == true)
        #expect((model["machine"] as? [String: Any])?["hostname"] as? String == "host")
        let s = try #require((model["process"] as? [String: Any])?["result"] as? [String: Any])
        let command = try #require(s["command"] as? [String])
        #expect(command.count >= 2 && command.dropFirst().allSatisfy { $0.hasPrefix("<arg ") })
      }
    }
  }
}

/// Validates a report model against docs/schema (report.schema.json and the schemas it uses).
func validateReportSchema(_ path: String) throws -> RunResult {
  try run(
    "/usr/bin/env",
    [
      "python3", "-c",
      """
      import json, sys, glob, jsonschema, referencing
      schemas = [json.load(open(p)) for p in glob.glob(sys.argv[2] + "*.schema.json")]
      registry = referencing.Registry().with_resources(
          [(s["$id"], referencing.Resource.from_contents(s)) for s in schemas])
      main = next(s for s in schemas if s["$id"].endswith("/report.schema.json"))
      jsonschema.Draft202012Validator(main, registry=registry).validate(json.load(open(sys.argv[1])))
      print("valid")
      """,
      path, repositoryRoot + "/docs/schema/",
    ])
}

extension String {
  var trimmed: String {
    String(drop { $0 == " " || $0 == "\n" }.reversed().drop { $0 == " " || $0 == "\n" }.reversed())
  }
}

/// A process with 60,000 mappings: the HTML page summarises (under 2 MB), the JSON model keeps
/// every region. (Time is measured by bench/report, not here.)
@Suite(.serialized) struct ReportScaleTests {
  @Test func sixtyThousandRegionsStayUnderTwoMegabytesOfHTML() throws {
    var template = Array("/tmp/vmmap-report-scale.XXXXXX".utf8CString)
    let dir = String(cString: mkdtemp(&template)!)
    defer { _ = try? run("/bin/rm", ["-rf", dir]) }
    let cc = try run(
      "/usr/bin/cc", ["-O2", "-o", dir + "/specimen", repositoryRoot + "/bench/specimen.c"])
    #expect(cc.status == 0, "\(cc.stderr)")
    let specimen = try BenchSpecimen(dir + "/specimen", ["maps", "60000"])
    defer { specimen.stop() }

    let html = dir + "/p.html"
    let h = try vmmap("report", "--pid", "\(specimen.pid)", "--no-experiments", "-o", html)
    #expect(h.status == 0, "\(h.stderr)")
    let size = try #require(try FileManager.default.attributesOfItem(atPath: html)[.size] as? Int)
    #expect(size < 2_000_000, "the page is \(size) bytes")
    let page = try String(contentsOfFile: html, encoding: .utf8)
    #expect(page.contains("The 500 regions with the most resident memory, of 60,0"))

    let json = dir + "/p.json"
    let j = try vmmap("report", "--pid", "\(specimen.pid)", "--no-experiments", "-o", json)
    #expect(j.status == 0, "\(j.stderr)")
    let model = try jsonObject(try Data(contentsOf: URL(fileURLWithPath: json)))
    let regions = try #require(
      ((model["process"] as? [String: Any])?["result"] as? [String: Any])?["regions"] as? [Any])
    let maps = try readProcFile("/proc/\(specimen.pid)/maps").split(separator: "\n").count
    #expect(regions.count == maps)
    #expect(regions.count > 60_000)
  }
}

/// bench/specimen, started and read up to its READY line.
final class BenchSpecimen {
  let pid: pid_t

  init(_ path: String, _ arguments: [String]) throws {
    var pipe: [Int32] = [-1, -1]
    guard vmp_pipe_cloexec(&pipe) == 0 else { throw POSIXError(.EIO) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var child: pid_t = 0
    var rc = ETXTBSY
    // The binary was just written: a child another test forked meanwhile may hold it open.
    for _ in 0..<20 where rc == ETXTBSY {
      rc = posix_spawn(&child, path, &actions, nil, argv, environ)
      if rc == ETXTBSY { usleep(100_000) }
    }
    close(pipe[1])
    defer { close(pipe[0]) }
    guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
    pid = child
    var seen: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while !String(decoding: seen, as: UTF8.self).contains("READY") {
      let n = buffer.withUnsafeMutableBytes { read(pipe[0], $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else {
        stop()
        throw POSIXError(.ECHILD)
      }
      seen += buffer[..<n]
    }
  }

  func stop() {
    kill(pid, SIGKILL)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
  }
}
