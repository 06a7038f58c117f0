import VMMapCore

/// The tables of a comparison, by mark name (`compare.md`'s `vmmap table=NAME`), and the same
/// tables for the terminal. Cells are plain text; each stage escapes them for its format.
struct ComparisonTables: ReportMarkSource {
  let comparison: Comparison
  /// The most regions one list shows (the JSON keeps them all).
  var regionRowLimit = 500

  func figure(named name: String) -> ReportFigure? { nil }

  func table(named name: String) -> ReportTable? {
    switch name {
    case "machine": return machine()
    case "experiments": return experiments(changedOnly: false)
    case "experiments-changed": return experiments(changedOnly: true)
    case "thresholds": return thresholds()
    default:
      for l in comparison.layouts {
        let prefix = "layout-\(l.role)-"
        guard name.hasPrefix(prefix) else { continue }
        switch name.dropFirst(prefix.count) {
        case "totals": return Self.totals(l)
        case "kinds": return Self.kinds(l)
        case "added": return regions(l.added, of: l, sign: "added")
        case "removed": return regions(l.removed, of: l, sign: "removed")
        case "changed": return changed(l)
        default: return nil
        }
      }
      return nil
    }
  }

  func machine() -> ReportTable {
    ReportTable(
      columns: [.init("Fact"), .init("A"), .init("B")],
      rows: comparison.machine.map { [$0.label, $0.a ?? "–", $0.b ?? "–"] },
      caption: "Facts that differ; memory available, which moves from run to run, is left out.")
  }

  func experiments(changedOnly: Bool) -> ReportTable {
    var rows: [[String]] = []
    for e in comparison.experiments {
      if let why = e.aMissing ?? e.bMissing {
        let side = e.aMissing != nil ? "A" : "B"
        rows.append([e.experiment, "(\(side): \(why))", "", "", "", ""])
        if changedOnly { continue }
      }
      for m in e.measures where !changedOnly || m.changed {
        let a = m.unit == .text ? m.aText ?? "–" : ComparisonFormat.value(m.a, unit: m.unit)
        let b = m.unit == .text ? m.bText ?? "–" : ComparisonFormat.value(m.b, unit: m.unit)
        var change = ""
        if let x = m.a, let y = m.b {
          change =
            x == y
            ? "0"
            : ComparisonFormat.delta(y - x, bytes: m.unit == .bytes)
              + (m.unit == .nanoseconds ? " ns" : "") + " ("
              + ComparisonFormat.percent(x, y) + ")"
        } else if m.unit == .text {
          change = m.aText == m.bText ? "same" : "differs"
        }
        let verdict =
          m.changed
          ? (m.noise > 0 ? "yes, beyond ±\(ComparisonFormat.value(m.noise, unit: m.unit))" : "yes")
          : m.noise > 0 ? "within noise" : "no"
        rows.append([e.experiment, m.label, a, b, change, verdict])
      }
    }
    return ReportTable(
      columns: [
        .init("Experiment"), .init("Measure"), .init("A", .right), .init("B", .right),
        .init("Change", .right), .init("Changed"),
      ],
      rows: rows,
      caption:
        "Each measure of A beside B's. A change counts when it exceeds the spread of the experiment's repeats; these experiments record no repeats, so any difference counts."
    )
  }

  func thresholds() -> ReportTable {
    var rows: [[String]] = []
    for t in comparison.thresholds {
      if t.crossings.isEmpty {
        rows.append([t.threshold, "no", "checked against \(t.checked) values"])
      }
      for c in t.crossings { rows.append([t.threshold, "crossed", c]) }
    }
    return ReportTable(
      columns: [.init("Threshold"), .init("Crossed"), .init("Where")], rows: rows)
  }

  static func totals(_ l: LayoutComparison) -> ReportTable {
    let a = l.aTotals
    let b = l.bTotals
    var rows: [[String]] = []
    func add(_ what: String, _ x: UInt64?, _ y: UInt64?, bytes: Bool) {
      guard x != nil || y != nil else { return }
      let fx = x.map { ComparisonFormat.value(Double($0), bytes: bytes) } ?? "–"
      let fy = y.map { ComparisonFormat.value(Double($0), bytes: bytes) } ?? "–"
      var change = "–"
      if let x, let y { change = ComparisonFormat.change(Double(x), Double(y), bytes: bytes) }
      rows.append([what, fx, fy, change])
    }
    add("Regions", UInt64(a.regions), UInt64(b.regions), bytes: false)
    add("Virtual", a.virtual, b.virtual, bytes: true)
    add("RSS", a.rss, b.rss, bytes: true)
    add("PSS", a.pss, b.pss, bytes: true)
    add("Swap", a.swap, b.swap, bytes: true)
    add("Minor faults so far", a.minorFaults, b.minorFaults, bytes: false)
    add("Major faults so far", a.majorFaults, b.majorFaults, bytes: false)
    return ReportTable(
      columns: [.init("Total"), .init("A", .right), .init("B", .right), .init("Change", .right)],
      rows: rows)
  }

