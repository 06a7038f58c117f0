import VMExperiments
import VMMapCore

/// Renders a `Report` through the handout template (`report.md`) as Markdown or HTML.
public struct ReportRenderer {
  /// Template sources by name (`report.md`); nil for the built-in ones.
  public var templates: [String: String]?

  public init(templates: [String: String]? = nil) {
    self.templates = templates
  }

  /// The Markdown from the template, with the marks still in it, and the mark source.
  func stage(_ report: Report) throws(VMMapError) -> (markdown: String, marks: HandoutMarks) {
    let view = HandoutView(report: report)
    let markdown = try MarkdownTemplates.render(
      "report.md", view.context(), sources: templates ?? MarkdownTemplates.embedded)
    let marks = HandoutMarks(report: report, figures: try HandoutFigures(report: report).all())
    return (markdown, marks)
  }

  /// Markdown with pipe tables, and the SVG figures to write where its links point
  /// (`figureDirectory`, relative to the `.md`; empty: beside it).
  public func markdown(_ report: Report, figureDirectory: String = "") throws(VMMapError)
    -> MarkdownReport
  {
    let (markdown, marks) = try stage(report)
    return try MarkdownReportRenderer(figureDirectory: figureDirectory).render(
      markdown: markdown, marks: marks)
  }

  /// One self-contained HTML page.
  public func html(_ report: Report) throws(VMMapError) -> [UInt8] {
    let (markdown, marks) = try stage(report)
    let m = report.machine
    return try HTMLDocumentRenderer(
      title: "Virtual memory on \(m.hostname) (Linux \(m.kernel.release))",
      metadata: [
        .init(name: "generator", content: report.generator.vmmap),
        .init(name: "description", content: "A virtual-memory handout measured on this machine"),
      ]
    ).render(markdown: markdown, marks: marks)
  }
}

/// The figures of a report, by mark name. Each is validated against the SVG schema as it is
/// built; a figure that fails fails the report (exit 70).
struct HandoutFigures {
  let report: Report

  func all() throws(VMMapError) -> [String: ReportFigure] {
    var figures: [ReportFigure] = []
    let userTop = report.machine.paging.userTop
    if let s = report.specimen?.result {
      figures += try Self.snapshotFigures(
        s, prefix: "", residencyName: "specimen-residency", userTop: userTop,
        title: "The specimen's address space, high addresses at the top (gaps compressed)")
    }
    if let s = report.process?.result {
      figures += try Self.snapshotFigures(
        s, prefix: "process-", residencyName: "process-residency", userTop: userTop,
        title: "The address space of \(s.name) (PID \(s.pid)), high addresses at the top")
    }
    if let cow = report.cow?.result, let figure = try Self.copyOnWrite(cow) {
      figures.append(figure)
    }
    if let t = report.tlb?.result { figures.append(try TLBFigure(report: t).render()) }
    for step in report.demand {
      guard let d = step.result else { continue }
      figures.append(
        try DemandPagingFigure(
          name: "demand-" + ReportCollector.variantName(d.options),
          title: "Demand paging, \(Self.describe(d.options)): RSS and faults as pages are touched",
          samples: d.samples.map {
            DemandPagingFigure.Sample(
              pagesTouched: $0.pagesTouched, rssBytes: $0.rssBytes,
              minorFaults: UInt64($0.minorFaults), majorFaults: UInt64($0.majorFaults))
          },
          totalPages: d.pages, pageSize: d.pageSize
        ).render())
    }
    if let sample = report.sample?.result,
      let strip = try Self.sampleStrip(sample, userTop: userTop)
    {
      figures.append(strip)
    }
    figures += try walkFigures()
    if let figure = try Self.aslr(report) { figures.append(figure) }
    return Dictionary(figures.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
  }

  /// A snapshot's address space (`PREFIXaddress-space`) and, when it has any, the residency
  /// strips of its largest regions.
  static func snapshotFigures(
    _ s: MapSnapshot, prefix: String, residencyName: String, userTop: UInt64, title: String
  ) throws(VMMapError) -> [ReportFigure] {
    var figures = [
      try AddressSpaceFigure(
        name: prefix + "address-space", title: title, regions: regions(s), userSpaceEnd: userTop
      ).render()
    ]
    if !s.residency.isEmpty { figures.append(try residency(s, name: residencyName)) }
    return figures
  }

  static func describe(_ o: DemandOptions) -> String {
    let what = o.file ? "a file dropped from the page cache" : "anonymous memory"
    return "\(o.read ? "reading" : "writing") \(SizeFormat.iec(o.size)) of \(what)"
      + (o.hugePages ? " with MADV_HUGEPAGE" : "")
  }

  /// A snapshot's regions for the address-space figure: the name as the kernel printed it
  /// (its exact bytes when they are not UTF-8), else what vmmap decided the region is.
  static func regions(_ s: MapSnapshot) -> [AddressSpaceFigure.Region] {
    s.regions.map { r in
      let label: [UInt8] =
        r.nameBytes.flatMap(Redactor.unhex)
        ?? (r.name.isEmpty ? Array(r.description.utf8) : Array(r.name.utf8))
      return AddressSpaceFigure.Region(
        start: r.start.value, end: r.end.value, kind: r.kind, label: label)
    }
  }

  static func residency(_ s: MapSnapshot, name: String) throws(VMMapError) -> ReportFigure {
    try ResidencyFigure(
      name: name,
      title: "Which pages of the largest regions are in RAM (from /proc/\(s.pid)/pagemap)",
      strips: s.residency.map { r in
        ResidencyStrip(
          label: "\(r.label) (\(r.kind.rawValue))", start: r.start.value,
          pages: r.states.map { $0 == 1 ? .present : $0 == 2 ? .swapped : .notPresent })
      }
    ).render()
  }

  /// Parent and child pointing at page 0's frames after the fork and after the child's write.
  static func copyOnWrite(_ c: CowReport) throws(VMMapError) -> ReportFigure? {
    guard let after = c.stage(.afterFork), let written = c.stage(.afterChildWrite),
      let childAfter = after.child, let childWritten = written.child,
      let page = UInt64(c.region.start.dropFirst(2), radix: 16)
    else { return nil }
    func frame(_ p: CowPage) -> UInt64? { p.frame.flatMap { UInt64($0.dropFirst(2), radix: 16) } }
    func value(_ p: CowPage) -> UInt64 { UInt64(p.value.dropFirst(2), radix: 16) ?? 0 }
    func moment(_ parent: CowPage, _ child: CowPage) -> CopyOnWriteFigure.Moment {
      CopyOnWriteFigure.Moment(
        parentFrame: frame(parent), childFrame: frame(child), parentMapCount: parent.mapCount,
        childMapCount: child.mapCount, parentValue: value(parent), childValue: value(child))
    }
    return try CopyOnWriteFigure(
      name: "copy-on-write",
      title: "Page 0 of the 10 MiB region after fork() and after the child's write: real frames",
      pageAddress: page, before: moment(after.parent.page0, childAfter.page0),
      after: moment(written.parent.page0, childWritten.page0)
    ).render()
  }
}
