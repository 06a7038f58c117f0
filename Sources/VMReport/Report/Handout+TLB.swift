import VMExperiments
import VMMapCore

extension HandoutView {
  /// `tlbSweep`: the short sweep's numbers, escaped for Markdown.
  func tlbContext(_ c: inout [String: Any]) {
    guard let t = report.tlb?.result else { return }
    var e: [String: Any] = [:]
    e["maxWorkingSet"] = Self.size(t.options.maxWorkingSet)
    e["repeats"] = "\(t.options.repeats)"
    e["cpu"] = t.cpu.map { "CPU \($0)" } ?? "no CPU in particular (pinning failed)"
    func ns(_ v: Double?) -> String { v.map { SizeFormat.fixed($0, places: 1) + " ns" } ?? "?" }
    if let first = t.curve(.base, .random)?.points.first {
      e["firstNs"] = ns(first.nanosecondsPerAccess)
      e["firstSize"] = Self.size(first.workingSet)
    }
    e["largest"] = Self.size(t.reach.largestWorkingSet)
    e["baseNs"] = ns(t.reach.baseNanoseconds)
    e["hugeNs"] = ns(t.reach.hugeNanoseconds)
    e["packedNs"] = ns(t.curve(.base, .packed)?.points.last?.nanosecondsPerAccess)
    e["sequentialNs"] = ns(t.curve(.base, .sequential)?.points.last?.nanosecondsPerAccess)
    let reach = zip(t.reach.tlbKnees, t.reach.entries).map {
      "\(Self.size($0)) (\(thousands($1)) entries)"
    }
    if !reach.isEmpty { e["reach"] = Self.md(reach.joined(separator: " and ")) }
    if let reported = t.reportedTLB {
      e["reported"] = Self.code(reported)
      e["reportedReach"] = t.reach.reportedReach.map(Self.size) ?? "?"
    }
    switch t.reach.hugePagesMoveKnees {
    case true?:
      e["hugeVerdict"] =
        "With huge pages those knees are gone: one entry maps \(thousands(Int(t.hugePageSize / t.pageSize))) times as much."
    case false?:
      e["hugeVerdict"] =
        t.reach.virtualMachine
        ? "With huge pages the curve steps at the same working sets. This machine is a virtual machine (the CPU flags list `hypervisor`): its TLB caches guest-virtual to host-physical translations, and an entry is never larger than the host's page behind the guest's memory, which the guest cannot see. The host evidently uses 4 KiB pages here; huge pages in the guest still save one level of the guest's page walk, which is the gap between the curves past the last knee."
        : "With huge pages the curve steps at the same working sets: the CPU kept 4 KiB entries for them."
    case nil: break
    }
    e["counter"] =
      t.counter.available
      ? "The hardware counter `dTLB-load-misses` opened, and the JSON model carries misses per access for every point."
      : Self.md(
        "The hardware counter dTLB-load-misses could not be used: \(t.counter.error ?? "unknown error"). The timing curve is the measurement."
      )
    for region in t.regions where region.backing == .huge {
      e["anonHuge"] = Self.size(region.anonHugePages)
      e["hugeRegion"] = Self.size(region.size)
    }
    c["tlbSweep"] = e
  }
}

extension HandoutMarks {
  /// `tlb`: nanoseconds per access for each working set, one column per curve.
  func tlbTable() -> ReportTable? {
    guard let t = report.tlb?.result, let base = t.curve(.base, .random) else { return nil }
    let order: [(TLBBacking, TLBOrder, String)] = [
      (.base, .random, "4 KiB random"), (.base, .sequential, "4 KiB in order"),
      (.base, .packed, "control: lines packed"), (.huge, .random, "2 MiB random"),
      (.huge, .sequential, "2 MiB in order"),
    ]
    let curves = order.compactMap { o in t.curve(o.0, o.1).map { (o.2, $0) } }
    let knees = Set(base.knees.filter { $0.cause == "tlb" }.map(\.workingSet))
    func ns(_ v: Double) -> String { SizeFormat.fixed(v, places: 1) }
    let rows = base.points.indices.map { i -> [String] in
      let point = base.points[i]
      return [SizeFormat.iec(point.workingSet) + (knees.contains(point.workingSet) ? " ←" : "")]
        + curves.map { _, c in
          c.points.indices.contains(i) ? ns(c.points[i].nanosecondsPerAccess) : ""
        }
    }
    return ReportTable(
      columns: [.init("Working set")] + curves.map { .init($0.0 + " (ns)", .right) }, rows: rows,
      caption:
        "Median nanoseconds per dependent load, one load per 4 KiB page; ← marks the last working set before a TLB knee."
    )
  }
}
