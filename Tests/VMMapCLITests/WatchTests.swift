import Foundation
import Glibc
import Testing
import VMMapCore
import VMMapTestSupport
import VMReport

/// `vmmap watch`: the sampler on a process that grows by a known amount between samples, and
/// the command and `render` of its timeline through the built binary.
@Suite struct WatchTests {
  @Test func eachSampleSeesTheKnownGrowth() throws {
    let grower = try Grower()
    let sampler = try WatchSampler(pid: grower.pid, smaps: false)
    var timeline = Timeline(watch: sampler.info(interval: 1))
    timeline.samples.append(try sampler.sample(at: 0))
    for k in 1...4 {
      try grower.send("g")
      timeline.samples.append(try sampler.sample(at: Double(k)))
    }
    func anonymous(_ s: WatchSample) -> UInt64 {
      s.byKind.first { $0.kind == .anonymous }?.rss ?? 0
    }
    for (before, after) in zip(timeline.samples, timeline.samples.dropFirst()) {
      // Each step wrote every page of 4 MiB of fresh anonymous memory: exactly that much more
      // anonymous RSS, and a total that grew by it (the stack may move by a page or so).
      #expect(anonymous(after) - anonymous(before) == Grower.growth)
      #expect(after.rss >= before.rss + Grower.growth)
      #expect(after.rss <= before.rss + Grower.growth + (64 << 10))
      #expect(after.minorFaults - before.minorFaults >= 1024)
      #expect(after.faultsPerSecond != nil)
    }
    // The kernel's own view agrees: smaps_rollup's Rss at the end is the last sample's.
    let rollup = try readProcFile("/proc/\(grower.pid)/smaps_rollup")
    let rssLine = try #require(rollup.split(separator: "\n").first { $0.hasPrefix("Rss:") })
    let kB = try #require(UInt64(rssLine.split(separator: " ").dropFirst().first ?? ""))
    #expect(kB * 1024 == timeline.samples.last?.rss)
    let summary = timeline.summarize(ended: "count reached")
    #expect(summary.kindGrowth.first?.kind == .anonymous)
    #expect(summary.kindGrowth.first?.rssDelta == Int64(4 * Grower.growth))
    grower.finish()
  }

  @Test func watchWritesATimelineThatRendersInEveryFormat() throws {
    let grower = try Grower()
    var template = Array("/tmp/vmmap-watch-test.XXXXXX".utf8CString)
    let dir = String(cString: mkdtemp(&template)!)
    defer { _ = try? run("/bin/rm", ["-rf", dir]) }
    let path = dir + "/t.json"
    let run = try vmmap(
      "watch", "--pid", "\(grower.pid)", "--interval", "50ms", "--count", "3", "-o", path)
    #expect(run.status == 0, "\(run.stderr)")
    // Piped: one line per sample, then the summary.
    let lines = run.text.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.prefix(3).allSatisfy { $0.contains("s  rss ") })
    #expect(run.text.contains("ended (count reached) after 3 samples"))
    let object = try jsonObject(try Data(contentsOf: URL(fileURLWithPath: path)))
    #expect((object["samples"] as? [Any])?.count == 3)
    let check = try CompareTests.validate(path, schema: "watch")
    #expect(check.text == "valid\n", "\(check.stderr)")
    #expect((object["watch"] as? [String: Any])?["pid"] as? Int == Int(grower.pid))

    let md = try vmmap("render", path, "--format", "md", "-o", dir + "/t.md")
    #expect(md.status == 0, "\(md.stderr)")
    let markdown = try String(contentsOfFile: dir + "/t.md", encoding: .utf8)
    #expect(markdown.contains("![RSS of"))
    #expect(FileManager.default.fileExists(atPath: dir + "/timeline-rss.svg"))
    let html = try vmmap("render", path, "--format", "html", "-o", "-")
    #expect(html.status == 0, "\(html.stderr)")
    #expect(html.text.contains("<svg"))
    #expect(!html.text.contains("<script"))
    let json = try vmmap("render", path, "--json", "-o", "-")
    #expect(json.status == 0)
    #expect(try jsonObject(json.stdout)["watch"] != nil)
    grower.finish()
  }

  @Test func theProcessExitingEndsTheWatchCleanly() throws {
    // sleep 1 exits a second in; unreaped until the test ends, it is a zombie, which the
    // watch tells from a live process as surely as a reaped one.
    let sleeper = try Sleeper(seconds: 1)
    let run = try vmmap("watch", "--pid", "\(sleeper.pid)", "--interval", "100ms")
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.text.contains("ended (process exited)"))
    #expect(run.text.split(separator: "\n").filter { $0.contains("s  rss ") }.count >= 3)
  }

  @Test func badWatchInput() throws {
    #expect(try vmmap("watch", "--pid", "999999999").status == 66)
    #expect(try vmmap("watch", "--pid", "1", "--interval", "fast").status == 64)
    #expect(try vmmap("watch", "--pid", "1", "--count", "0").status == 64)
    var template = Array("/tmp/vmmap-watch-test.XXXXXX".utf8CString)
    let dir = String(cString: mkdtemp(&template)!)
    defer { _ = try? run("/bin/rm", ["-rf", dir]) }
    // render refuses a file that is neither a report nor a timeline: 65.
    try "{\"schemaVersion\": 1, \"source\": {}}".write(
      toFile: dir + "/x.json", atomically: true, encoding: .utf8)
    let r = try vmmap("render", dir + "/x.json", "-o", dir + "/x.html")
    #expect(r.status == 65)
    #expect(!FileManager.default.fileExists(atPath: dir + "/x.html"))
    // A newer timeline is refused too.
    try "{\"schemaVersion\": 9, \"watch\": {}, \"samples\": []}".write(
      toFile: dir + "/t.json", atomically: true, encoding: .utf8)
    #expect(try vmmap("render", dir + "/t.json", "-o", dir + "/t.html").status == 65)
  }
}
