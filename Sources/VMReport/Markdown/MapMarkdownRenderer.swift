import VMMapCore

/// The Markdown form of a memory map, for a bug ticket: the `map.md` template filled with values
/// escaped for Markdown, then its table marks expanded into GitHub pipe tables.
///
/// The same facts as the terminal view (header, summary, by kind and permission, one table per
/// group or one address-ordered table, gaps). Deterministic: the same map renders to the same
/// bytes. Region rows are written straight into a byte buffer, so a 60,000-region map costs a
/// linear pass.
public struct MapMarkdownRenderer: Sendable {
  public var layout: MapTextRenderer.Layout
  public var selection: RegionSelection
  /// Whether swap is configured on this machine (nil: unknown, as for a saved file).
  public var swapConfigured: Bool?
  /// The templates to render with (default: those embedded from templates/).
  public var templates: [String: String]

  public init(
    layout: MapTextRenderer.Layout = .grouped, selection: RegionSelection = RegionSelection(),
    swapConfigured: Bool? = nil, templates: [String: String]? = nil
  ) {
    self.layout = layout
    self.selection = selection
    self.swapConfigured = swapConfigured
    self.templates = templates ?? MarkdownTemplates.embedded
  }

  public func render(_ map: MemoryMap) throws(VMMapError) -> String {
    String(decoding: try renderBytes(map), as: UTF8.self)
  }

  /// The document as UTF-8 bytes (what the CLI writes).
  public func renderBytes(_ map: MemoryMap) throws(VMMapError) -> [UInt8] {
    let summary = MapSummary(map)
    let shown = selection.apply(to: map)
    var byGroup: [[Int]] = Array(repeating: [], count: RegionGroup.allCases.count)
    if layout == .grouped {
      let groups = RegionGroup.groups(of: map)
      for i in shown { byGroup[groups[i].ordinal].append(i) }
    }
    let context = viewModel(map, summary, shown, byGroup)
    let markdown = try MarkdownTemplates.render("map.md", context, sources: templates)
    var out = TextBuffer(capacity: 220 * shown.count + 2 * markdown.utf8.count + 8192)
    MarkdownMarks.expand(markdown, into: &out) { name, out in
      switch name {
      case "by-kind": kindTable(summary, &out)
      case "by-permission": permissionTable(summary, &out)
      case "gaps": gapTable(map, summary.gaps, &out)
      case "regions": regionTable(map, shown[...], kindColumn: true, &out)
      default:
        guard let g = RegionGroup.allCases.first(where: { Self.tableName($0) == name }) else {
          return false
        }
        regionTable(map, byGroup[g.ordinal][...], kindColumn: false, &out)
      }
      return true
    }
    return out.bytes
  }

  /// `group-heap`, `group-shared-libraries`, …: the mark of a group's table.
  static func tableName(_ group: RegionGroup) -> String {
    "group-" + group.rawValue.lowercased().replacing(" ", with: "-")
  }

  // MARK: the view model (every system string escaped here, never in the template)

