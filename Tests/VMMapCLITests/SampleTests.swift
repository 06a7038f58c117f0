import Foundation
import Glibc
import Testing
import VMExperiments
import VMMapCore
import VMMapTestSupport

/// `vmmap --sample CMD`, through the built binary, against a workload whose faults are known
/// (`vmmap __touch N` writes N fresh pages of one mapping) and against wait4; and the
/// attribution rules on synthetic samples.
@Suite struct SampleTests {
  static func uint(_ value: Any?) -> UInt64? { (value as? NSNumber)?.uint64Value }

  /// Runs `vmmap __touch pages` under `--sample --json -o FILE`; the report and the region
  /// the program printed.
  static func sampleTouch(_ pages: Int) throws -> (
    report: [String: Any], region: (String, String), path: String
  ) {
    let path = try Programs.directory() + "/sample-\(getpid())-\(pages).json"
    let r = try vmmap("--json", "-o", path, "--sample", "--", vmmapBinary, "__touch", "\(pages)")
    #expect(r.status == 0, "\(r.stderr)")
    let words = r.text.split(separator: " ").map {
      $0.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    try #require(words.count == 3 && words[0] == "REGION", "\(r.text)")
    let report = try jsonObject(try Data(contentsOf: URL(fileURLWithPath: path)))
    return (report, (words[1], words[2]), path)
  }

  @Test(arguments: [1000, 20_000])
  func touchedRegionGetsOneFaultPerPage(_ pages: Int) throws {
    let (report, region, path) = try Self.sampleTouch(pages)
    let regions = try #require(report["regions"] as? [[String: Any]])
    let row = try #require(
      regions.first { $0["start"] as? String == region.0 }, "no row for \(region.0)")
    #expect(row["end"] as? String == region.1)
    #expect(row["source"] as? String == "exit-map")
    #expect(row["permissions"] as? String == "rw-p")
    let faults = try #require(Self.uint(row["faults"]))
    // ±2 % as the issue allows; a fresh private page written once is exactly one fault.
    #expect(abs(Double(faults) - Double(pages)) <= Double(pages) * 0.02, "\(faults) faults")
    #expect(Self.uint(row["pages"]) == UInt64(pages))
    #expect(Self.uint(row["data"]) == faults)
    #expect(Self.uint(row["major"]) == 0)

    // Every sample is in exactly one row, and the total agrees with wait4 once the faults
    // before the event was enabled (stat at the exec stop) are taken out.
    let sampled = try #require(Self.uint(report["sampledFaults"]))
    let lost = try #require(Self.uint(report["lostSamples"]))
    #expect(regions.reduce(0) { $0 + (Self.uint($1["faults"]) ?? 0) } == sampled)
    let rusage = try #require(report["rusage"] as? [String: Any])
    let before = try #require(report["beforeEnable"] as? [String: Any])
    let waited = try #require(Self.uint(rusage["minor"])) + (Self.uint(rusage["major"]) ?? 0)
    let early = try #require(Self.uint(before["minor"])) + (Self.uint(before["major"]) ?? 0)
    #expect(early > 0 && early < waited)
    let difference = Int64(sampled + lost) - Int64(waited - early)
    #expect(abs(difference) <= 2 + Int64(waited / 500), "sampled \(sampled), wait4 \(waited)")
    #expect(Self.uint(report["expectedSamples"]) == waited - early)
    // The events' own count, read after the run, covers every sample.
    #expect(try #require(Self.uint(report["eventCount"])) == sampled + lost)
    #expect(try validate(path, schema: "sample.schema.json").text == "valid\n")
  }

  @Test func firstTouchOrderAndText() throws {
    let r = try vmmap("--sample", vmmapBinary, "__touch", "300")
    #expect(r.status == 0)
    #expect(r.stderr.hasPrefix("=== PAGE FAULTS BY REGION: \(vmmapBinary) __touch 300 ===\n"))
    #expect(r.stderr.contains("agrees") || r.stderr.contains("differs by"), "\(r.stderr)")
    #expect(r.stderr.hasSuffix("=== END ===\n"))
    // The dynamic loader runs first: its text takes the first fault.
    let rows = r.stderr.split(separator: "\n").filter { $0.hasPrefix("    1 ") }
    #expect(rows.first?.contains("ld-linux") == true, "\(rows)")
  }

