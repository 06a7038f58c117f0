import Dispatch
import VMMapCore

/// The terminal views of a memory map: the seed's grouped layout, or one address-ordered table.
public struct MapTextRenderer: Sendable {
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
    String(decoding: renderBytes(map), as: UTF8.self)
  }

  /// The view as UTF-8 bytes (what the CLI writes).
  public func renderBytes(_ map: MemoryMap) -> [UInt8] {
    var out = TextBuffer(capacity: 256 * map.regions.count + 8192)
    let summary = MapSummary(map)
    out.append(header(map))
    out.append(summaryText(map, summary))
    let shown = selection.apply(to: map)
    if let caption = selection.caption(shown: shown.count, of: map) {
      out.append("\nShowing " + caption + "\n")
    }
    let columns = Columns(map: map, rows: shown)
    switch layout {
    case .grouped: groupedText(map, shown, columns, summary, &out)
    case .table: tableText(map, shown, columns, &out)
    }
    if shown.contains(where: { map.regions[$0].classification.certainty == .inferred }) {
      out.append(
        "\n"
          + style.dim(
            "* inferred from position, size or name, not read from the kernel or the ELF file (vmmap --detail ADDR shows the evidence)"
          ) + "\n")
    }
    out.append("=== END MAP ===\n")
    return out.bytes
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
        "Regions", thousands(s.regionCount),
        "in a \(space.virtualAddressBits - 1)-bit user address space of \(SizeFormat.iec(space.userTop)) (\(space.pagingLevels)-level paging)"
      ))
    var virtualNote = "sum of region sizes"
    if let vm = s.vmSize {
      virtualNote +=
        s.vsyscallSize > 0
        ? "; VmSize \(SizeFormat.iec(vm)) + [vsyscall] \(SizeFormat.iec(s.vsyscallSize)), which the kernel does not count"
        : "; VmSize \(SizeFormat.iec(vm))"
      if vm != s.totalVirtual - s.vsyscallSize {
        // A process that maps or unmaps while it is read (vmmap reading itself does) shows a
        // VmSize, read a moment later, that differs from the regions.
        virtualNote += " (read a moment later: the process mapped or unmapped meanwhile)"
      }
    }
    lines.append(("Total virtual", SizeFormat.iec(s.totalVirtual), virtualNote))
    if s.hasCounters {
      lines.append(
        (
          "Resident (RSS)", SizeFormat.iec(s.resident),
          "pages in RAM now, shared ones counted in full"
        ))
      if s.countersFromPageTables {
        lines.append(
          (
            "PSS, shared", "-",
            "not measured: --fast reads the page tables (PAGEMAP_SCAN), not smaps"
          ))
      } else {
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
      }
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
          "Gaps", thousands(s.gapCount),
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
    let pss = s.hasCounters && !s.countersFromPageTables
    if s.hasCounters {
      out += padLeft("RSS", 11) + (pss ? padLeft("PSS", 11) : "") + padLeft("Swap", 11)
    }
    out += "\n"
    for (kind, t) in s.byKind {
      out +=
        "  " + padRight(kind.rawValue, 18) + padLeft(thousands(t.regions), 8)
        + padLeft(SizeFormat.iec(t.size), 11)
      if s.hasCounters {
        out +=
          padLeft(SizeFormat.iec(t.rss), 11) + (pss ? padLeft(SizeFormat.iec(t.pss), 11) : "")
          + padLeft(SizeFormat.iec(t.swap), 11)
      }
      out += "\n"
    }
    if pss && s.pssSource == .rollup {
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
        + padLeft(thousands(t.regions), 8)
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
    /// The counter columns: all of smaps' amounts, or RSS and swap for page-table counters.
    var numeric: [(name: String, field: SmapsField)]

    init(map: MemoryMap, rows: [Int]) {
      var digits = 12
      for i in rows { digits = max(digits, TextBuffer.hexDigits(map.regions[i].end)) }
      rangeWidth = 2 * digits + 5
      counters = map.hasCounters
      numeric = map.countersFromPageTables ? Columns.pageTables : Columns.smaps
    }

    static let smaps: [(name: String, field: SmapsField)] = [
      ("RSS", .rss), ("PSS", .pss), ("ShrCln", .sharedClean), ("ShrDty", .sharedDirty),
      ("PrvCln", .privateClean), ("PrvDty", .privateDirty), ("Swap", .swap),
    ]
    static let pageTables: [(name: String, field: SmapsField)] = [("RSS", .rss), ("Swap", .swap)]
  }

  func headerRow(_ c: Columns, kindColumn: Bool, _ out: inout TextBuffer) {
    var s = "  " + padRight("Address Range", c.rangeWidth) + padLeft("Size", 9) + " Perms"
    if c.counters { for column in c.numeric { s += padLeft(column.name, 8) } }
    if kindColumn { s += "  " + padRight("Kind", 16) }
    s += "  Description"
    out.append(style.dim(s))
    out.newline()
  }

  func row(_ map: MemoryMap, _ i: Int, _ c: Columns, kindColumn: Bool, _ out: inout TextBuffer) {
    map.regions.withUnsafeBufferPointer { regions in
      row(regions[i], c, kindColumn: kindColumn, &out)
    }
  }

  func row(_ r: borrowing Region, _ c: Columns, kindColumn: Bool, _ out: inout TextBuffer) {
    out.spaces(2)
    out.hexAddress(r.mapping.start, width: 12)
    out.append(UInt8(ascii: "-"))
    out.hexAddress(r.mapping.end, width: 12)
    let written =
      5 + max(12, TextBuffer.hexDigits(r.mapping.start))
      + max(12, TextBuffer.hexDigits(r.mapping.end))
    out.spaces(c.rangeWidth - written)
    out.iecSize(r.mapping.end - r.mapping.start, width: 9)
    out.append(UInt8(ascii: " "))
    let p = r.mapping.permissions
    if p.isWritableAndExecutable {
      out.append(style.red(p.description))
    } else {
      out.append(p.read ? UInt8(ascii: "r") : UInt8(ascii: "-"))
      out.append(p.write ? UInt8(ascii: "w") : UInt8(ascii: "-"))
      out.append(p.execute ? UInt8(ascii: "x") : UInt8(ascii: "-"))
      out.append(p.shared ? UInt8(ascii: "s") : UInt8(ascii: "p"))
    }
    if c.counters {
      if let counters = r.counters {
        for column in c.numeric { out.compactSize(counters[column.field], width: 8) }
      } else {
        for _ in c.numeric { out.padLeft("-", 8) }
      }
    }
    if kindColumn {
      out.spaces(2)
      out.padRight(r.classification.kind.rawValue, 16)
    }
    out.spaces(2)
    describe(r, &out)
    out.newline()
  }

  /// The description column: the classifier's words, escaped, with markers.
  func describe(_ r: borrowing Region, _ out: inout TextBuffer) {
    let d = r.classification.description
    if d.isEmpty {
      out.append(TerminalEscape.escape(r.mapping.rawName))
    } else {
      out.appendEscaped(d)
    }
    // Mapped files that are not ELF segments are known by their path: show it.
    switch r.classification.kind {
    case .privateFile, .sharedFile, .device, .hugetlb:
      if let path = r.filePath {
        out.append(": ")
        out.append(TerminalEscape.escape(path))
      }
    default: break
    }
    if r.classification.certainty == .inferred { out.append(" *") }
    if r.mapping.permissions.isWritableAndExecutable { out.append(" " + style.red("[W+X]")) }
  }

  // MARK: layouts

  func groupedText(
    _ map: MemoryMap, _ shown: [Int], _ c: Columns, _ summary: MapSummary, _ out: inout TextBuffer
  ) {
    var byGroup: [[Int]] = Array(repeating: [], count: RegionGroup.allCases.count)
    let groups = RegionGroup.groups(of: map)
    for i in shown { byGroup[groups[i].ordinal].append(i) }
    for (g, group) in RegionGroup.allCases.enumerated() {
      let rows = byGroup[g]
      guard !rows.isEmpty else { continue }
      var title = group.rawValue
      if group == .executable, let exe = map.executable ?? map.regions[rows[0]].classification.owner
      {
        title += " (" + TerminalEscape.escape(exe) + ")"
      }
      out.append("\n" + style.bold(title + ":") + "\n")
      headerRow(c, kindColumn: false, &out)
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
          out.append(
            "  " + style.cyan(TerminalEscape.escape(owner.lastComponent)) + "  "
              + style.dim(TerminalEscape.escape(owner)) + "\n")
          for i in rowsOf[owner]! { row(map, i, c, kindColumn: false, &out) }
        }
      } else {
        rowsInParallel(map, rows[...], c, kindColumn: false, &out)
      }
    }
    if selection.isEverything && selection.sort == nil {
      gapsText(map, summary.gaps, &out)
    }
  }

  func gapsText(_ map: MemoryMap, _ gaps: [Gap], _ out: inout TextBuffer) {
    guard !gaps.isEmpty else { return }
    out.append("\n" + style.bold("GAPS (unmapped address space between regions):") + "\n")
    out.append(
      style.dim("  " + padRight("Address Range", 29) + padLeft("Size", 11) + "  Between") + "\n")
    for g in gaps {
      out.spaces(2)
      out.hexAddress(g.start, width: 12)
      out.append(UInt8(ascii: "-"))
      out.hexAddress(g.end, width: 12)
      out.spaces(
        29 - (5 + max(12, TextBuffer.hexDigits(g.start)) + max(12, TextBuffer.hexDigits(g.end))))
      out.padLeft(SizeFormat.iec(g.size), 11)
      out.spaces(2)
      out.append(
        [g.before, g.after].map { i in i.map { shortName(map.regions[$0]) } ?? "-" }
          .joined(separator: " and "))
      out.newline()
    }
  }

  func shortName(_ r: Region) -> String {
    if let owner = r.classification.owner { return TerminalEscape.escape(owner.lastComponent) }
    return r.classification.kind.rawValue
  }

  func tableText(_ map: MemoryMap, _ shown: [Int], _ c: Columns, _ out: inout TextBuffer) {
    out.newline()
    headerRow(c, kindColumn: true, &out)
    rowsInParallel(map, shown[...], c, kindColumn: true, &out)
  }

  /// Rows `indices` in order; in the table layout (kind column) with the gap before each row
  /// that follows its neighbour in address order.
  func rows(
    _ map: MemoryMap, _ indices: ArraySlice<Int>, _ c: Columns, kindColumn: Bool,
    _ out: inout TextBuffer
  ) {
    let gaps = kindColumn && selection.sortKey(for: map) == .addr
    var previous = indices.startIndex > 0 && gaps ? indices.first.map { $0 - 1 } : nil
    for i in indices {
      if gaps, let p = previous, i == p + 1, map.regions[p].end < map.regions[i].start {
        let size = map.regions[i].start - map.regions[p].end
        out.append(
          style.dim(
            "  " + padRight("", c.rangeWidth) + padLeft(SizeFormat.iec(size), 9)
              + "      gap (unmapped)") + "\n")
      }
      row(map, i, c, kindColumn: kindColumn, &out)
      previous = i
    }
  }

  /// `rows`, with a long run split in two and the halves formatted on two threads: once a
  /// 60,000-region map is read, formatting it is most of what is left.
  func rowsInParallel(
    _ map: MemoryMap, _ indices: ArraySlice<Int>, _ c: Columns, kindColumn: Bool,
    _ out: inout TextBuffer
  ) {
    guard indices.count >= 8192 else {
      rows(map, indices, c, kindColumn: kindColumn, &out)
      return
    }
    let middle = indices.startIndex + indices.count / 2
    let halves = [indices[..<middle], indices[middle...]]
    // Each thread writes only its own slot.
    nonisolated(unsafe) let results = UnsafeMutableBufferPointer<[UInt8]>.allocate(capacity: 2)
    results.initialize(repeating: [])
    defer { results.deallocate() }
    DispatchQueue.concurrentPerform(iterations: 2) { half in
      var buffer = TextBuffer(capacity: 200 * halves[half].count)
      rows(map, halves[half], c, kindColumn: kindColumn, &buffer)
      results[half] = buffer.bytes
    }
    for half in 0..<2 { results[half].withUnsafeBufferPointer { out.append($0) } }
  }
}
