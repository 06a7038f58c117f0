import VMExperiments
import VMMapCore

/// The tables and figures `report.md`'s marks name, built from the report model. Cells are
/// plain text; each output stage escapes them for its format.
struct HandoutMarks: ReportMarkSource {
  let report: Report
  /// Figures, built once (SVG building and validation are not free).
  let figures: [String: ReportFigure]

  init(report: Report, figures: [String: ReportFigure]) {
    self.report = report
    self.figures = figures
  }

  func figure(named name: String) -> ReportFigure? { figures[name] }

  func table(named name: String) -> ReportTable? {
    let m = report.machine
    switch name {
    case "machine": return machineTable(m)
    case "specimen-by-kind": return report.specimen?.result.map(Self.byKind)
    case "process-by-kind": return report.process?.result.map(Self.byKind)
    case "specimen-regions":
      return report.specimen?.result.map { s in
        Self.regions(s.regions.filter { !Self.belongsToLibrary($0, s) })
      }
    case "specimen-libraries": return report.specimen?.result.map(Self.libraries)
    case "process-top-regions":
      return report.process?.result.map { s in
        Self.regions(Array(s.regions.sorted { ($0.rss ?? 0) > ($1.rss ?? 0) }.prefix(20)))
      }
    case "process-regions":
      return report.process?.result.map { s in
        guard s.regions.count > Self.regionRowLimit else { return Self.regions(s.regions) }
        var table = Self.regions(
          s.regions.sorted { ($0.rss ?? 0, $1.start) > ($1.rss ?? 0, $0.start) }
            .prefix(Self.regionRowLimit).sorted { $0.start < $1.start })
        table.caption =
          "The \(thousands(Self.regionRowLimit)) regions with the most resident memory, of \(thousands(s.regions.count)); the JSON model (--format json) keeps every region."
        return table
      }
    case "sample-pages": return report.specimen?.result.map(Self.samplePages)
    case "page-walk":
      guard let s = report.specimen?.result, let page = HandoutView(report: report).walkPage(s)
      else { return nil }
      return Self.pageWalk(page.address.value, paging: m.paging)
    case "faults": return faultTable()
    case "demand": return demandTable()
    case "cow": return cowTable()
    case "sample": return sampleTable()
    case "walk-steps", "walk-pages", "walk-cost": return walkTable(named: name)
    case "tlb": return tlbTable()
    case "aslr": return aslrTable()
    case "aslr-runs", "aslr-two-runs": return aslrRunsTable(named: name)
    case "steps": return stepTable()
    case "kernel-config":
      let config = m.kernelConfig ?? [:]
      return ReportTable(
        columns: [.init("Option"), .init("Value")],
        rows: config.keys.sorted().map { [$0, config[$0]!] },
        caption: "From /proc/config.gz; n means “is not set”.")
    default: return nil
    }
  }

  func machineTable(_ m: MachineFacts) -> ReportTable {
    var rows: [[String]] = []
    func add(_ k: String, _ v: String?) { if let v { rows.append([k, v]) } }
    add("Kernel", "Linux \(m.kernel.release) (\(m.kernel.version))")
    add("Architecture", m.kernel.architecture)
    add("CPU", m.cpu.model.map { "\($0), \(m.cpu.logicalCPUs) logical CPUs" })
    if let phys = m.cpu.physicalAddressBits, let virt = m.cpu.virtualAddressBits {
      add("CPU address sizes", "\(phys) bits physical, \(virt) bits virtual")
    }
    add("CPU VM features", m.cpu.vmFlags.isEmpty ? nil : m.cpu.vmFlags.joined(separator: " "))
    add("TLB", m.cpu.tlbSize)
    add("Memory", m.memory.total.map(SizeFormat.iec))
    add(
      "Swap",
      (m.memory.swapAreas ?? 0) == 0
        ? "none configured"
        : "\(m.memory.swapAreas!) area(s), \(SizeFormat.iec(m.memory.swapTotal ?? 0))")
    add("Page size", SizeFormat.iec(m.paging.pageSize))
    add(
      "Huge page sizes",
      zip(m.paging.hugePageSizes, m.paging.hugePagesReserved).map {
        "\(SizeFormat.iec($0)) (\($1) reserved)"
      }.joined(separator: ", "))
    add(
      "Paging",
      "\(m.paging.levels) levels, \(m.paging.virtualAddressBits)-bit virtual addresses, la57 "
        + (m.paging.cpuHasLA57 ? "present" : "absent"))
    add("User space ends at", Address(m.paging.userTop).description)
    add(
      "Transparent huge pages",
      m.settings.thpEnabled.map {
        "enabled: \($0)" + (m.settings.thpDefrag.map { ", defrag: \($0)" } ?? "")
      })
    add("randomize_va_space", m.settings.randomizeVASpace.map(String.init))
    add(
      "overcommit_memory",
      m.settings.overcommitMemory.map {
        "\($0) (" + ["heuristic", "always", "never: strict accounting"][min(max($0, 0), 2)] + ")"
      })
    add("max_map_count", m.settings.maxMapCount.map(thousands))
    add("mmap_min_addr", m.settings.mmapMinAddress.map { Address($0).description })
    return ReportTable(columns: [.init("Setting"), .init("Value")], rows: rows)
  }

