import VMExperiments
import VMMapCore

extension HandoutView {
  /// The `sample` section: where the page faults of a short run happened.
  func sampleContext(_ c: inout [String: Any]) {
    guard let r = report.sample?.result else { return }
    var e: [String: Any] = [:]
    e["pages"] = thousands(TouchProgram.reportPages)
    e["faults"] = thousands(Int(r.sampledFaults))
    e["regions"] = thousands(r.regions.count)
    e["waited"] = thousands(Int(r.rusage.minor + r.rusage.major))
    e["before"] = r.beforeEnable.map { thousands(Int($0.minor + $0.major)) } ?? "?"
    e["expected"] = r.expectedSamples.map { thousands(Int($0)) } ?? "?"
    e["agrees"] = r.difference == 0
    e["difference"] = r.difference.map { "\($0 > 0 ? "+" : "")\($0)" } ?? "?"
    e["explained"] = Self.md(r.differenceExplained)
    e["lost"] = thousands(Int(r.lostSamples))
    let touched = r.regions.first {
      $0.source == .exitMap && $0.name.isEmpty && $0.pages == UInt64(TouchProgram.reportPages)
    }
    e["touchedFaults"] = touched.map { thousands(Int($0.faults)) } ?? "?"
    e["touchedOrder"] = touched.map { "\($0.order)" } ?? "?"
    e["first"] = r.regions.first.map { Self.code($0.name.isEmpty ? "[anonymous]" : $0.name) } ?? "?"
    let startup = r.regions.filter { $0.faults > 0 && $0 != touched }.reduce(0) { $0 + $1.faults }
    e["startup"] = thousands(Int(startup))
    e["instruction"] = thousands(Int(r.regions.reduce(0) { $0 + $1.instruction }))
    e["kernel"] = thousands(Int(r.regions.reduce(0) { $0 + $1.kernel }))
    c["sample"] = e
  }
}

extension HandoutMarks {
  /// The regions that faulted, in first-touch order (at most 40 rows: the rest summed).
  func sampleTable() -> ReportTable? {
    guard let r = report.sample?.result else { return nil }
    let shown = r.regions.prefix(40)
    var rows = shown.map { g in
      [
        "\(g.order)", Self.millis(g.firstFaultSeconds),
        g.start.map { "\($0)-\(g.end ?? "")" } ?? "–",
        g.permissions ?? "", g.name.isEmpty ? "[anonymous]" : g.name,
        thousands(Int(g.faults)), thousands(Int(g.instruction)), thousands(Int(g.data)),
        thousands(Int(g.kernel)), thousands(Int(g.major)),
      ]
    }
    let rest = r.regions.dropFirst(40)
    if !rest.isEmpty {
      rows.append([
        "", "", "", "", "\(rest.count) more regions",
        thousands(Int(rest.reduce(0) { $0 + $1.faults })),
        thousands(Int(rest.reduce(0) { $0 + $1.instruction })),
        thousands(Int(rest.reduce(0) { $0 + $1.data })),
        thousands(Int(rest.reduce(0) { $0 + $1.kernel })),
        thousands(Int(rest.reduce(0) { $0 + $1.major })),
      ])
    }
    return ReportTable(
      columns: [
        .init("#", .right), .init("First fault (ms)", .right), .init("Region"), .init("Perms"),
        .init("Name"), .init("Faults", .right), .init("Instr", .right), .init("Data", .right),
        .init("Kernel", .right), .init("Major", .right),
      ],
      rows: rows,
      caption:
        "perf_event_open PERF_COUNT_SW_PAGE_FAULTS with period 1: every fault's data address, instruction pointer and thread, looked up in the command's maps at its exec and exit stops and in its mmap2 records."
    )
  }

  static func millis(_ seconds: Double) -> String {
    let micros = Int((seconds * 1_000_000).rounded())
    let fraction = String(micros % 1000)
    return "\(micros / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
  }
}

extension HandoutFigures {
  /// Where the faults fell, as a strip over the address space: the regions that faulted, in
  /// address order, each labelled with its fault count (regions without an address, such as
  /// a child process's, are left out and said so in the title).
  static func sampleStrip(_ r: SampleReport, userTop: UInt64) throws(VMMapError) -> ReportFigure? {
    let placed = r.regions.compactMap { g -> AddressSpaceFigure.Region? in
      guard let start = g.start.flatMap(Self.address), let end = g.end.flatMap(Self.address),
        start < end
      else { return nil }
      let name = g.nameBytes ?? Array(g.name.utf8)
      let label =
        (name.isEmpty ? Array("[anonymous]".utf8) : name)
        + Array(" · \(thousands(Int(g.faults))) faults on \(thousands(Int(g.pages))) pages".utf8)
      return AddressSpaceFigure.Region(
        start: start, end: end, kind: kind(of: g, executable: r.executable), label: label)
    }
    .sorted { $0.start < $1.start }
    guard !placed.isEmpty else { return nil }
    // Regions looked up in different maps (exec, exit, mmap records) may overlap: keep the
    // first of any overlapping pair (the figure needs disjoint regions).
    var disjoint: [AddressSpaceFigure.Region] = []
    for region in placed where disjoint.last.map({ $0.end <= region.start }) ?? true {
      disjoint.append(region)
    }
    let left = r.regions.count - disjoint.count
    return try AddressSpaceFigure(
      name: "sample-strip",
      title: "Where the page faults fell, by region (kinds guessed from the names)"
        + (left > 0 ? "; \(left) more rows are only in the table" : ""),
      regions: disjoint, userSpaceEnd: userTop
    ).render()
  }

  static func address(_ text: String) -> UInt64? {
    text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : nil
  }

  /// A colour for the figure, from the region's name alone (the sample records no
  /// classification): the program, a library, the heap, the stack, vdso, vvar, anonymous.
  static func kind(of g: SampledRegion, executable: String) -> RegionKind {
    switch g.name {
    case "": return .anonymous
    case "[heap]": return .heap
    case "[stack]": return .mainStack
    case "[vdso]": return .vdso
    case "[vvar]", "[vvar_vclock]": return .vvar
    case executable: return .executable
    default: return g.name.contains(".so") ? .sharedLibrary : .privateFile
    }
  }
}
