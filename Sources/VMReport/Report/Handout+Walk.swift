import VMExperiments
import VMMapCore

/// The handout's page-walk section: its context, tables and figure (from `report.walk`).
extension HandoutView {
  func walkContext(_ c: inout [String: Any]) {
    guard let step = report.walk else { return }
    guard let w = step.result else {
      c["walk"] = ["error": Self.md(step.error?.message ?? "unknown error")]
      return
    }
    var e: [String: Any] = [:]
    e["ok"] = true
    e["levels"] = "\(w.levels)"
    e["levelNames"] = Self.md(
      PagingLevel.walked(levels: w.levels).map(\.rawValue).joined(separator: ", "))
    e["addresses"] = thousands(w.walks.count)
    let thp = w.walks.first { $0.leafLevel == .pmd }
    if let thp, let size = thp.mappedPageSize {
      e["thpAddress"] = Self.code(thp.address.description)
      e["thpSize"] = Self.size(size)
      e["thpSource"] = Self.md(thp.pageSizeSource ?? "")
      e["thpOffsetBits"] = "\((thp.leafOffset?.high ?? 20) + 1)"
    }
    if let small = w.walks.first(where: { $0.leafLevel == .pte && $0.page?.frame != nil }),
      let page = small.page, let frame = page.frame, let physical = page.physicalAddress
    {
      e["smallLabel"] = Self.md(small.label ?? "")
      e["smallAddress"] = Self.code(small.address.description)
      e["smallFrame"] = Self.code(frame.description)
      e["smallPhysical"] = Self.code(physical.description)
      e["smallOffset"] = Self.code("0x" + String(small.pageOffset.value, radix: 16))
    }
    e["softDirty"] = Self.md(
      w.softDirtySupported == false
        ? "This kernel does not track soft-dirty pages (\(w.softDirtySource)), so pagemap's bit 55 is always 0 here."
        : w.softDirtySupported == true
          ? "This kernel tracks soft-dirty pages (\(w.softDirtySource)): pagemap's bit 55 says whether a page was written since the bits were last cleared."
          : "Whether this kernel tracks soft-dirty pages could not be told (\(w.softDirtySource)).")
    let cost = w.pageTables
    e["vmPTE"] = cost.vmPTE.map(Self.size) ?? "not reported"
    e["costFromMap"] = Self.size(cost.fromMapBytes)
    e["costFromPages"] = cost.fromPagesBytes.map(Self.size) ?? "unknown"
    e["regions"] = thousands(cost.regions)
    e["hidden"] = w.hidden.map(Self.md)
    c["walk"] = e
  }
}

extension HandoutMarks {
  func walkTable(named name: String) -> ReportTable? {
    guard let w = report.walk?.result else { return nil }
    switch name {
    case "walk-steps":
      var rows: [[String]] = []
      for a in w.walks {
        var row = [a.label ?? a.address.description, a.address.description]
        for s in a.steps {
          row.append(s.usedForThisAddress ? "\(s.index)" + (s.isLeaf ? " (leaf)" : "") : "–")
        }
        row.append(
          a.leafOffset.map { "0x" + String($0.value, radix: 16) + " (\($0.high + 1) bits)" }
            ?? "0x" + String(a.pageOffset.value, radix: 16))
        rows.append(row)
      }
      let levels = PagingLevel.walked(levels: w.levels)
      return ReportTable(
        columns: [.init("Address"), .init("Virtual address")]
          + levels.map { .init("\($0.rawValue) index", .right) } + [.init("Offset", .right)],
        rows: rows,
        caption:
          "Indices computed from each address for \(w.levels)-level paging; a huge page's walk ends at the PMD and its offset takes the bits the PTE index would have used."
      )
    case "walk-pages":
      return ReportTable(
        columns: [
          .init("Address"), .init("Region"), .init("Page size"), .init("Frame"),
          .init("Physical address"), .init("pagemap bits"), .init("kpageflags"),
          .init("kpagecount", .right),
        ],
        rows: w.walks.map { a in
          let p = a.page
          var bits: [String] = []
          if let p {
            if p.present { bits.append("present") }
            if p.swapped { bits.append("swapped") }
            if p.exclusive { bits.append("exclusive") }
            if p.fileOrShared { bits.append("file/shared") }
            if p.softDirty == true { bits.append("soft-dirty") }
          }
          return [
            a.label ?? a.address.description,
            a.region.map { "\($0.kind.rawValue) \($0.permissions)" } ?? "none",
            a.mappedPageSize.map(SizeFormat.iec) ?? "–",
            p?.frame?.description ?? "–", p?.physicalAddress?.description ?? "–",
            bits.isEmpty ? "none" : bits.joined(separator: " "),
            p?.flags?.joined(separator: " ") ?? "–", p?.mapCount.map { "\($0)" } ?? "–",
          ]
        },
        caption:
          "Page size from smaps KernelPageSize and PAGEMAP_SCAN's PAGE_IS_HUGE; the frame and bits from /proc/PID/pagemap; flags and map count from /proc/kpageflags and /proc/kpagecount."
      )
    case "walk-cost":
      let c = w.pageTables
      return ReportTable(
        columns: [
          .init("Level"), .init("One table covers", .right),
          .init("Tables for every region", .right), .init("Tables for present pages", .right),
          .init("In VmPTE"),
        ],
        rows: c.levels.map { l in
          [
            l.level.rawValue, SizeFormat.iec(l.tableSpan), thousands(l.fromMap),
            l.fromPages.map(thousands) ?? "?", l.inVmPTE ? "yes" : "no",
          ]
        },
        caption:
          "Computed from the specimen's \(thousands(c.regions)) regions and its present pages (PAGEMAP_SCAN), not the kernel's count; the kernel's VmPTE is \(c.vmPTE.map(SizeFormat.iec) ?? "not reported")."
      )
    default: return nil
    }
  }
}
