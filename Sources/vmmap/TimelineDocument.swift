import FoundationEssentials
import VMMapCore
import VMReport

/// `vmmap render TIMELINE.json`: a saved watch timeline as HTML, Markdown or JSON.
struct TimelineDocument {
  var options: DocumentOptions

  /// The timeline in `path`, or nil when the file is something else (a report, for `render`
  /// to read); unreadable files are left for the report reader's message.
  static func readIfTimeline(path: String) throws(VMMapError) -> Timeline? {
    guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return nil }
    let bytes = Array(data)
    guard TimelineFile.isTimeline(bytes) else { return nil }
    return try TimelineFile.decode(bytes, source: path)
  }

  func write(_ timeline: Timeline) throws {
    let format = options.effectiveFormat
    let path = options.path(stem: TimelineRenderer.defaultStem(timeline))
    let writer = DocumentWriter(options: options)
    if options.output == nil { try writer.makeDirectory("output") }
    let templates = try options.templates.map(ReportTemplates.load(directory:))
    switch format {
    case .json:
      try writer.emit(try TimelineFile.encode(timeline), to: path)
    case .html:
      try writer.emit(
        try TimelineRenderer(templates: templates).html(
          timeline, generator: VMMapVersion.description),
        to: path)
    case .md:
      let toStandardOutput = path == "-"
      let figureDirectory = toStandardOutput ? options.figures ?? "output/figures" : ""
      try TimelineRenderer(templates: templates).markdown(
        timeline, figureDirectory: figureDirectory
      ).write(markdownTo: path)
    }
  }
}
