import VMMapCore

/// `vmmap compare` on a terminal: the same tables as the documents, aligned in columns, every
/// cell escaped with `TerminalEscape`. Experiments list their changed measures only.
public struct ComparisonTextRenderer: Sendable {
  /// The most regions one list shows.
  public var regionRowLimit: Int

  public init(regionRowLimit: Int = 40) {
    self.regionRowLimit = regionRowLimit
  }

  public func render(_ c: Comparison) -> String {
    let tables = ComparisonTables(comparison: c, regionRowLimit: regionRowLimit)
    var out = ""
    out += "vmmap compare: \(c.inputs)s\n"
    out += "  A: \(esc(c.a.source))  (\(esc(c.a.description)))\n"
    out += "  B: \(esc(c.b.source))  (\(esc(c.b.description)))\n"
    if c.inputs == "report" {
      out += "\nMACHINE\n"
      out += c.machine.isEmpty ? "  The same facts on both.\n" : table(tables.machine())
      out += "\nEXPERIMENTS\n"
      let changed = c.experiments.flatMap(\.measures).filter(\.changed).count
      let total = c.experiments.flatMap(\.measures).count
      let missing = c.experiments.filter { $0.aMissing != nil || $0.bMissing != nil }.count
      if changed == 0 && missing == 0 {
        out += "  No measure changed (\(total) compared, exactly: no repeats recorded).\n"
      } else {
        out += table(tables.experiments(changedOnly: true), caption: false)
        out +=
          "  \(changed) of \(total) measures changed (no repeats recorded: compared exactly).\n"
      }
    }
    for l in c.layouts {
      out +=
        "\nPROCESS LAYOUT: \(l.role.uppercased())  (regions matched by identity, not address)\n"
      out += table(ComparisonTables.totals(l))
      if !l.kinds.isEmpty {
        out += "\n  By kind\n" + table(ComparisonTables.kinds(l), caption: false)
      }
      if !l.added.isEmpty {
        out += "\n  Added (\(l.added.count))\n"
        out += table(tables.regions(l.added, of: l, sign: "added"))
      }
      if !l.removed.isEmpty {
        out += "\n  Removed (\(l.removed.count))\n"
        out += table(tables.regions(l.removed, of: l, sign: "removed"))
      }
      if !l.changed.isEmpty {
        out += "\n  Changed (\(l.changed.count), largest RSS change first)\n"
        out += table(tables.changed(l), caption: l.changed.count > regionRowLimit)
      }
      for w in l.becameWritableExecutable {
        out += "  ! \(esc(w)) became writable and executable\n"
      }
      out += "  \(l.unchanged) region\(l.unchanged == 1 ? "" : "s") unchanged.\n"
    }
    if !c.thresholds.isEmpty {
      out += "\nTHRESHOLDS\n" + table(tables.thresholds())
    }
    out += "\n"
    out +=
      c.differences == 0
      ? "No differences.\n"
      : "\(c.differences) difference\(c.differences == 1 ? "" : "s").\n"
    return out
  }

  func esc(_ s: String) -> String { TerminalEscape.escape(s) }

  /// The table in aligned columns, indented by two spaces, with its caption after it.
  func table(_ t: ReportTable, caption: Bool = true) -> String {
    let rows = [t.columns.map(\.title)] + t.rows
    let cells = rows.map { $0.map(esc) }
    var widths = [Int](repeating: 0, count: t.columns.count)
    for row in cells {
      for (k, cell) in row.enumerated() where k < widths.count {
        widths[k] = max(widths[k], cell.count)
      }
    }
    var out = ""
    for row in cells {
      var line = "  "
      for (k, cell) in row.enumerated() where k < widths.count {
        let pad = String(repeating: " ", count: widths[k] - cell.count)
        line += t.columns[k].alignment == .right ? pad + cell : cell + pad
        if k < row.count - 1 { line += "  " }
      }
      while line.hasSuffix(" ") { line.removeLast() }
      out += line + "\n"
    }
    if caption, let c = t.caption { out += "  " + esc(c) + "\n" }
    return out
  }
}
