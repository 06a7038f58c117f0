import VMMapCore

/// The terminal view of `--detail ADDR`: the region (or gap) with its neighbours and a marker,
/// the page, and what each kind of access would do.
public struct DetailTextRenderer {
  public var style: TextStyle
  public init(style: TextStyle = TextStyle(enabled: false)) { self.style = style }

  public func render(_ d: AddressDetail) -> String {
    var out = style.bold("=== ADDRESS \(hexAddress(d.address)) ===") + "\n"
    switch d.map.source {
    case .live(let pid): out += "Process:    PID \(pid)\n"
    case .file(let path): out += "Saved file: \(TerminalEscape.escape(path))\n"
    }
    out += "Looked up:  \(d.lookup)\n"
    out += "\n" + neighbourhood(d)
    out += "\n" + location(d)
    out += "\n" + pageText(d)
    out += "\n" + style.bold("WHAT AN ACCESS HERE WOULD DO") + "\n"
    for o in d.outcomes {
      let verdict: String
      switch o.result {
      case .succeeds, .growsStack: verdict = style.green(o.summary)
      case .signal: verdict = style.red(o.summary)
      }
      out += "  " + padRight(o.access.rawValue, 8) + "→ " + verdict + "\n"
      out += "            " + style.dim("why: " + o.reason) + "\n"
      if let fault = o.fault { out += "            " + style.dim("on the way: " + fault) + "\n" }
    }
    out += "=== END DETAIL ===\n"
    return out
  }

  func neighbourhood(_ d: AddressDetail) -> String {
    var out = style.bold("NEIGHBOURHOOD") + "\n"
    let regions = d.map.regions
    // Around the address: the region before, the holder (or the gap), the region after.
    var rows: [Int] = []
    if let i = d.regionIndex {
      rows = Array(max(0, i - 1)...min(regions.count - 1, i + 1))
    } else if let g = d.gap {
      rows = [g.before, g.after].compactMap { $0 }
    }
    for (n, i) in rows.enumerated() {
      if d.regionIndex == nil, let g = d.gap, n == (g.before == nil ? 0 : 1) {
        out += gapRow(g, d.address)
      }
      let r = regions[i]
      let marker = d.regionIndex == i ? style.yellow("→ ") : "  "
      out +=
        marker + hexAddress(r.start, width: 12) + "-" + hexAddress(r.end, width: 12) + " "
        + padLeft(SizeFormat.iec(r.size), 9) + " " + r.permissions.description + "  "
        + TerminalEscape.escape(
          r.classification.description.isEmpty
            ? r.mapping.rawName.string : r.classification.description) + "\n"
    }
    if d.regionIndex == nil, let g = d.gap, rows.count < 2, g.after == nil {
      out += gapRow(g, d.address)
    }
    if rows.isEmpty && d.gap == nil { out += "  (outside user space: no region can be here)\n" }
    return out
  }

  func gapRow(_ g: Gap, _ address: UInt64) -> String {
    let below =
      g.before == nil
      ? "\(SizeFormat.iec(address - g.start)) above address 0 (no region below)"
      : "\(SizeFormat.iec(address - g.start)) after the previous region"
    let above =
      g.after == nil
      ? "\(SizeFormat.iec(g.end - address)) below the top of user space"
      : "\(SizeFormat.iec(g.end - address)) before the next"
    return style.yellow("→ ") + hexAddress(g.start, width: 12) + "-" + hexAddress(g.end, width: 12)
      + " " + padLeft(SizeFormat.iec(g.size), 9) + "       gap: \(below), \(above)\n"
  }