  static func byKind(_ s: MapSnapshot) -> ReportTable {
    ReportTable(
      columns: [
        .init("Kind"), .init("Regions", .right), .init("Size", .right), .init("RSS", .right),
        .init("PSS", .right), .init("Swap", .right),
      ],
      rows: s.byKind.map {
        [
          $0.kind.rawValue, thousands($0.regions), SizeFormat.iec($0.size), SizeFormat.iec($0.rss),
          SizeFormat.iec($0.pss), SizeFormat.iec($0.swap),
        ]
      },
      caption: "Sizes from /proc/PID/smaps, summed per kind.")
  }

  static func regions(_ regions: [SnapshotRegion]) -> ReportTable {
    ReportTable(
      columns: [
        .init("Address"), .init("Perm"), .init("Kind"), .init("Size", .right), .init("RSS", .right),
        .init("What"), .init("Name"),
      ],
      rows: regions.map { r in
        [
          r.start.description + "-" + r.end.description, r.permissions, r.kind.rawValue,
          SizeFormat.compact(r.size), r.rss.map(SizeFormat.compact) ?? "",
          r.description, r.name,
        ]
      })
  }

  /// The most region rows an HTML or Markdown page lists for one process (a 60,000-region map
  /// would make a page of tens of megabytes; the JSON keeps them all).
  static let regionRowLimit = 500

  /// A shared library's segment or its bss tail.
  static func belongsToLibrary(_ r: SnapshotRegion, _ s: MapSnapshot) -> Bool {
    if r.kind == .sharedLibrary { return true }
    guard r.kind == .bss || r.kind == .reserved, let owner = r.owner else { return false }
    return s.regions.contains { $0.kind == .sharedLibrary && $0.owner == owner }
  }

  /// One row per shared library: its regions (segments, bss, padding) summed.
  static func libraries(_ s: MapSnapshot) -> ReportTable {
    var order: [String] = []
    var sums: [String: (regions: Int, size: UInt64, rss: UInt64, pss: UInt64, first: Address)] = [:]
    for r in s.regions where belongsToLibrary(r, s) {
      let name = r.owner ?? r.name
      if sums[name] == nil {
        order.append(name)
        sums[name] = (0, 0, 0, 0, r.start)
      }
      sums[name]!.regions += 1
      sums[name]!.size += r.size
      sums[name]!.rss += r.rss ?? 0
      sums[name]!.pss += r.pss ?? 0
    }
    return ReportTable(
      columns: [
        .init("Library"), .init("Loaded at"), .init("Regions", .right), .init("Size", .right),
        .init("RSS", .right), .init("PSS", .right),
      ],
      rows: order.map { name in
        let t = sums[name]!
        return [
          name, t.first.description, "\(t.regions)", SizeFormat.compact(t.size),
          SizeFormat.compact(t.rss), SizeFormat.compact(t.pss),
        ]
      },
      caption:
        "PSS is much smaller than RSS for a library: its pages are shared with every process that maps it."
    )
  }

  static func samplePages(_ s: MapSnapshot) -> ReportTable {
    ReportTable(
      columns: [
        .init("Page"), .init("Virtual address"), .init("Frame"), .init("kpagecount", .right),
        .init("Only this process", .right), .init("Frame flags"),
      ],
      rows: s.samplePages.map { p in
        [
          p.label, p.address.description, p.frame?.description ?? "not visible",
          p.mapCount.map { "\($0)" } ?? "?", p.exclusive ? "yes" : "no",
          p.flags.joined(separator: " "),
        ]
      },
      caption: "From /proc/PID/pagemap, /proc/kpagecount and /proc/kpageflags, read as root.")
  }

  /// The indices a virtual address selects at each level of the page-table tree.
  static func pageWalk(_ address: UInt64, paging: MachineFacts.Paging) -> ReportTable {
    let offsetBits = paging.pageSize.trailingZeroBitCount
    let indexBits = HandoutView.log2(paging.pageSize / 8)
    let names =
      paging.levels == 5
      ? ["PML5 (level 5)", "PML4 (level 4)", "PDPT (level 3)", "PD (level 2)", "PT (level 1)"]
      : ["PML4 (level 4)", "PDPT (level 3)", "PD (level 2)", "PT (level 1)"]
    var rows: [[String]] = []
    for (i, name) in names.enumerated() {
      let shift = offsetBits + indexBits * (names.count - 1 - i)
      let index = (address >> UInt64(shift)) & ((1 << UInt64(indexBits)) - 1)
      rows.append([name, "\(shift + indexBits - 1)–\(shift)", "\(index)"])
    }
    rows.append(
      ["Offset in the page", "\(offsetBits - 1)–0", "\(address & (paging.pageSize - 1))"])
    return ReportTable(
      columns: [.init("Table"), .init("Address bits"), .init("Index", .right)], rows: rows,
      caption: "Computed from the address; each index picks one of the table's entries.")
  }

