import VMMapCore

/// Renders a watch `Timeline` through `watch.md` as Markdown (SVG beside it) or HTML, with the
/// report's stages and safety.
public struct TimelineRenderer {
  public var templates: [String: String]?

  public init(templates: [String: String]? = nil) {
    self.templates = templates
  }

  /// The most samples the samples table lists (evenly chosen, first and last kept).
  static let sampleRowLimit = 200

  static func context(_ t: Timeline) -> [String: Any] {
    func code(_ s: String) -> String { MarkdownEscape.escape(s, as: .code) }
    var x: [String: Any] = [:]
    x["name"] = code(t.watch.name)
    x["pid"] = "\(t.watch.pid)"
    x["command"] = code(t.watch.command.joined(separator: " "))
    x["samples"] = "\(t.samples.count)"
    x["interval"] = MarkdownEscape.escape(ComparisonFormat.number(t.watch.interval))
    x["seconds"] = MarkdownEscape.escape(
      ComparisonFormat.seconds(t.samples.last?.seconds ?? 0))
    x["counterSource"] = MarkdownEscape.escape(t.watch.counterSource)
    x["host"] = code(t.watch.hostname)
    x["kernel"] = code(t.watch.kernel)
    if let s = t.summary {
      x["summary"] = [
        "ended": MarkdownEscape.escape(s.ended),
        "firstRSS": s.firstRSS.map(SizeFormat.iec) ?? "–",
        "lastRSS": s.lastRSS.map(SizeFormat.iec) ?? "–",
        "rssChange": MarkdownEscape.escape(
          ComparisonFormat.delta(Double(s.lastRSS ?? 0) - Double(s.firstRSS ?? 0), bytes: true)),
        "peakRSS": s.peakRSS.map(SizeFormat.iec) ?? "–",
        "added": "\(s.regionsAdded)", "removed": "\(s.regionsRemoved)",
        "faults": ComparisonFormat.number(Double(s.faults)),
      ]
    }
    x["hasRegionEvents"] = t.samples.dropFirst().contains {
      !$0.added.isEmpty || !$0.removed.isEmpty || !$0.changed.isEmpty
    }
    return x
  }

  struct Marks: ReportMarkSource {
    let timeline: Timeline
    let figures: [String: ReportFigure]

    func figure(named name: String) -> ReportFigure? { figures[name] }

    func table(named name: String) -> ReportTable? {
      let t = timeline
      switch name {
      case "samples":
        var chosen = Array(t.samples.indices)
        if chosen.count > sampleRowLimit {
          let step = Double(chosen.count - 1) / Double(sampleRowLimit - 1)
          chosen = (0..<sampleRowLimit).map { Int((Double($0) * step).rounded()) }
        }
        var table = ReportTable(
          columns: [
            .init("Seconds", .right), .init("RSS", .right), .init("PSS", .right),
            .init("Swap", .right), .init("Virtual", .right), .init("Regions", .right),
            .init("Faults/s", .right),
          ],
          rows: chosen.map { k in
            let s = t.samples[k]
            return [
              ComparisonFormat.seconds(s.seconds), SizeFormat.iec(s.rss),
              s.pss.map(SizeFormat.iec) ?? "–", SizeFormat.iec(s.swap), SizeFormat.iec(s.virtual),
              "\(s.regions)",
              s.faultsPerSecond.map { ComparisonFormat.number($0.rounded()) } ?? "–",
            ]
          })
        if chosen.count < t.samples.count {
          table.caption =
            "\(chosen.count) of \(t.samples.count) samples, evenly spaced; the JSON keeps all."
        }
        return table
      case "kind-growth":
        return ReportTable(
          columns: [.init("Kind"), .init("RSS change", .right), .init("Size change", .right)],
          rows: (t.summary?.kindGrowth ?? []).map {
            [
              $0.kind.rawValue, ComparisonFormat.delta(Double($0.rssDelta), bytes: true),
              ComparisonFormat.delta(Double($0.sizeDelta), bytes: true),
            ]
          },
          caption: "Kinds whose RSS or size changed between the first and the last sample.")
      case "region-events":
        var rows: [[String]] = []
        for s in t.samples.dropFirst() {
          let at = ComparisonFormat.seconds(s.seconds)
          for a in s.added { rows.append([at, "added", a, "", ""]) }
          for r in s.removed { rows.append([at, "removed", r, "", ""]) }
          for c in s.changed {
            rows.append([
              at, "changed", c.identity, ComparisonFormat.delta(Double(c.sizeDelta), bytes: true),
              ComparisonFormat.delta(Double(c.rssDelta), bytes: true),
            ])
          }
        }
        var table = ReportTable(
          columns: [
            .init("Seconds", .right), .init("Event"), .init("Region"), .init("Size change", .right),
            .init("RSS change", .right),
          ],
          rows: Array(rows.prefix(500)))
        if rows.count > 500 { table.caption = "The first 500 of \(rows.count) events." }
        return table
      default: return nil
      }
    }
  }

  func stage(_ t: Timeline) throws(VMMapError) -> (String, Marks) {
    let markdown = try MarkdownTemplates.render(
      "watch.md", Self.context(t), sources: templates ?? MarkdownTemplates.embedded)
    let figure = try TimelineFigure(
      title: "RSS of \(t.watch.name) (PID \(t.watch.pid)) by region kind over time", timeline: t
    ).render()
    return (markdown, Marks(timeline: t, figures: [figure.name: figure]))
  }

  public func markdown(_ t: Timeline, figureDirectory: String = "") throws(VMMapError)
    -> MarkdownReport
  {
    let (markdown, marks) = try stage(t)
    return try MarkdownReportRenderer(figureDirectory: figureDirectory).render(
      markdown: markdown, marks: marks)
  }

  public func html(_ t: Timeline, generator: String) throws(VMMapError) -> [UInt8] {
    let (markdown, marks) = try stage(t)
    return try HTMLDocumentRenderer(
      title: "Memory of \(t.watch.name) (PID \(t.watch.pid)) over time",
      metadata: [
        .init(name: "generator", content: generator),
        .init(name: "description", content: "A vmmap watch timeline"),
      ]
    ).render(markdown: markdown, marks: marks)
  }

  /// `watch-<name>-<pid>`, for the default file name (characters a file name should not hold
  /// replaced).
  public static func defaultStem(_ t: Timeline) -> String {
    let raw = "watch-\(t.watch.name)-\(t.watch.pid)"
    return String(
      raw.map { c -> Character in
        c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "." || c == "_") ? c : "_"
      })
  }
}
