import Foundation
import Glibc
import Testing
import VMMapCore
import VMMapTestSupport
import VMReport

/// `vmmap compare`, through the built binary and through `Comparison`, on reports and maps
/// recorded here.
@Suite(.serialized) struct CompareTests {
  final class Scratch: Sendable {
    let path: String
    init() {
      var template = Array("/tmp/vmmap-compare-test.XXXXXX".utf8CString)
      path = String(cString: mkdtemp(&template)!)
    }
    deinit { _ = try? run("/bin/rm", ["-rf", path]) }
  }

  /// Two full reports of this machine, recorded one after the other, once for the suite.
  static let reports: Result<(scratch: Scratch, a: String, b: String), any Error> = Result {
    let dir = Scratch()
    for name in ["a", "b"] {
      let r = try vmmap("report", "--json", "-o", dir.path + "/\(name).json")
      guard r.status == 0 else { throw CocoaError(.fileReadUnknown, userInfo: ["err": r.stderr]) }
    }
    return (dir, dir.path + "/a.json", dir.path + "/b.json")
  }

  func load(_ path: String) throws -> Report {
    try ReportFile.decode(Array(try Data(contentsOf: URL(fileURLWithPath: path))), source: path)
  }

  func save(_ report: Report, _ path: String) throws {
    try Data(try ReportFile.encode(report)).write(to: URL(fileURLWithPath: path))
  }

  /// Validates a JSON file against docs/schema/NAME.schema.json (python3-jsonschema).
  static func validate(_ file: String, schema name: String) throws -> RunResult {
    try run(
      "/usr/bin/env",
      [
        "python3", "-c",
        """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[2]))
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[1])))
        print("valid")
        """,
        file, repositoryRoot + "/docs/schema/\(name).schema.json",
      ])
  }

  // MARK: reports