  func viewModel(
    _ map: MemoryMap, _ s: MapSummary, _ shown: [Int], _ byGroup: [[Int]]
  ) -> [String: Any] {
    let space = AddressSpace.current
    var c: [String: Any] = [:]
    switch map.source {
    case .live(let pid): c["title"] = "PID \(pid)"
    case .file(let path): c["title"] = "saved file " + MarkdownEscape.escape(path, as: .code)
    }
    if !map.commandLine.isEmpty {
      let joined = map.commandLine.map(\.bytes).joined(separator: [UInt8(ascii: " ")])
      c["command"] = MarkdownEscape.escape(Array(joined), as: .code)
    }
    if let exe = map.executable { c["executable"] = MarkdownEscape.escape(exe, as: .code) }
    if map.threads.count > 1 { c["threads"] = thousands(map.threads.count) }
    c["header"] = c["command"] != nil || c["executable"] != nil || c["threads"] != nil

    c["regions"] = thousands(s.regionCount)
    c["addressBits"] = "\(space.virtualAddressBits - 1)"
    c["userTop"] = SizeFormat.iec(space.userTop)
    c["pagingLevels"] = "\(space.pagingLevels)"
    c["totalVirtual"] = SizeFormat.iec(s.totalVirtual)
    if let vm = s.vmSize { c["vmSize"] = SizeFormat.iec(vm) }
    if s.vsyscallSize > 0 && s.vmSize != nil { c["vsyscall"] = SizeFormat.iec(s.vsyscallSize) }
    c["counters"] = s.hasCounters
    if s.hasCounters {
      c["rss"] = SizeFormat.iec(s.resident)
      c["pss"] = SizeFormat.iec(s.pss)
      c["pssSource"] = MarkdownEscape.escape(s.pssSource.rawValue)
      c["shared"] = SizeFormat.iec(s.shared)
      c["sharedSource"] = MarkdownEscape.escape(s.sharedSource.rawValue)
      c["privateDirty"] = SizeFormat.iec(s.privateDirty)
      c["anonymous"] = SizeFormat.iec(s.anonymous)
      c["swapNone"] = swapConfigured == false
      c["swap"] = SizeFormat.iec(s.swap)
      c["pssRounding"] = s.pssSource == .rollup
    }
    c["gaps"] = thousands(s.gapCount)
    if let g = s.largestGap {
      c["largestGap"] = "\(SizeFormat.iec(g.size)) at \(hexAddress(g.start))\\-\(hexAddress(g.end))"
    }
    if !s.writableExecutable.isEmpty {
      let n = s.writableExecutable.count
      c["writableExecutable"] = "\(n) region" + (n == 1 ? "" : "s")
    }

    if let caption = selection.caption(shown: shown.count, of: map) {
      c["showing"] = MarkdownEscape.escape(caption)
    }
    switch layout {
    case .table:
      c["addressOrder"] = true
    case .grouped:
      var groups: [[String: Any]] = []
      for (g, group) in RegionGroup.allCases.enumerated() where !byGroup[g].isEmpty {
        var title = group.rawValue
        if group == .executable,
          let exe = map.executable ?? map.regions[byGroup[g][0]].classification.owner
        {
          title += " \\(" + MarkdownEscape.escape(exe, as: .code) + "\\)"
        }
        groups.append(["title": title, "table": Self.tableName(group)])
      }
      c["groups"] = groups
      c["gapTable"] = selection.isEverything && selection.sort == nil && !s.gaps.isEmpty
    }
    c["inferred"] = shown.contains { map.regions[$0].classification.certainty == .inferred }
    return c
  }

  // MARK: tables

  static let counterColumns: [(String, SmapsField)] = [
    ("RSS", .rss), ("PSS", .pss), ("Shared clean", .sharedClean), ("Shared dirty", .sharedDirty),
    ("Private clean", .privateClean), ("Private dirty", .privateDirty), ("Swap", .swap),
  ]

  func kindTable(_ s: MapSummary, _ out: inout TextBuffer) {
    var columns: [(title: String, alignment: PipeTable.Alignment)] = [
      ("Kind", .left), ("Regions", .right), ("Size", .right),
    ]
    if s.hasCounters { columns += [("RSS", .right), ("PSS", .right), ("Swap", .right)] }
    PipeTable(columns: columns).header(&out)
    for (kind, t) in s.byKind {
      var cells = [
        MarkdownEscape.escape(kind.rawValue), thousands(t.regions), SizeFormat.iec(t.size),
      ]
      if s.hasCounters {
        cells += [SizeFormat.iec(t.rss), SizeFormat.iec(t.pss), SizeFormat.iec(t.swap)]
      }
      PipeTable.row(cells, &out)
    }
  }