  static func kinds(_ l: LayoutComparison) -> ReportTable {
    Self.withoutCounters(l, kindsTable(l))
  }

  /// Without counters on both sides, the counter columns say nothing: they are dropped.
  static func withoutCounters(_ l: LayoutComparison, _ t: ReportTable)
    -> ReportTable
  {
    guard !l.hasCounters else { return t }
    var out = t
    let counterColumns = Set(
      t.columns.indices.filter {
        ["RSS", "RSS change", "PSS change", "Swap change"].contains(t.columns[$0].title)
      })
    out.columns = t.columns.indices.filter { !counterColumns.contains($0) }.map { t.columns[$0] }
    out.rows = t.rows.map { row in
      row.indices.filter { !counterColumns.contains($0) }.map { row[$0] }
    }
    return out
  }

  static func kindsTable(_ l: LayoutComparison) -> ReportTable {
    ReportTable(
      columns: [
        .init("Kind"), .init("Regions", .right), .init("Size", .right),
        .init("Size change", .right),
        .init("RSS", .right), .init("RSS change", .right), .init("PSS change", .right),
        .init("Swap change", .right),
      ],
      rows: l.kinds.map { k in
        [
          k.kind.rawValue, "\(k.aRegions) → \(k.bRegions)",
          "\(SizeFormat.iec(k.aSize)) → \(SizeFormat.iec(k.bSize))",
          ComparisonFormat.sizeDelta(k.aSize, k.bSize),
          "\(ComparisonFormat.size(k.aRSS)) → \(ComparisonFormat.size(k.bRSS))",
          ComparisonFormat.sizeDelta(k.aRSS, k.bRSS), ComparisonFormat.sizeDelta(k.aPSS, k.bPSS),
          ComparisonFormat.sizeDelta(k.aSwap, k.bSwap),
        ]
      },
      caption: l.hasCounters
        ? "Kinds whose totals differ, largest RSS change first."
        : "Kinds whose totals differ, largest size change first (no counters: maps only).")
  }

  func regions(_ list: [RegionSide], of l: LayoutComparison, sign: String) -> ReportTable {
    Self.withoutCounters(l, regionsTable(list, sign: sign))
  }

  func regionsTable(_ list: [RegionSide], sign: String) -> ReportTable {
    var table = ReportTable(
      columns: [
        .init("Region"), .init("Kind"), .init("Permissions"), .init("Size", .right),
        .init("RSS", .right),
      ],
      rows: list.prefix(regionRowLimit).map {
        [
          $0.identity, $0.kind.rawValue, $0.permissions, SizeFormat.iec($0.size),
          ComparisonFormat.size($0.rss),
        ]
      })
    if list.count > regionRowLimit {
      table.caption =
        "The \(thousands(regionRowLimit)) largest of \(thousands(list.count)) \(sign) regions; --format json lists all."
    }
    return table
  }

  func changed(_ l: LayoutComparison) -> ReportTable {
    Self.withoutCounters(l, changedTable(l))
  }

  func changedTable(_ l: LayoutComparison) -> ReportTable {
    var table = ReportTable(
      columns: [
        .init("Region"), .init("Size"), .init("Size change", .right), .init("RSS change", .right),
        .init("PSS change", .right), .init("Swap change", .right), .init("Permissions"),
      ],
      rows: l.changed.prefix(regionRowLimit).map { c in
        [
          c.identity, c.aSize == c.bSize ? SizeFormat.iec(c.bSize) : c.sizeChange,
          ComparisonFormat.sizeDelta(c.aSize, c.bSize), ComparisonFormat.sizeDelta(c.aRSS, c.bRSS),
          ComparisonFormat.sizeDelta(c.aPSS, c.bPSS), ComparisonFormat.sizeDelta(c.aSwap, c.bSwap),
          c.aPermissions == c.bPermissions
            ? c.bPermissions : "\(c.aPermissions) → \(c.bPermissions)",
        ]
      })
    table.caption =
      l.changed.count > regionRowLimit
      ? "The \(thousands(regionRowLimit)) largest RSS changes of \(thousands(l.changed.count)); --format json lists all."
      : "Largest RSS change first."
    return table
  }
}
