import VMMapCore

/// The terminal views of a memory map: the seed's grouped layout, or one address-ordered table.
public struct MapTextRenderer {
  public enum Layout: Sendable { case grouped, table }

  public var layout: Layout
  public var selection: RegionSelection
  public var style: TextStyle
  /// Whether swap is configured on this machine (nil: unknown, as for a saved file).
  public var swapConfigured: Bool?

  public init(
    layout: Layout = .grouped, selection: RegionSelection = RegionSelection(),
    style: TextStyle = TextStyle(enabled: false), swapConfigured: Bool? = nil
  ) {
    self.layout = layout
    self.selection = selection
    self.style = style
    self.swapConfigured = swapConfigured
  }

  public func render(_ map: MemoryMap) -> String {
    var out = ""
    let summary = MapSummary(map)
    out += header(map)
    out += summaryText(map, summary)
    let shown = selection.apply(to: map)
    if shown.count != map.regions.count {
      out += "\nShowing \(grouped(shown.count)) of \(grouped(map.regions.count)) regions"
      var how: [String] = []
      if !selection.kinds.isEmpty {
        how.append("kind " + selection.kinds.map(\.rawValue).sorted().joined(separator: ","))
      }
      if let top = selection.top { how.append("top \(top) by \(selection.sortKey(for: map))") }
      out += how.isEmpty ? "\n" : " (" + how.joined(separator: ", ") + ")\n"
    }
    let columns = Columns(map: map, rows: shown)
    switch layout {
    case .grouped: out += groupedText(map, shown, columns)
    case .table: out += tableText(map, shown, columns)
    }
    if shown.contains(where: { map.regions[$0].classification.certainty == .inferred }) {
      out +=
        "\n"
        + style.dim(
          "* inferred from position, size or name, not read from the kernel or the ELF file (vmmap --detail ADDR shows the evidence)"
        ) + "\n"
    }
    out += "=== END MAP ===\n"
    return out
  }

  // MARK: header and summary

  func header(_ map: MemoryMap) -> String {
    var out: String
    switch map.source {
    case .live(let pid): out = style.bold("=== VIRTUAL MEMORY MAP (PID \(pid)) ===") + "\n"
    case .file(let path):
      out =
        style.bold("=== VIRTUAL MEMORY MAP (saved file \(TerminalEscape.escape(path))) ===") + "\n"
    }
    if !map.commandLine.isEmpty {
      out +=
        "Command:     " + map.commandLine.map { TerminalEscape.escape($0) }.joined(separator: " ")
        + "\n"
    }
    if let exe = map.executable { out += "Executable:  " + TerminalEscape.escape(exe) + "\n" }
    if map.threads.count > 1 {
      out += "Threads:     \(map.threads.count)\n"
    }
    return out
  }

  func summaryText(_ map: MemoryMap, _ s: MapSummary) -> String {
    let space = AddressSpace.current
    var lines: [(String, String, String)] = []
    lines.append(
      (
        "Regions", grouped(s.regionCount),
        "in a \(space.virtualAddressBits - 1)-bit user address space of \(SizeFormat.iec(space.userTop)) (\(space.pagingLevels)-level paging)"
      ))
    var virtualNote = "sum of region sizes"
    if let vm = s.vmSize {
      virtualNote +=
        s.vsyscallSize > 0
        ? "; VmSize \(SizeFormat.iec(vm)) + [vsyscall] \(SizeFormat.iec(s.vsyscallSize)), which the kernel does not count"
        : "; VmSize \(SizeFormat.iec(vm))"
    }
    lines.append(("Total virtual", SizeFormat.iec(s.totalVirtual), virtualNote))
    if s.hasCounters {
      lines.append(
        (
          "Resident (RSS)", SizeFormat.iec(s.resident),
          "pages in RAM now, shared ones counted in full"
        ))
      lines.append(
        (
          "PSS", SizeFormat.iec(s.pss),
          "proportional share: each shared page divided by its mappers (\(s.pssSource.rawValue))"
        ))
      lines.append(
        (
          "Shared", SizeFormat.iec(s.shared),
          "resident pages also mapped by other processes (\(s.sharedSource.rawValue))"
        ))
      lines.append(
        (
          "Private dirty", SizeFormat.iec(s.privateDirty),
          "written by this process only: freed when it exits"
        ))
      lines.append(
        ("Anonymous", SizeFormat.iec(s.anonymous), "resident pages with no file behind them"))
      switch swapConfigured {
      case false?: lines.append(("Swap", "none", "no swap is configured on this machine"))
      default: lines.append(("Swap", SizeFormat.iec(s.swap), "pages of this process in swap"))
      }
    } else {
      lines.append(
        ("Resident (RSS)", "unknown", "a maps file has no counters: save smaps for RSS and PSS"))
    }
    if let g = s.largestGap {
      lines.append(
        (
          "Gaps", grouped(s.gapCount),
          "largest free: \(SizeFormat.iec(g.size)) at \(hexAddress(g.start))-\(hexAddress(g.end))"
        ))
    } else {
      lines.append(("Gaps", "0", ""))
    }
    if s.writableExecutable.isEmpty {
      lines.append(("Writable+exec", "none", "no region is writable and executable at once"))
    } else {
      let n = s.writableExecutable.count
      lines.append(
        (
          "Writable+exec", style.red("\(n) region" + (n == 1 ? "" : "s")),
          "writable and executable at once (marked W+X below): code can be written and run"
        ))
    }
    var out = "\n" + style.bold("SUMMARY") + "\n"
    for (label, value, note) in lines {
      out +=
        "  " + padRight(label, 16) + padLeft(value, 10)
        + (note.isEmpty ? "" : "  " + style.dim(note)) + "\n"
    }
    out += "\n" + kindTable(s) + "\n" + permissionTable(s)
    return out
  }