  func permissionTable(_ s: MapSummary, _ out: inout TextBuffer) {
    var columns: [(title: String, alignment: PipeTable.Alignment)] = [
      ("Permissions", .left), ("Regions", .right), ("Size", .right),
    ]
    if s.hasCounters { columns.append(("RSS", .right)) }
    PipeTable(columns: columns).header(&out)
    for (perms, t) in s.byPermission {
      let writableExecutable =
        perms.dropFirst().first == "w" && perms.dropFirst(2).first == "x"
      var cells = [
        MarkdownEscape.escape(perms) + (writableExecutable ? " **W\\+X**" : ""),
        thousands(t.regions), SizeFormat.iec(t.size),
      ]
      if s.hasCounters { cells.append(SizeFormat.iec(t.rss)) }
      PipeTable.row(cells, &out)
    }
  }

  func regionTable(
    _ map: MemoryMap, _ rows: ArraySlice<Int>, kindColumn: Bool, _ out: inout TextBuffer
  ) {
    var columns: [(title: String, alignment: PipeTable.Alignment)] = [
      ("Address range", .left), ("Size", .right), ("Perms", .left),
    ]
    if map.hasCounters { columns += Self.counterColumns.map { ($0.0, .right) } }
    if kindColumn { columns.append(("Kind", .left)) }
    columns += [("Description", .left), ("Name", .left)]
    PipeTable(columns: columns).header(&out)
    map.regions.withUnsafeBufferPointer { regions in
      for i in rows { row(regions[i], counters: map.hasCounters, kindColumn: kindColumn, &out) }
    }
  }

  func row(_ r: borrowing Region, counters: Bool, kindColumn: Bool, _ out: inout TextBuffer) {
    PipeTable.begin(&out)
    out.hexAddress(r.mapping.start, width: 12)
    out.append(UInt8(ascii: "-"))
    out.hexAddress(r.mapping.end, width: 12)
    PipeTable.next(&out)
    out.iecSize(r.mapping.end - r.mapping.start, width: 0)
    PipeTable.next(&out)
    let p = r.mapping.permissions
    out.append(p.read ? UInt8(ascii: "r") : UInt8(ascii: "-"))
    out.append(p.write ? UInt8(ascii: "w") : UInt8(ascii: "-"))
    out.append(p.execute ? UInt8(ascii: "x") : UInt8(ascii: "-"))
    out.append(p.shared ? UInt8(ascii: "s") : UInt8(ascii: "p"))
    if p.isWritableAndExecutable { out.append(" **W\\+X**") }
    if counters {
      for (_, field) in Self.counterColumns {
        PipeTable.next(&out)
        if let c = r.counters {
          out.compactSize(c[field], width: 0)
        } else {
          out.append(UInt8(ascii: "-"))
        }
      }
    }
    if kindColumn {
      PipeTable.next(&out)
      out.append(MarkdownEscape.escape(r.classification.kind.rawValue))
    }
    PipeTable.next(&out)
    let d = r.classification.description
    out.append(
      d.isEmpty ? MarkdownEscape.escape(r.mapping.rawName) : MarkdownEscape.escape(d))
    if r.classification.certainty == .inferred { out.append(" \\*") }
    PipeTable.next(&out)
    let name = r.filePath ?? r.mapping.rawName
    if !name.isEmpty { out.append(MarkdownEscape.escape(name, as: .code, inTable: true)) }
    PipeTable.end(&out)
  }

  func gapTable(_ map: MemoryMap, _ gaps: [Gap], _ out: inout TextBuffer) {
    PipeTable(columns: [("Address range", .left), ("Size", .right), ("Between", .left)])
      .header(&out)
    for g in gaps {
      let between = [g.before, g.after].map { i in i.map { shortName(map.regions[$0]) } ?? "-" }
      PipeTable.row(
        [
          hexAddress(g.start, width: 12) + "-" + hexAddress(g.end, width: 12),
          SizeFormat.iec(g.size), between.joined(separator: " and "),
        ], &out)
    }
  }

  func shortName(_ r: Region) -> String {
    if let owner = r.classification.owner {
      return MarkdownEscape.escape(owner.lastComponent, as: .code, inTable: true)
    }
    return MarkdownEscape.escape(r.classification.kind.rawValue)
  }
}
