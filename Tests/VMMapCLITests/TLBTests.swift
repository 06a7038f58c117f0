import Foundation
import Glibc
import Testing
@testable import VMExperiments
import VMMapTestSupport

/// The knee finder on synthetic curves, and `vmmap --tlb` run for real, briefly.
@Suite struct TLBTests {
  /// Working sets as the experiment makes them: 4 per octave, 4 KiB to 64 MiB.
  static let pages = TLBExperiment.workingSetPages(upTo: 16384, perOctave: 4)

  /// A deterministic ±`amplitude` multiplicative wobble (a linear congruential generator).
  static func noise(_ count: Int, amplitude: Double) -> [Double] {
    var state: UInt64 = 12345
    return (0..<count).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return 1 + amplitude * (Double(state >> 11) / Double(1 << 53) * 2 - 1)
    }
  }

  func curve(_ y: (Int) -> Double, noise amplitude: Double = 0) -> [(UInt64, Double)] {
    let wobble = Self.noise(Self.pages.count, amplitude: amplitude)
    return Self.pages.enumerated().map { (UInt64($1) * 4096, y($1) * wobble[$0]) }
  }

  @Test func workingSetsGrowByQuarterOctavesToTheMaximum() {
    let p = Self.pages
    #expect(p.first == 1 && p.last == 16384)
    #expect(zip(p, p.dropFirst()).allSatisfy { $0 < $1 })
    // 1, 1.19, 1.41, … pages: 14 octaves at 4 a doubling, minus repeats below 4 pages.
    #expect(p.contains(64) && p.contains(2048) && p.count >= 50)
  }

  @Test func twoStepsGiveTwoKneesAtTheLastPointOfEachPlateau() {
    // 1 ns up to 64 pages (256 KiB), 3 ns up to 2,048 (8 MiB), 10 ns beyond.
    let points = curve({ $0 <= 64 ? 1 : $0 <= 2048 ? 3 : 10 }, noise: 0.03)
    let knees = KneeFinder(window: 4).knees(points)
    #expect(knees.map(\.workingSet) == [256 << 10, 8 << 20])
    let next: [UInt64] = [76 * 4096, 2435 * 4096]
    #expect(knees.map(\.nextWorkingSet) == next)
    let before = knees.first?.before ?? 0
    let after = knees.first?.after ?? 0
    #expect(abs(before - 1) < 0.05)
    #expect(abs(after - 3) < 0.15)
  }

  @Test func aGradualRiseIsFoundWhereItBegins() {
    // A TLB of 2,048 entries and random access: a fraction 1 - E/N of accesses miss (6 ns).
    let points = curve { 2 + 6 * max(0, 1 - 2048 / Double($0)) }
    let knees = KneeFinder(window: 4).knees(points)
    #expect(knees.count == 1)
    let knee = knees.first?.workingSet ?? 0
    #expect(knee >= (8 << 20) * 2 / 3 && knee <= (8 << 20) * 3 / 2, "\(knee)")
  }

  @Test func aFlatNoisyCurveHasNoKnee() {
    #expect(KneeFinder().knees(curve({ _ in 5 }, noise: 0.08)).isEmpty)
    #expect(KneeFinder().knees([(4096, 1), (8192, 9)]).isEmpty)
  }

  @Test func medians() {
    #expect(KneeFinder.median([3, 1, 2]) == 2)
    #expect(KneeFinder.median([4, 1, 3, 2]) == 2.5)
    #expect(KneeFinder.median([]) == 0)
  }

  /// A short real sweep: 16 MiB, 2 rounds; the curve must rise with the working set, and the
  /// JSON must match its schema.
  @Test func aShortRunRisesWithTheWorkingSet() throws {
    let out = "/tmp/vmmap-tlb-\(getpid()).json"
    defer { unlink(out) }
    let r = try vmmap("--tlb", "--size", "16M", "--json", "-o", out)
    #expect(r.status == 0, "\(r.stderr)")
    let check = try validate(out, schema: "tlb.schema.json")
    #expect(check.status == 0, "\(check.stderr)")
    let report = try JSONDecoder().decode(
      TLBReport.self, from: try Data(contentsOf: URL(fileURLWithPath: out)))
    #expect(report.options.maxWorkingSet == 16 << 20)
    #expect(report.curves.count == 5)
    let base = try #require(report.curve(.base, .random))
    #expect(base.points.first?.pages == 1 && base.points.last?.pages == 4096)
    #expect(base.points.allSatisfy { $0.samples.count == report.options.repeats })
    // Timing on a loaded machine: compare the ends, each a median of rounds and of a quarter
    // of the curve, not neighbouring points.
    let quarter = max(2, base.points.count / 4)
    let low = KneeFinder.median(base.points.prefix(quarter).map(\.nanosecondsPerAccess))
    let high = KneeFinder.median(base.points.suffix(quarter).map(\.nanosecondsPerAccess))
    #expect(high > 1.5 * low, "\(low) ns → \(high) ns")
    // The regions: 4 KiB pages only, then (THP in madvise or always mode) huge pages.
    let regions = Dictionary(uniqueKeysWithValues: report.regions.map { ($0.backing, $0) })
    #expect(regions[.base]?.anonHugePages == 0)
    #expect(regions[.base]?.rss ?? 0 >= 16 << 20)
    let thp =
      (try? String(
        contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8)) ?? ""
    if !thp.contains("[never]") {
      #expect(regions[.huge]?.anonHugePages ?? 0 > 0)
    }
    // The counter: opened, or a reason given.
    #expect(report.counter.available || !(report.counter.error ?? "").isEmpty)
    #expect(report.sandbox != nil)
  }

  /// The handout runs the short sweep and shows it: the step's result in the model, the
  /// section's numbers, the table and the figure (validated as it was built) in the Markdown.
  @Test func theHandoutShowsTheShortSweep() throws {
    var template = Array("/tmp/vmmap-tlb-report.XXXXXX".utf8CString)
    let dir = String(cString: try #require(mkdtemp(&template)))
    defer { _ = try? run("/bin/rm", ["-rf", dir]) }
    let md = try vmmap("report", "--format", "md", "-o", dir + "/h.md")
    #expect(md.status == 0, "\(md.stderr)")
    let text = String(
      decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/h.md")), as: UTF8.self)
    #expect(text.contains("**Measured.** A child pinned to CPU "))
    #expect(text.contains("](tlb.svg)"))
    #expect(text.contains("| Working set | 4 KiB random \\(ns\\) |"))
    #expect(text.contains("`vmmap --tlb` runs the full one"))
    let svg = String(
      decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/tlb.svg")), as: UTF8.self)
    #expect(svg.contains("4 KiB pages, random order"))

    let json = try vmmap("report", "--json", "-o", dir + "/r.json")
    #expect(json.status == 0, "\(json.stderr)")
    let model = try #require(
      try JSONSerialization.jsonObject(
        with: try Data(contentsOf: URL(fileURLWithPath: dir + "/r.json"))) as? [String: Any])
    let step = try #require(model["tlb"] as? [String: Any])
    #expect(step["error"] == nil, "\(step)")
    let result = try #require(step["result"] as? [String: Any])
    let options = try #require(result["options"] as? [String: Any])
    #expect(options["maxWorkingSet"] as? Int == 64 << 20)
  }

  @Test func tlbGoesAlone() throws {
    for args in [
      ["--tlb", "--self"], ["--tlb", "--cow"], ["--tlb", "--format", "md"],
      ["--tlb", "--thp"], ["--tlb", "--size", "4K"],
    ] {
      let r = try run(vmmapBinary, args)
      #expect(r.status == 64, "\(args)")
      #expect(r.stdout.isEmpty)
      #expect(r.stderr.hasPrefix("vmmap: "), "\(r.stderr)")
    }
  }
}