  func faultTable() -> ReportTable? {
    let faults = report.faults.compactMap(\.result)
    guard !faults.isEmpty else { return nil }
    return ReportTable(
      columns: [
        .init("Experiment"), .init("Access"), .init("Where"), .init("Signal"), .init("si_code"),
        .init("Fault address"), .init("Predicted"),
      ],
      rows: faults.map { f in
        let place =
          f.region.map { "\($0.permissions) \($0.kind)" } ?? (f.gap != nil ? "a gap" : "?")
        let predicted = f.predicted.map { p in
          p.contains(f.code) || p.contains(f.signal) ? "yes: \(p)" : "no: \(p)"
        }
        return [
          f.type.rawValue, f.access, place, f.signal, f.code, f.faultAddress, predicted ?? "",
        ]
      },
      caption: "Each fault made in its own child; signal and si_code as the kernel delivered them.")
  }

  func demandTable() -> ReportTable? {
    let runs = report.demand.compactMap(\.result)
    guard !runs.isEmpty else { return nil }
    return ReportTable(
      columns: [
        .init("Experiment"), .init("Pages", .right), .init("Minor faults", .right),
        .init("Major faults", .right), .init("Present after", .right), .init("RSS growth", .right),
        .init("Touch time", .right),
      ],
      rows: runs.map { d in
        [
          HandoutFigures.describe(d.options), thousands(d.pages), thousands(d.faults.minor),
          thousands(d.faults.major), thousands(d.after.region.presentPages),
          SizeFormat.iec(d.after.region.rss &- d.before.region.rss),
          SizeFormat.fixed(Double(d.touchNanoseconds) / 1e6, places: 1) + " ms",
        ]
      },
      caption:
        "Faults from getrusage around the touch loop (checked against /proc/self/stat); pages present from pagemap; RSS of the region from smaps."
    )
  }

  func cowTable() -> ReportTable? {
    guard let cow = report.cow?.result else { return nil }
    let names: [CowStageName: String] = [
      .beforeFork: "before fork()", .afterFork: "after fork()",
      .afterChildWrite: "after the child's write",
    ]
    return ReportTable(
      columns: [
        .init("Moment"), .init("Parent frame"), .init("Child frame"), .init("kpagecount", .right),
        .init("Region PSS parent", .right), .init("Region PSS child", .right),
        .init("Region RSS parent", .right), .init("Region RSS child", .right),
      ],
      rows: cow.stages.map { st in
        [
          names[st.stage] ?? st.stage.rawValue, st.parent.page0.frame ?? "hidden",
          st.child?.page0.frame ?? "–",
          [st.parent.page0.mapCount, st.child?.page0.mapCount].compactMap { $0.map { "\($0)" } }
            .joined(separator: " / "),
          SizeFormat.iec(st.parent.region.pss),
          st.child.map { SizeFormat.iec($0.region.pss) } ?? "–",
          SizeFormat.iec(st.parent.region.rss),
          st.child.map { SizeFormat.iec($0.region.rss) } ?? "–",
        ]
      },
      caption:
        "Page 0's frame from each process's pagemap, its kpagecount, and the region's smaps RSS and PSS."
    )
  }

  func aslrTable() -> ReportTable? {
    guard let s = report.specimen?.result else { return nil }
    var rows: [[String]] = []
    func add(_ what: String, _ r: SnapshotRegion?) {
      if let r { rows.append([what, r.start.description, r.name]) }
    }
    add("Program (its first segment)", s.regions.first { $0.kind == .executable })
    add("Heap (brk)", s.regions.first { $0.kind == .heap })
    add("First shared library", s.regions.first { $0.kind == .sharedLibrary })
    add("Main stack", s.regions.first { $0.kind == .mainStack })
    add("vdso", s.regions.first { $0.kind == .vdso })
    return ReportTable(
      columns: [.init("Region"), .init("Start"), .init("Name")], rows: rows,
      caption: "The specimen's region bases in this run.")
  }

  func stepTable() -> ReportTable {
    var rows: [[String]] = []
    func add<T>(_ step: Step<T>?) {
      guard let step else { return }
      rows.append([
        step.name, step.error == nil ? "ok" : "failed",
        SizeFormat.fixed(step.seconds, places: 3),
        step.child.map { thousands($0.minorFaults) } ?? "",
        step.child.map { thousands($0.majorFaults) } ?? "",
        step.child.map { SizeFormat.iec($0.maxRSS) } ?? "",
      ])
    }
    add(report.specimen)
    add(report.process)
    report.faults.forEach(add)
    add(report.cow)
    report.demand.forEach(add)
    add(report.aslr)
    return ReportTable(
      columns: [
        .init("Step"), .init("Status"), .init("Seconds", .right), .init("Minor faults", .right),
        .init("Major faults", .right), .init("Max RSS", .right),
      ], rows: rows)
  }
}
