/// What a template's marks stand for (DESIGN.md, "Rendering, safely"): a fenced block whose
/// info string is `vmmap table=NAME` becomes a `ReportTable`, one with `vmmap figure=NAME` a
/// `ReportFigure`. The report builds them from its model; the HTML stage turns them into
/// `<table>` and inline `<svg>` nodes, the Markdown stage into pipe tables and links to SVG
/// files written beside the `.md`.
public protocol ReportMarkSource {
  /// The table for `vmmap table=NAME`, or nil when there is none (the mark becomes a note).
  func table(named name: String) -> ReportTable?
  /// The figure for `vmmap figure=NAME`, or nil when there is none.
  func figure(named name: String) -> ReportFigure?
}

/// A table for a mark. Cells are plain text as the system gave it (mapping names, paths,
/// numbers already formatted for people): each stage escapes them for its own format.
public struct ReportTable: Hashable, Sendable {
  public enum Alignment: Hashable, Sendable { case left, right }

  public struct Column: Hashable, Sendable {
    public var title: String
    public var alignment: Alignment

    public init(_ title: String, _ alignment: Alignment = .left) {
      self.title = title
      self.alignment = alignment
    }
  }

  public var columns: [Column]
  public var rows: [[String]]
  /// One sentence under the table (what the numbers are, where they came from), or nil.
  public var caption: String?

  public init(columns: [Column], rows: [[String]], caption: String? = nil) {
    self.columns = columns
    self.rows = rows
    self.caption = caption
  }
}

/// A figure for a mark: one SVG document, already validated against the RelaxNG schema of the
/// subset vmmap emits.
public struct ReportFigure: Hashable, Sendable {
  /// The mark's NAME; the Markdown stage writes `NAME.svg` beside the `.md`.
  public var name: String
  /// What the figure shows, in one plain-text sentence (the `<title>` and the image's alt text).
  public var title: String
  /// The serialised `<svg>` element (UTF-8, no XML declaration), as inserted into HTML.
  public var svg: [UInt8]

  public init(name: String, title: String, svg: [UInt8]) {
    self.name = name
    self.title = title
    self.svg = svg
  }
}