  func kindTable(_ s: MapSummary) -> String {
    var out = style.bold(padRight("BY KIND", 20)) + padLeft("Regions", 8) + padLeft("Size", 11)
    if s.hasCounters { out += padLeft("RSS", 11) + padLeft("PSS", 11) + padLeft("Swap", 11) }
    out += "\n"
    for (kind, t) in s.byKind {
      out +=
        "  " + padRight(kind.rawValue, 18) + padLeft(grouped(t.regions), 8)
        + padLeft(SizeFormat.iec(t.size), 11)
      if s.hasCounters {
        out +=
          padLeft(SizeFormat.iec(t.rss), 11) + padLeft(SizeFormat.iec(t.pss), 11)
          + padLeft(SizeFormat.iec(t.swap), 11)
      }
      out += "\n"
    }
    if s.hasCounters && s.pssSource == .rollup {
      out +=
        style.dim(
          "  (PSS by kind is summed per region; the kernel rounds each, so it can differ from the total by a few KiB)"
        ) + "\n"
    }
    return out
  }

  func permissionTable(_ s: MapSummary) -> String {
    var out =
      style.bold(padRight("BY PERMISSION", 20)) + padLeft("Regions", 8) + padLeft("Size", 11)
    if s.hasCounters { out += padLeft("RSS", 11) }
    out += "\n"
    for (perms, t) in s.byPermission {
      let label =
        perms.hasPrefix("rwx")
          || (perms.dropFirst().first == "w" && perms.dropFirst(2).first == "x")
        ? style.red(perms) : perms
      out +=
        "  " + label + String(repeating: " ", count: 18 - perms.count)
        + padLeft(grouped(t.regions), 8)
        + padLeft(SizeFormat.iec(t.size), 11)
      if s.hasCounters { out += padLeft(SizeFormat.iec(t.rss), 11) }
      out += "\n"
    }
    return out
  }

  // MARK: rows

  struct Columns {
    var rangeWidth: Int
    var counters: Bool

    init(map: MemoryMap, rows: [Int]) {
      var width = 29
      for i in rows {
        let r = map.regions[i]
        width = max(width, 5 + digits(r.start) + digits(r.end))
      }
      rangeWidth = width
      counters = map.hasCounters
    }

    static let numeric: [(String, SmapsField?)] = [
      ("RSS", .rss), ("PSS", .pss), ("ShrCln", .sharedClean), ("ShrDty", .sharedDirty),
      ("PrvCln", .privateClean), ("PrvDty", .privateDirty), ("Swap", .swap),
    ]
  }

  static func digits(_ a: UInt64) -> Int { max(12, hex(a).count) }

  func headerRow(_ c: Columns, kindColumn: Bool) -> String {
    var s = "  " + padRight("Address Range", c.rangeWidth) + padLeft("Size", 9) + " Perms"
    if c.counters { for (name, _) in Columns.numeric { s += padLeft(name, 8) } }
    if kindColumn { s += "  " + padRight("Kind", 16) }
    s += "  Description"
    return style.dim(s) + "\n"
  }

