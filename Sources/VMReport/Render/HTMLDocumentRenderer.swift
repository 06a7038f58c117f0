import CCmark
import VMMapCore

/// The HTML stage of a report: Markdown (already rendered from a template, values escaped for
/// Markdown) → libcmark's node tree in safe mode → marks replaced by libxml2-built `<table>` and
/// inline `<svg>` nodes → one self-contained HTML document.
///
/// The page has its CSS inline and nothing else to fetch: no script, no external resource, and a
/// Content-Security-Policy `<meta>` that forbids both. Headings get ids (cmark 0.30 adds none),
/// from which a table of contents links to the sections. Deterministic: the same input gives
/// the same bytes.
///
/// A mark (a fenced block whose info string is `vmmap table=NAME` or `vmmap figure=NAME`, see
/// `ReportMark`) may sit wherever a code block may: at the top level, in a list item, in a block
/// quote. A name the `ReportMarkSource` does not know becomes a visible note.
public struct HTMLDocumentRenderer: Sendable {
  /// A `<meta name=… content=…>` in the page's head (generator, description, …).
  public struct MetaTag: Hashable, Sendable {
    public var name: String
    public var content: String

    public init(name: String, content: String) {
      self.name = name
      self.content = content
    }
  }

  /// The page's policy: nothing may load but inline styles and `data:` images; with no
  /// `script-src`, `default-src 'none'` forbids every script. (`frame-ancestors` is not
  /// included: browsers ignore it in a `<meta>` and log a complaint.)
  public static let contentSecurityPolicy =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    + "form-action 'none'"

  /// The page's `<title>`, plain text.
  public var title: String
  public var metadata: [MetaTag]
  /// Whether to put a table of contents (headings of levels 2 and 3) before the first
  /// level-2 heading, when there are at least two such headings.
  public var tableOfContents: Bool

  public init(title: String, metadata: [MetaTag] = [], tableOfContents: Bool = true) {
    self.title = title
    self.metadata = metadata
    self.tableOfContents = tableOfContents
  }

  public func render(markdown: String, marks: some ReportMarkSource) throws(VMMapError) -> [UInt8] {
    try render(markdown: Array(markdown.utf8), marks: marks)
  }

  /// The whole HTML document, UTF-8.
  public func render(markdown: [UInt8], marks: some ReportMarkSource) throws(VMMapError)
    -> [UInt8]
  {
    let document = CmarkDocument(markdown: HTMLText.markdownSource(markdown))
    let builder = HTMLFragmentBuilder()
    try replaceMarks(in: document, marks, builder)
    let headings = identifyHeadings(in: document)
    if tableOfContents {
      let entries = headings.filter { $0.level == 2 || $0.level == 3 }
      if entries.filter({ $0.level == 2 }).count >= 2,
        let first = entries.first(where: { $0.level == 2 })
      {
        let toc = builder.tableOfContents(entries.map { ($0.level, $0.text, $0.id) })
        cmark_node_insert_before(first.node, CmarkDocument.customBlock(html: toc))
      }
    }
    let body = CmarkDocument.renderHTML(document.root)
    return Array(page(body: body).utf8)
  }

  // MARK: marks

  func replaceMarks(
    in document: CmarkDocument, _ marks: some ReportMarkSource, _ builder: HTMLFragmentBuilder
  ) throws(VMMapError) {
    for block in document.nodes(of: CMARK_NODE_CODE_BLOCK) {
      guard let info = cmark_node_get_fence_info(block),
        let mark = ReportMark(info: String(cString: info))
      else { continue }
      let html: String
      switch mark {
      case .table(let name):
        if let table = marks.table(named: name) {
          try table.check(named: name)
          html = builder.table(table)
        } else {
          html = builder.note("(no table named \(name))")
        }
      case .figure(let name):
        if let figure = marks.figure(named: name) {
          html = try builder.figure(figure)
        } else {
          html = builder.note("(no figure named \(name))")
        }
      case .unknown(let info):
        html = builder.note("(not a table or figure mark: \(info))")
      }
      CmarkDocument.replace(block, with: CmarkDocument.customBlock(html: html))
    }
  }

  // MARK: headings

  struct Heading {
    var level: Int
    var text: String
    var id: String
    /// The custom block that now stands for the heading.
    var node: CmarkDocument.Node
  }

  /// Gives every heading an id: each becomes a custom block `<hN id="…">` around cmark's own
  /// HTML of its content. Ids are ASCII slugs of the heading's text, made unique in order.
  func identifyHeadings(in document: CmarkDocument) -> [Heading] {
    var used: Set<String> = []
    var headings: [Heading] = []
    for node in document.nodes(of: CMARK_NODE_HEADING) {
      let level = Int(cmark_node_get_heading_level(node))
      let text = CmarkDocument.plainText(node)
      let base = Self.slug(text)
      var id = base
      var n = 2
      while used.contains(id) {
        id = base + "-\(n)"
        n += 1
      }
      used.insert(id)
      let inner = CmarkDocument.inlineHTML(movingChildrenOf: node)
      let block = CmarkDocument.customBlock(
        html: "<h\(level) id=\"\(id)\">" + inner + "</h\(level)>")
      CmarkDocument.replace(node, with: block)
      headings.append(Heading(level: level, text: text, id: id, node: block))
    }
    return headings
  }

  /// An id for a heading: lowercase ASCII letters and digits, runs of anything else as one
  /// `-`, at most 60 characters; `section` when nothing is left.
  static func slug(_ text: String) -> String {
    var out: [UInt8] = []
    var pendingDash = false
    for b in text.utf8 {
      let c: UInt8
      switch b {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): c = b
      case UInt8(ascii: "A")...UInt8(ascii: "Z"): c = b + 32
      default:
        pendingDash = true
        continue
      }
      if out.count >= 60 { break }
      if pendingDash && !out.isEmpty { out.append(UInt8(ascii: "-")) }
      pendingDash = false
      out.append(c)
    }
    return out.isEmpty ? "section" : String(decoding: out, as: UTF8.self)
  }

  // MARK: the page

  func page(body: String) -> String {
    var head = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <meta http-equiv="Content-Security-Policy" content="\(Self.contentSecurityPolicy)">
      <meta name="color-scheme" content="light dark">

      """
    for tag in metadata {
      head +=
        "<meta name=\"\(HTMLText.escaped(tag.name))\" content=\"\(HTMLText.escaped(tag.content))\">\n"
    }
    head += "<title>\(HTMLText.escaped(title))</title>\n"
    head += "<style>\n" + HTMLStyle.css + "</style>\n</head>\n"
    return head + "<body>\n<main>\n" + body + "</main>\n</body>\n</html>\n"
  }
}
