import ArgumentParser
import FoundationEssentials
import VMExperiments
import VMMapCore
import VMReport

extension VMMapCommand {
  /// Runs the TLB sweep in a sandboxed child and renders its report.
  func runTLB(style: TextStyle) throws {
    let options = try tlbOptions()
    let report = try runSandboxed(.tlb(options), as: TLBReport.self)
    try emitResult(report) { TLBTextRenderer(style: style).render(report) }
  }

  /// `--size` as the largest working set (default 1 GiB): at least 64 KiB, at most half of
  /// MemAvailable (the child makes each region resident in turn).
  func tlbOptions() throws(VMMapError) -> TLBOptions {
    let size =
      try demandSize.map { (s) throws(VMMapError) in try ByteSize.parse(s) }
      ?? TLBOptions.defaultMaxWorkingSet
    guard size >= 64 << 10 else {
      throw VMMapError(
        .usage, what: "--size '\(demandSize ?? "")'",
        why: "the sweep needs a largest working set of at least 64 KiB",
        fix: "give a size such as 1G")
    }
    if let available = memAvailable(), size > available / 2 {
      throw VMMapError(
        .usage, what: "--size '\(demandSize ?? "")'",
        why:
          "\(SizeFormat.iec(size)) is more than half of the memory available now (\(SizeFormat.iec(available)))",
        fix: "give at most \(SizeFormat.iec(available / 2))")
    }
    return TLBOptions(maxWorkingSet: size)
  }
}

/// The text form of a TLB report: one row per working set, the four curves side by side, a
/// bar for the 4 KiB random one, the knees marked.
struct TLBTextRenderer {
  var style: TextStyle

  func render(_ r: TLBReport) -> String {
    var out: [String] = []
    out.append("=== TLB REACH AND LOCALITY ===")
    out.append(
      "One dependent load per \(SizeFormat.iec(r.pageSize)) page, median of \(r.options.repeats) rounds, "
        + (r.cpu.map { "pinned to CPU \($0)" } ?? "not pinned (\(r.pinError ?? "?"))"))
    for region in r.regions {
      out.append(
        "  \(region.backing == .base ? "4 KiB region:" : "THP region:  ") \(region.start)-\(region.end) \(TerminalEscape.escape(region.advice)), AnonHugePages \(SizeFormat.iec(region.anonHugePages))"
      )
    }
    out.append(
      "  dTLB-load-misses: "
        + (r.counter.available
          ? "counted (perf_event_open), misses per access in the last column"
          : "not available: " + TerminalEscape.escape(r.counter.error ?? "?")))
    out.append(
      "  control: as many cache lines, random order, packed \(r.pageSize / 64) to a page: the caches' curve; a knee it lacks is the TLB's"
    )
    out.append("")
    let base = r.curve(.base, .random)
    let columns: [(TLBBacking, TLBOrder, String)] = [
      (.base, .random, "4K random"), (.base, .sequential, "4K seq"),
      (.base, .packed, "control"), (.huge, .random, "THP random"), (.huge, .sequential, "THP seq"),
    ]
    var header = pad("Working set", 12, left: true)
    for c in columns { header += pad(c.2, 12) }
    header += "  4K random (ns per access)"
    if r.counter.available { header += "  misses/access" }
    out.append(style.bold(header))
    let maxNs = base?.points.map(\.nanosecondsPerAccess).max() ?? 1
    let knees = Dictionary(
      (base?.knees ?? []).map { ($0.workingSet, $0) }, uniquingKeysWith: { a, _ in a })
    for (k, point) in (base?.points ?? []).enumerated() {
      var line = pad(SizeFormat.iec(point.workingSet), 12, left: true)
      for c in columns {
        let v = r.curve(c.0, c.1)?.points[safe: k]?.nanosecondsPerAccess
        line += pad(v.map { SizeFormat.fixed($0, places: 1) } ?? "-", 12)
      }
      let width = Int((point.nanosecondsPerAccess / maxNs * 30).rounded())
      line += "  " + String(repeating: "#", count: max(1, width))
      if let m = point.missesPerAccess { line += "  " + SizeFormat.fixed(m, places: 3) }
      if let knee = knees[point.workingSet] {
        line += style.bold(
          "  ← knee (\(knee.cause ?? "?")): \(SizeFormat.fixed(knee.before, places: 1)) → \(SizeFormat.fixed(knee.after, places: 1)) ns"
        )
      }
      out.append(line)
    }
    out.append("")
    out.append(style.bold("KNEES"))
    for curve in r.curves {
      let list = curve.knees.map {
        "\(SizeFormat.iec($0.workingSet)) (\($0.cause ?? "?"), \(SizeFormat.fixed($0.before, places: 1)) → \(SizeFormat.fixed($0.after, places: 1)) ns)"
      }
      out.append(
        "  \(pad(curve.backing == .base ? "4 KiB" : "THP", 6, left: true))\(pad(curve.order.rawValue, 11, left: true))"
          + (list.isEmpty ? "none" : list.joined(separator: ", ")))
    }
    let reach = r.reach
    out.append(
      "  TLB reach (4 KiB pages, measured): "
        + (reach.tlbKnees.isEmpty
          ? "not told apart from the caches in this run"
          : zip(reach.tlbKnees, reach.entries).map {
            "\(SizeFormat.iec($0)) = \(thousands($1)) entries"
          }.joined(separator: ", ")))
    if let reported = r.reportedTLB {
      out.append(
        "  /proc/cpuinfo TLB size: \(TerminalEscape.escape(reported))"
          + (reach.reportedReach.map { " = \(SizeFormat.iec($0)) of 4 KiB pages" } ?? ""))
    }
    out.append("")
    out.append("WHAT HAPPENED")
    let wrapper = CowTextRenderer(style: style)
    for paragraph in r.explanation {
      out += wrapper.wrap(TerminalEscape.escape(paragraph), first: "  - ", rest: "    ")
    }
    out.append("")
    out += wrapper.wrap("LESSON: " + TerminalEscape.escape(r.lesson), first: "", rest: "  ")
    if let usage = r.sandbox {
      out += wrapper.wrap(sandboxLine(usage, role: "the sweep"), first: "", rest: "  ")
    }
    out.append("=== END TLB ===")
    return out.joined(separator: "\n") + "\n"
  }

  func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - s.count))
    return left ? s + fill : fill + s
  }
}

extension Array {
  fileprivate subscript(safe index: Int) -> Element? {
    indices.contains(index) ? self[index] : nil
  }
}
