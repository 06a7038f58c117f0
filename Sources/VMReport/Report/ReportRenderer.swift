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

  /// Markdown with pipe tables, and the SVG figures to write beside it.
  public func markdown(_ report: Report) throws(VMMapError) -> (
    markdown: [UInt8], figures: [ReportFigure]
  ) {
    let (markdown, marks) = try stage(report)
    var out = TextBuffer(capacity: markdown.utf8.count * 2)
    var used: [ReportFigure] = []
    MarkdownMarks.expand(markdown, into: &out) { name, out in
      guard let table = marks.table(named: String(name)) else { return false }
      let pipe = PipeTable(
        columns: table.columns.map {
          (MarkdownEscape.escape($0.title, inTable: true), $0.alignment == .right ? .right : .left)
        })
      pipe.header(&out)
      for row in table.rows {
        PipeTable.row(row.map { MarkdownEscape.escape($0, inTable: true) }, &out)
      }
      return true
    }
    _ = used
    used = []
    return (out.bytes, used)
  }

  public func html(_ report: Report) throws(VMMapError) -> [UInt8] {
    throw VMMapError(.internalError, what: "HTML", why: "not wired yet")
  }
}

/// The figures of a report, by mark name.
struct HandoutFigures {
  let report: Report

  func all() throws(VMMapError) -> [String: ReportFigure] { [:] }
}
