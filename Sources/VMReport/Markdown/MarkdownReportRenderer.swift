import VMMapCore

/// The Markdown stage of a report (`--format md`): a template's Markdown with its marks expanded
/// for GitHub and GitLab. `vmmap table=NAME` becomes a pipe table (cells escaped with
/// `MarkdownEscape`, `|` as `\|`; names as code spans), `vmmap figure=NAME` an image link to `NAME.svg` with the
/// figure's title as alt text and caption. The SVG files are returned beside the Markdown, for
/// `MarkdownReport.write` to put where the links point.
public struct MarkdownReportRenderer: Sendable {
  /// The directory of the figure files, relative to the Markdown file (or, for Markdown on
  /// standard output, to the current directory), or absolute; empty: beside the Markdown.
  public var figureDirectory: String

  public init(figureDirectory: String = "") {
    self.figureDirectory = figureDirectory
  }

  public func render(markdown: String, marks: some ReportMarkSource) throws(VMMapError)
    -> MarkdownReport
  {
    var out = TextBuffer(capacity: 2 * markdown.utf8.count + 4096)
    var figures: [MarkdownReport.FigureFile] = []
    try MarkdownMarks.expand(
      markdown, into: &out,
      table: { (name, out) throws(VMMapError) -> Bool in
        guard let table = marks.table(named: String(name)) else { return false }
        try table.check(named: String(name))
        Self.pipeTable(table, &out)
        return true
      },
      figure: { (name, out) throws(VMMapError) -> Bool in
        let name = String(name)
        guard ReportMark.isFileName(name) else {
          out.append(
            "*\\(figure name " + MarkdownEscape.escape(name) + " is not a file name\\)*\n")
          return true
        }
        guard let figure = marks.figure(named: name) else { return false }
        let fileName = name + ".svg"
        if !figures.contains(where: { $0.fileName == fileName }) {
          let svg = try InlineSVG.markup(figure)
          let file = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg + "\n"
          figures.append(MarkdownReport.FigureFile(fileName: fileName, svg: Array(file.utf8)))
        }
        let title = figure.title.trimmingSpaces
        out.append("![" + MarkdownEscape.escape(title) + "](" + link(to: fileName) + ")\n\n")
        if !title.isEmpty { out.append("*" + MarkdownEscape.escape(title) + "*\n") }
        return true
      })
    return MarkdownReport(
      markdown: out.bytes, figures: figures, figureDirectory: figureDirectory)
  }

  /// A pipe table: escaped column titles, the alignment row, one row per table row, and the
  /// caption as a paragraph after a blank line.
  static func pipeTable(_ table: ReportTable, _ out: inout TextBuffer) {
    PipeTable(
      columns: table.columns.map {
        (MarkdownEscape.escape($0.title, inTable: true), $0.alignment == .right ? .right : .left)
      }
    ).header(&out)
    for row in table.rows {
      PipeTable.row(
        row.map { MarkdownEscape.escape($0, as: isPlain($0) ? .text : .code, inTable: true) },
        &out)
    }
    if let caption = table.caption {
      out.newline()
      out.append(MarkdownEscape.escape(caption))
      out.newline()
    }
  }

  /// Whether a cell is plain words and numbers (`4 KiB`, `12.5 %`, `heap`), written as escaped
  /// text; any other cell (a name, a path, a command line) becomes a code span. GitHub's reader
  /// turns `me\@host\.example` into a mailto link despite the escapes, and its post-processing
  /// finds `@mentions`, `#1` references and `:emoji:` in text, but never inside code.
  static func isPlain(_ cell: String) -> Bool {
    cell.unicodeScalars.allSatisfy { s in
      s.properties.isAlphabetic || s.properties.numericType != nil
        || " .,-/%()+".unicodeScalars.contains(s)
    }
  }

  /// The link destination of a figure file: the directory and the name, with every byte but
  /// unreserved URL characters and `/` percent-encoded (a directory may hold spaces or parens).
  func link(to fileName: String) -> String {
    let path = figureDirectory.isEmpty ? fileName : figureDirectory + "/" + fileName
    var out = ""
    for b in path.utf8 {
      switch b {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
        UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
        out.unicodeScalars.append(Unicode.Scalar(b))
      default:
        out += "%" + hex(UInt64(b), width: 2).uppercased()
      }
    }
    return out
  }
}

extension String {
  fileprivate var trimmingSpaces: String {
    let scalars = unicodeScalars.drop { $0.properties.isWhitespace }
    return String(
      String.UnicodeScalarView(
        scalars.reversed().drop { $0.properties.isWhitespace }
          .reversed()))
  }
}