  @Test(arguments: [0, 3])
  func exitStatusPassesThrough(_ code: Int32) throws {
    let r = try vmmap("--sample", "/bin/sh", "-c", "exit \(code)")
    #expect(r.status == code)
    #expect(r.stderr.contains("Exit:         exited with status \(code)\n"), "\(r.stderr)")
  }

  @Test func childProcessesAreTheirOwnRows() throws {
    let path = try Programs.directory() + "/sample-child-\(getpid()).json"
    let r = try vmmap("--json", "-o", path, "--sample", "/bin/sh", "-c", "/bin/true; exit 0")
    #expect(r.status == 0, "\(r.stderr)")
    let report = try jsonObject(try Data(contentsOf: URL(fileURLWithPath: path)))
    let regions = try #require(report["regions"] as? [[String: Any]])
    let children = regions.filter { $0["source"] as? String == "child-process" }
    #expect(children.count == 1)
    #expect(children.first?["childPID"] as? Int != report["pid"] as? Int)
    #expect((Self.uint(children.first?["faults"]) ?? 0) > 10)
  }

  @Test func usage() throws {
    for args in [
      ["--sample"], ["--sample", "--"], ["--cow", "--sample", "true"],
      ["--format", "md", "--sample", "true"],
    ] {
      let r = try run(vmmapBinary, args)
      #expect(r.status == 64, "\(args)")
      #expect(r.stderr.hasPrefix("vmmap: usage: "), "\(r.stderr)")
    }
    let missing = try vmmap("--sample", "/nonexistent/cmd")
    #expect(missing.status == 127)
  }

  @Test func attributionRules() throws {
    func mapping(_ start: UInt64, _ end: UInt64, _ perms: String, _ name: String) throws -> Mapping
    {
      let line =
        "\(String(start, radix: 16))-\(String(end, radix: 16)) \(perms) 00000000 00:00 0 \(name)\n"
      return try #require(try MapsParser.parse(Array(line.utf8), source: "test").first)
    }
    let exitMap = [try mapping(0x1000, 0x3000, "rw-p", "[heap]")]
    let execMap = [try mapping(0x9000, 0xa000, "r--p", "/lib/gone")]
    let record = MmapRecord(
      time: 50, pid: 7, start: 0x5000, length: 0x1000,
      permissions: Permissions(read: true, write: true, execute: false, shared: false),
      name: PathBytes("/tmp/buffer"))
    let attribution = FaultAttribution(
      pid: 7, exitMap: exitMap, execMap: execMap, mmapRecords: [record], lastExecTime: 20,
      enabledTime: 0)
    func s(_ t: UInt64, _ a: UInt64, pid: Int32 = 7, ip: UInt64 = 0x400000) -> FaultSample {
      FaultSample(time: t, ip: ip, address: a, pid: pid, tid: pid, isMajor: false)
    }
    let rows = attribution.regions([
      s(100, 0x1008), s(30, 0x2000, ip: 0xffff_ffff_8100_0000), s(10, 0x1000),
      s(60, 0x5010), s(40, 0x5010), s(70, 0x9000, ip: 0x9000), s(80, 0x1234, pid: 9),
      s(90, 0x7000),
    ])
    let summary = rows.map { "\($0.order) \($0.source.rawValue) \($0.name) \($0.faults)" }
    // By time: before the last exec; the heap (kernel mode); 0x5010 before its mmap record
    // existed (no map); the record; the exec-time map (an instruction fetch); another process;
    // 0x7000 (no map, the same row as 0x5010's first); the heap again.
    #expect(
      summary == [
        "1 earlier-program  1", "2 exit-map [heap] 2", "3 unmapped  2",
        "4 mmap-record /tmp/buffer 1", "5 exec-map /lib/gone 1", "6 child-process  1",
      ], "\(summary)")
    let heap = try #require(rows.first { $0.source == .exitMap })
    #expect(heap.kernel == 1 && heap.data == 1 && heap.pages == 2)
    #expect(rows.first { $0.source == .execMap }?.instruction == 1)
  }
}