  @Test func aReportComparedWithItselfHasNoDifferences() throws {
    let r = try Self.reports.get()
    let run = try vmmap("compare", r.a, r.a)
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.text.hasSuffix("No differences.\n"))
    #expect(run.text.contains("The same facts on both."))
    let c = try Comparison.compare(
      try CompareInput.load(r.a), try CompareInput.load(r.a))
    #expect(c.differences == 0)
    #expect(c.machine.isEmpty)
    #expect(c.layouts.map(\.role) == ["specimen"])
    let specimen = try #require(c.layouts.first)
    #expect(specimen.added.isEmpty && specimen.removed.isEmpty && specimen.changed.isEmpty)
    #expect(specimen.unchanged == specimen.aTotals.regions)
    // Every experiment of the report is there, with its measures.
    let report = try load(r.a)
    // specimen, demand variants, cow, faults, walk, tlb, aslr, sample.
    #expect(c.experiments.count == 1 + report.demand.count + 1 + report.faults.count + 4)
    #expect(
      Set(["walk", "tlb", "aslr", "sample"]).isSubset(of: Set(c.experiments.map(\.experiment))))
    #expect(c.experiments.allSatisfy { $0.aMissing == nil && !$0.measures.isEmpty })
  }

  @Test func twoRunsOnOneMachineMatchTheSpecimenByIdentity() throws {
    let r = try Self.reports.get()
    let c = try Comparison.compare(try CompareInput.load(r.a), try CompareInput.load(r.b))
    // One machine: no fact differs (memory available moves, and is not a fact).
    #expect(c.machine.isEmpty, "\(c.machine)")
    // The kernel's deterministic answers do not change between runs.
    let demandWrite = try #require(c.experiments.first { $0.experiment == "demand-write" })
    let perPage = try #require(demandWrite.measures.first { $0.key == "faults-per-page" })
    #expect(perPage.a == 1 && perPage.b == 1 && !perPage.changed)
    let fault = try #require(c.experiments.first { $0.experiment == "fault-null" })
    #expect(fault.measures.first { $0.key == "signal" }?.aText == "SIGSEGV SEGV_MAPERR")
    #expect(fault.measures.allSatisfy { !$0.changed || $0.key == "depth" })
    // The specimen is a new process in a new mkdtemp directory at new addresses, yet every
    // file-backed region matches its twin: ELF segments by file and role, the specimen's own
    // files by name.
    let specimen = try #require(c.layouts.first { $0.role == "specimen" })
    let a = try #require(try load(r.a).specimen?.result)
    let b = try #require(try load(r.b).specimen?.result)
    #expect(a.regions.map(\.start) != b.regions.map(\.start), "ASLR moved nothing?")
    let unmatchedFiles = (specimen.added + specimen.removed).filter {
      $0.kind == .sharedLibrary || $0.kind == .executable || $0.kind == .privateFile
        || $0.kind == .sharedFile || $0.kind == .memfd
    }
    #expect(unmatchedFiles.isEmpty, "\(unmatchedFiles.map(\.identity))")
    // Regions matched or not, the totals add up on each side.
    #expect(specimen.unchanged + specimen.changed.count + specimen.removed.count == a.regions.count)
    #expect(specimen.unchanged + specimen.changed.count + specimen.added.count == b.regions.count)
  }

  @Test func differentSettingsShowAsMachineFacts() throws {
    let r = try Self.reports.get()
    // The same report as if it had been recorded on a kernel with THP always and no ASLR.
    var edited = try load(r.a)
    let thp = edited.machine.settings.thpEnabled
    edited.machine.settings.thpEnabled = thp == "always" ? "never" : "always"
    edited.machine.settings.randomizeVASpace = 0
    edited.machine.kernel.release += "-other"
    let path = r.scratch.path + "/edited.json"
    try save(edited, path)
    let c = try Comparison.compare(try CompareInput.load(r.a), try CompareInput.load(path))
    let keys = Set(c.machine.map(\.key))
    #expect(keys.contains("settings.thpEnabled"))
    #expect(keys.contains("kernel.release"))
    let original = try load(r.a).machine.settings.randomizeVASpace
    #expect(keys.contains("settings.randomizeVASpace") == (original != 0))
    #expect(keys.count == (original != 0 ? 3 : 2), "\(keys)")
    let fact = try #require(c.machine.first { $0.key == "settings.thpEnabled" })
    #expect(fact.a == thp && fact.b == edited.machine.settings.thpEnabled)
    let text = try vmmap("compare", r.a, path).text
    #expect(text.contains("THP enabled"))
  }

  @Test func thresholdsTripAndDoNotTripAsDocumented() throws {
    let r = try Self.reports.get()
    var grown = try load(r.a)
    var specimen = try #require(grown.specimen?.result)
    let rss = specimen.totals.rss
    specimen.totals.rss = rss + rss / 5  // +20%
    grown.specimen?.result = specimen
    let path = r.scratch.path + "/grown.json"
    try save(grown, path)

    // Without --fail-on-change, whatever differs: 0.
    #expect(try vmmap("compare", r.a, path, "--threshold", "rss=10%").status == 0)
    // +20% crosses 10%: 1, and the message names the threshold and where.
    let crossed = try vmmap("compare", r.a, path, "--fail-on-change", "--threshold", "rss=10%")
    #expect(crossed.status == 1)
    #expect(crossed.stderr.hasPrefix("vmmap: compare: rss=10% crossed: specimen RSS: "))
    #expect(crossed.stderr.split(separator: "\n").count == 1)
    // It does not cross 25%, nor an absolute limit above the change.
    let notCrossed = try vmmap(
      "compare", r.a, path, "--fail-on-change", "--threshold", "rss=25%")
    #expect(notCrossed.status == 0, "\(notCrossed.stderr)")
    #expect(
      try vmmap(
        "compare", r.a, path, "--fail-on-change", "--threshold",
        "rss=\(rss / 5 + 1)"
      ).status == 0)
    #expect(
      try vmmap(
        "compare", r.a, path, "--fail-on-change", "--threshold", "rss=\(rss / 5 - 1)"
      ).status == 1)
    // --fail-on-change alone fails on any difference, and not on none.
    #expect(try vmmap("compare", r.a, path, "--fail-on-change").status == 1)
    #expect(try vmmap("compare", r.a, r.a, "--fail-on-change").status == 0)
    // The JSON records the check.
    let json = try vmmap("compare", r.a, path, "--json", "--threshold", "rss=10%")
    let object = try jsonObject(json.stdout)
    let checks = try #require(object["thresholds"] as? [[String: Any]])
    #expect(checks.first?["crossed"] as? Bool == true)
    // An unknown metric or a malformed limit is a usage error.
    #expect(try vmmap("compare", r.a, r.a, "--threshold", "speed=1%").status == 64)
    #expect(try vmmap("compare", r.a, r.a, "--threshold", "rss=ten").status == 64)
  }

  @Test func everyFormatRendersAndJSONDecodes() throws {
    let r = try Self.reports.get()
    let md = try vmmap("compare", r.a, r.b, "--format", "md")
    #expect(md.status == 0, "\(md.stderr)")
    #expect(md.text.contains("## Process layout: specimen"))
    #expect(md.text.contains("| Experiment | Measure | A | B | Change | Changed |"))
    let html = try vmmap("compare", r.a, r.b, "--format", "html")
    #expect(html.status == 0, "\(html.stderr)")
    #expect(html.text.contains("<table>"))
    #expect(!html.text.contains("<script"))
    #expect(!html.text.contains("vmmap table="), "a mark was left unreplaced")
    let json = try vmmap("compare", r.a, r.b, "--json")
    let object = try jsonObject(json.stdout)
    #expect(object["schemaVersion"] as? Int == 1)
    #expect(object["inputs"] as? String == "report")
    let saved = r.scratch.path + "/c.json"
    #expect(
      try vmmap(
        "compare", r.a, r.b, "--threshold", "rss=1%", "--threshold", "faults=1", "-o", saved
      )
      .status == 0)
    let check = try Self.validate(saved, schema: "compare")
    #expect(check.text == "valid\n", "\(check.stderr)")
    // Deterministic: the same inputs give the same bytes.
    #expect(try vmmap("compare", r.a, r.b, "--format", "md").stdout == md.stdout)
    // -o writes the file atomically, with the format from its extension.
    let out = r.scratch.path + "/c.html"
    #expect(try vmmap("compare", r.a, r.b, "-o", out).status == 0)
    #expect(try String(contentsOfFile: out, encoding: .utf8).hasPrefix("<!DOCTYPE html>"))
  }

  // MARK: maps

  @Test func twoASLRDrawsOfOneProgramHaveTheSameLayout() throws {
    let dir = Scratch()
    var starts: [String] = []
    for name in ["a", "b"] {
      let sleeper = try Sleeper()
      let maps = try readProcFile("/proc/\(sleeper.pid)/maps")
      try maps.write(toFile: dir.path + "/\(name).maps", atomically: true, encoding: .utf8)
      starts.append(String(maps.prefix { $0 != "-" }))
    }
    let aslr = try readProcFile("/proc/sys/kernel/randomize_va_space")
    if aslr.hasPrefix("2") { #expect(starts[0] != starts[1], "ASLR is on, yet sleep did not move") }
    let c = try Comparison.compare(
      try CompareInput.load(dir.path + "/a.maps"), try CompareInput.load(dir.path + "/b.maps"))
    let map = try #require(c.layouts.first)
    #expect(map.added.isEmpty && map.removed.isEmpty && map.changed.isEmpty)
    #expect(c.differences == 0)
    #expect(map.unchanged == map.aTotals.regions && map.aTotals.regions > 10)
    let text = try vmmap("compare", dir.path + "/a.maps", dir.path + "/b.maps")
    #expect(text.status == 0)
    #expect(text.text.hasSuffix("No differences.\n"))
  }

  @Test func aProcessThatMapsANewFileShowsItAdded() throws {
    let dir = Scratch()
    let file = dir.path + "/data.bin"
    try Data(repeating: 7, count: 64 << 10).write(to: URL(fileURLWithPath: file))
    let grower = try Grower(file: file)
    let before = dir.path + "/before.smaps"
    try readProcFile("/proc/\(grower.pid)/smaps").write(
      toFile: before, atomically: true, encoding: .utf8)
    try grower.send("f")
    let c = try Comparison.compare(
      try CompareInput.load(before), try CompareInput.load("pid:\(grower.pid)"))
    let map = try #require(c.layouts.first)
    #expect(map.added.map(\.identity) == [file + " private-file"])
    #expect(map.added.first?.size == 64 << 10)
    #expect(map.added.first?.rss == 64 << 10)
    #expect(map.removed.isEmpty)
    let kinds = map.kinds.map(\.kind)
    #expect(kinds.contains(.privateFile))
    // Through the binary, the map JSON of the live process against the saved smaps.
    let json = dir.path + "/after.json"
    let saved = try vmmap("--map", "\(grower.pid)", "--json")
    try saved.stdout.write(to: URL(fileURLWithPath: json))
    let run = try vmmap("compare", before, json)
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.text.contains("Added (1)"))
    #expect(run.text.contains(file + " private-file"))
    grower.finish()
  }

  @Test func hostileNamesAreEscapedInEveryFormat() throws {
    let dir = Scratch()
    let plain = "00400000-00401000 r-xp 00000000 fe:00 1234 /usr/bin/true\n"
    let hostile =
      plain
      + "00600000-00601000 r--p 00000000 fe:00 99 /tmp/<script>alert(1)</script> | `x` \u{1b}[31mred \u{202e}evil [a](javascript:1)\n"
    try plain.write(toFile: dir.path + "/a.maps", atomically: true, encoding: .utf8)
    try hostile.write(toFile: dir.path + "/b.maps", atomically: true, encoding: .utf8)
    let a = dir.path + "/a.maps"
    let b = dir.path + "/b.maps"
    let text = try vmmap("compare", a, b)
    #expect(text.status == 0, "\(text.stderr)")
    #expect(text.text.contains("\\x1b[31mred"))
    #expect(text.text.contains("\\u202e"))
    #expect(!text.stdout.contains(0x1b))
    let md = try vmmap("compare", a, b, "--format", "md")
    #expect(md.status == 0, "\(md.stderr)")
    #expect(!md.stdout.contains(0x1b))
    let row = try #require(md.text.split(separator: "\n").first { $0.contains("alert") })
    // One region row of five cells (the name's `|` escaped), the name in a code span.
    #expect(row.hasPrefix("| ``"))
    let html = try vmmap("compare", a, b, "--format", "html")
    #expect(html.status == 0, "\(html.stderr)")
    #expect(!html.text.contains("<script"))
    #expect(html.text.contains("&lt;script&gt;"))
    #expect(!html.text.contains("href=\"javascript"))
    #expect(!html.stdout.contains(0x1b))
  }

  @Test func aRegionThatBecameWritableAndExecutableIsCalledOut() throws {
    let dir = Scratch()
    let text = "00400000-00401000 r-xp 00000000 fe:00 1234 /usr/bin/true\n"
    try (text + "7f0000000000-7f0000004000 rw-p 00000000 00:00 0\n").write(
      toFile: dir.path + "/a.maps", atomically: true, encoding: .utf8)
    // The same anonymous region, elsewhere (ASLR) and now rwx.
    try (text + "7f1234560000-7f1234564000 rwxp 00000000 00:00 0\n").write(
      toFile: dir.path + "/b.maps", atomically: true, encoding: .utf8)
    let c = try Comparison.compare(
      try CompareInput.load(dir.path + "/a.maps"), try CompareInput.load(dir.path + "/b.maps"))
    let map = try #require(c.layouts.first)
    #expect(map.becameWritableExecutable == ["anonymous"])
    #expect(map.changed.map(\.identity) == ["anonymous"])
    #expect(map.changed.first?.aPermissions == "rw-p" && map.changed.first?.bPermissions == "rwxp")
    #expect(map.added.isEmpty && map.removed.isEmpty)
    let run = try vmmap("compare", dir.path + "/a.maps", dir.path + "/b.maps")
    #expect(run.text.contains("! anonymous became writable and executable"))
    #expect(run.text.contains("rw-p → rwxp"))
  }

  // MARK: bad input

  @Test(arguments: [
    ("report-vs-map", 64), ("newer-schema", 65), ("no-such-pid", 66), ("neither", 65),
    ("no-such-file", 66), ("array", 65),
  ])
  func badInputIsOneLineAndNoOutput(_ which: String, _ status: Int32) throws {
    let r = try Self.reports.get()
    let dir = Scratch()
    let maps = dir.path + "/self.maps"
    try readProcFile("/proc/self/maps").write(toFile: maps, atomically: true, encoding: .utf8)
    var args: [String]
    switch which {
    case "report-vs-map": args = [r.a, maps]
    case "newer-schema":
      var object = try jsonObject(try Data(contentsOf: URL(fileURLWithPath: r.a)))
      object["schemaVersion"] = 99
      let newer = dir.path + "/newer.json"
      try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: newer))
      args = [newer, r.a]
    case "no-such-pid": args = [maps, "pid:999999999"]
    case "neither":
      try "hello\nworld\n".write(toFile: dir.path + "/x.txt", atomically: true, encoding: .utf8)
      args = [dir.path + "/x.txt", maps]
    case "array":
      try "[{}]".write(toFile: dir.path + "/x.json", atomically: true, encoding: .utf8)
      args = [dir.path + "/x.json", maps]
    default: args = [dir.path + "/missing.json", r.a]
    }
    let out = dir.path + "/out.md"
    let run = try VMMapTestSupport.run(vmmapBinary, ["compare"] + args + ["-o", out])
    #expect(run.status == status, "\(run.stderr)")
    #expect(run.stderr.hasPrefix("vmmap: "))
    #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    #expect(run.stdout.isEmpty)
    #expect(!FileManager.default.fileExists(atPath: out))
  }
}