  func row(_ map: MemoryMap, _ i: Int, _ c: Columns, kindColumn: Bool) -> String {
    let r = map.regions[i]
    let range = hexAddress(r.start, width: 12) + "-" + hexAddress(r.end, width: 12)
    var s = "  " + padRight(range, c.rangeWidth) + padLeft(SizeFormat.iec(r.size), 9) + " "
    s +=
      r.permissions.isWritableAndExecutable
      ? style.red(r.permissions.description) : r.permissions.description
    if c.counters {
      for (_, field) in Columns.numeric {
        s += padLeft(r.counters.map { SizeFormat.compact($0[field!]) } ?? "-", 8)
      }
    }
    if kindColumn { s += "  " + padRight(r.classification.kind.rawValue, 16) }
    s += "  " + describe(r)
    return s + "\n"
  }

  /// The description column: the classifier's words, escaped, with markers.
  func describe(_ r: Region) -> String {
    var d = TerminalEscape.escape(r.classification.description)
    if d.isEmpty { d = TerminalEscape.escape(r.mapping.rawName) }
    if r.classification.certainty == .inferred { d += " *" }
    if r.permissions.isWritableAndExecutable { d += " " + style.red("[W+X]") }
    return d
  }

  // MARK: layouts

  func groupedText(_ map: MemoryMap, _ shown: [Int], _ c: Columns) -> String {
    var byGroup: [RegionGroup: [Int]] = [:]
    for i in shown { byGroup[RegionGroup(region: i, of: map), default: []].append(i) }
    var out = ""
    for group in RegionGroup.allCases {
      guard let rows = byGroup[group], !rows.isEmpty else { continue }
      var title = group.rawValue
      if group == .executable, let exe = map.executable ?? map.regions[rows[0]].classification.owner
      {
        title += " (" + TerminalEscape.escape(exe) + ")"
      }
      out += "\n" + style.bold(title + ":") + "\n"
      out += headerRow(c, kindColumn: false)
      if group == .sharedLibraries {
        // One block per object, in order of first appearance.
        var owners: [PathBytes] = []
        var rowsOf: [PathBytes: [Int]] = [:]
        for i in rows {
          let owner =
            map.regions[i].classification.owner ?? map.regions[i].filePath ?? PathBytes([])
          if rowsOf[owner] == nil { owners.append(owner) }
          rowsOf[owner, default: []].append(i)
        }
        for owner in owners {
          out +=
            "  " + style.cyan(TerminalEscape.escape(owner.lastComponent)) + "  "
            + style.dim(TerminalEscape.escape(owner)) + "\n"
          for i in rowsOf[owner]! { out += row(map, i, c, kindColumn: false) }
        }
      } else {
        for i in rows { out += row(map, i, c, kindColumn: false) }
      }
    }
    if selection.isEverything && selection.sort == nil {
      out += gapsText(map)
    }
    return out
  }

  func gapsText(_ map: MemoryMap) -> String {
    let gaps = map.gaps
    guard !gaps.isEmpty else { return "" }
    var out = "\n" + style.bold("GAPS (unmapped address space between regions):") + "\n"
    out +=
      style.dim("  " + padRight("Address Range", 29) + padLeft("Size", 11) + "  Between") + "\n"
    for g in gaps {
      let range = hexAddress(g.start, width: 12) + "-" + hexAddress(g.end, width: 12)
      let between = [g.before, g.after].map { i in
        i.map { shortName(map.regions[$0]) } ?? "-"
      }.joined(separator: " and ")
      out +=
        "  " + padRight(range, 29) + padLeft(SizeFormat.iec(g.size), 11) + "  " + between + "\n"
    }
    return out
  }

  func shortName(_ r: Region) -> String {
    if let owner = r.classification.owner { return TerminalEscape.escape(owner.lastComponent) }
    return r.classification.kind.rawValue
  }

  func tableText(_ map: MemoryMap, _ shown: [Int], _ c: Columns) -> String {
    var out = "\n" + headerRow(c, kindColumn: true)
    let addressOrder = selection.sortKey(for: map) == .addr
    var previous: Int?
    for i in shown {
      if addressOrder, let p = previous {
        let gapStart = map.regions[p].end
        let gapEnd = map.regions[i].start
        if gapEnd > gapStart && i == p + 1 {
          out +=
            style.dim(
              "  " + padRight("", c.rangeWidth) + padLeft(SizeFormat.iec(gapEnd - gapStart), 9)
                + "      gap (unmapped)") + "\n"
        }
      }
      out += row(map, i, c, kindColumn: true)
      previous = i
    }
    return out
  }
}