  func location(_ d: AddressDetail) -> String {
    var out = style.bold("LOCATION") + "\n"
    guard let r = d.region else {
      switch d.addressClass {
      case .nonCanonical:
        out +=
          "  Non-canonical address: bits 63…\(AddressSpace.current.virtualAddressBits - 1) differ (\(AddressSpace.current.pagingLevels)-level paging)\n"
      case .kernel: out += "  Kernel address: the upper half belongs to the kernel\n"
      case .aboveUserSpace:
        out += "  Above the top of user space (\(hexAddress(AddressSpace.current.userTop)))\n"
      case .user:
        out += "  In a gap: no region holds this address\n"
        let minimum = mmapMinAddress()
        if d.address < minimum {
          out +=
            "  Below vm.mmap_min_addr (\(SizeFormat.iec(minimum))): the kernel never maps these addresses, so a NULL-pointer dereference always faults\n"
        }
      }
      return out
    }
    let c = r.classification
    out +=
      "  Region:      \(hexAddress(r.start))-\(hexAddress(r.end)) (\(SizeFormat.iec(r.size)))\n"
    out +=
      "  Kind:        \(c.kind.rawValue)" + (c.segment.map { " (\($0.rawValue) segment)" } ?? "")
      + "\n"
    out += "  Description: \(TerminalEscape.escape(c.description))\n"
    out += "  Permissions: \(r.permissions) (\(permissionWords(r.permissions)))\n"
    if let path = r.filePath {
      out +=
        "  File:        \(TerminalEscape.escape(path))" + (r.isDeleted ? " (deleted)" : "") + "\n"
      if r.resolved == nil && r.mapping.name.isAmbiguous {
        out +=
          "               " + style.dim("(name as printed in maps; it may stand for another name)")
          + "\n"
      }
    } else if !r.mapping.rawName.isEmpty {
      out += "  Name:        \(TerminalEscape.escape(r.mapping.rawName))\n"
    } else {
      out += "  Backing:     none (anonymous memory)\n"
    }
    if let off = d.fileOffset {
      out +=
        "  File offset: \(hexAddress(off)) (region offset \(hexAddress(r.mapping.offset)) + \(hexAddress(d.address - r.start)))\n"
      if let size = d.fileSize { out += "  File size:   \(SizeFormat.iec(size)) (\(size) bytes)\n" }
    }
    out +=
      "  Offset in region: \(hexAddress(d.address - r.start)) (\(SizeFormat.iec(d.address - r.start)))\n"
    out += "  Certainty:   \(c.certainty.rawValue)\n"
    if !c.evidence.isEmpty {
      out += "  Evidence:\n"
      for e in c.evidence { out += "    - \(TerminalEscape.escape(e))\n" }
    }
    return out
  }

  func permissionWords(_ p: Permissions) -> String {
    var w: [String] = []
    w.append(p.read ? "read" : "no read")
    w.append(p.write ? "write" : "no write")
    w.append(p.execute ? "execute" : "no execute")
    w.append(p.shared ? "shared" : "private")
    return w.joined(separator: ", ")
  }

  func pageText(_ d: AddressDetail) -> String {
    var out = style.bold("PAGE") + "\n"
    out +=
      "  Page number: \(d.pageNumber) (\(hexAddress(d.pageNumber))), offset \(d.pageOffset) (\(hexAddress(d.pageOffset))) in a \(SizeFormat.iec(d.pageSize)) page\n"
    if let kps = d.region?.counters?[.kernelPageSize], kps > d.pageSize {
      out += "  Kernel page size of this region: \(SizeFormat.iec(kps))\n"
    }
    guard let page = d.page else {
      if let note = d.pageNote { out += "  " + note + "\n" }
      return out
    }
    let e = page.entry
    if e.isPresent {
      out += "  Present:     YES (in RAM)\n"
      if let pfn = e.frameNumber {
        out +=
          "  Frame:       \(hexAddress(pfn)) → physical address \(hexAddress(pfn * d.pageSize + d.pageOffset))\n"
      } else {
        out +=
          "  Frame:       unavailable without privilege\n"
      }
      out +=
        "  Mapped by:   "
        + (e.isExclusive
          ? "this process only (exclusive)" : "possibly other processes too (not exclusive)") + "\n"
      if let count = page.mapCount { out += "  Map count:   \(count) (kpagecount)\n" }
      if let flags = page.flags {
        out += "  Page flags:  \(flags.names.joined(separator: " ")) (kpageflags)\n"
      }
      out +=
        "  File/shared: "
        + (e.isFileOrSharedAnonymous
          ? "yes (file page or shared anonymous)" : "no (private anonymous)") + "\n"
    } else if e.isSwapped {
      out +=
        "  Present:     NO, in swap (type \(e.swapType ?? 0), offset \(hexAddress(e.swapOffset ?? 0)))\n"
    } else {
      out += "  Present:     NO: never touched, or reclaimed; the first access faults it in\n"
    }
    if let note = d.pageNote { out += "  " + style.dim(note) + "\n" }
    return out
  }
}
