import CLibXML2
import Foundation
import Testing
import VMMapCore

@testable import VMReport

/// A `ReportMarkSource` from dictionaries.
struct TestMarks: ReportMarkSource {
  var tables: [String: ReportTable] = [:]
  var figures: [String: ReportFigure] = [:]

  func table(named name: String) -> ReportTable? { tables[name] }
  func figure(named name: String) -> ReportFigure? { figures[name] }
}

/// Cell texts chosen by whoever ran a process (mapping names, paths, command lines), each of
/// which would become an element, a link, a table cell, emphasis or an escape sequence if
/// written raw into HTML or Markdown.
let hostileCells: [String] = [
  "<script>alert(1)</script>", "](javascript:alert(1))", "[x](javascript:alert(1))",
  "| a | b |", "`code`", "**bold**", "/tmp/new\nline", "\u{1b}[31mred\u{1b}[0m",
  "rtl\u{202e}gpj.exe", "<img src=x onerror=alert(1)>", "\"><svg onload=alert(1)>",
  "&amp; &lt;b&gt; &#60;", "<!-- comment -->", "]]><![CDATA[x", "javascript:alert(1)",
  "https://evil.example/x.png", "www.evil.example", "me@evil.example",
  "![i](https://evil.example/i.png)", "<https://evil.example>", "{{mustache}} {{{triple}}}",
  "$x$ ~~strike~~ _u_", "a\\b\\\\c", "tab\there\r\nCRLF", "nul\u{0}byte", "c1\u{9b}31m",
  "zero\u{200b}width\u{2028}sep\u{feff}", "# heading", "- list", "1. ordered", "> quote",
  "    indented code", "```fence", "<style>body{display:none}</style>", "emoji 🙂 é 中文",
  "<base href=\"https://evil.example/\">", "<meta http-equiv=\"refresh\" content=\"0\">",
  "\\x1b[31m already escaped", "trailing spaces  ", "  ", "&#32;", "x\u{85}y",
  "@everyone #1 !1 :smile:",
  "/" + String(repeating: "d", count: 3999),
]

/// A small valid SVG in vmmap's subset: a gradient (`url(#…)`), shapes, text with `<` and `&`.
let sampleSVG = """
  <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 120" width="400" height="120" \
  role="img"><title>Address space &lt;demo&gt;</title><defs><linearGradient id="g" x1="0" \
  x2="1"><stop offset="0" stop-color="#4a90d9"/><stop offset="1" stop-color="#9b59b6"/>\
  </linearGradient></defs><rect x="10" y="20" width="380" height="40" fill="url(#g)"/>\
  <rect x="10" y="70" width="120" height="30" fill="#2e8b57"/><text x="20" y="45" \
  font-size="14" fill="#ffffff">heap &amp; stack &lt;here&gt;</text><path d="M10 110 H390" \
  stroke="#333333"/></svg>
  """

/// The table every test renders: one row per hostile cell, its index right-aligned.
func hostileTable() -> ReportTable {
  ReportTable(
    columns: [.init("#", .right), .init("Name | <b>"), .init("Size", .right)],
    rows: hostileCells.enumerated().map { ["\($0.offset)", $0.element, "4 KiB"] },
    caption: "Hostile names <b>as text</b> | [x](javascript:1)")
}

// MARK: reading HTML back with libxml2's HTML parser

/// An HTML element as libxml2's HTML parser reads it (an independent reading of the page).
final class HTMLElement {
  let name: String
  let attributes: [(name: String, value: String)]
  var children: [HTMLChild] = []

  init(name: String, attributes: [(name: String, value: String)]) {
    self.name = name
    self.attributes = attributes
  }

  func attribute(_ name: String) -> String? { attributes.first { $0.name == name }?.value }

  /// This element and every element under it, in document order.
  var all: [HTMLElement] {
    [self]
      + children.flatMap { child -> [HTMLElement] in
        if case .element(let e) = child { return e.all }
        return []
      }
  }

  func elements(_ name: String) -> [HTMLElement] { all.filter { $0.name == name } }

  /// The text of this element and its descendants.
  var text: String {
    children.map { child in
      switch child {
      case .element(let e): e.text
      case .text(let t): t
      case .comment: ""
      }
    }.joined()
  }

  var comments: [String] {
    children.flatMap { child -> [String] in
      switch child {
      case .element(let e): e.comments
      case .text: []
      case .comment(let c): [c]
      }
    }
  }
}

enum HTMLChild {
  case element(HTMLElement)
  case text(String)
  case comment(String)
}

/// Parses HTML with libxml2's HTML parser (recovering, no network) into `HTMLElement`s.
func parseHTML(_ bytes: [UInt8]) throws -> HTMLElement {
  let options = Int32(
    bitPattern: HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue
      | HTML_PARSE_NOWARNING.rawValue | HTML_PARSE_NONET.rawValue)
  let parsed = bytes.withUnsafeBufferPointer { b in
    b.withMemoryRebound(to: CChar.self) {
      htmlReadMemory($0.baseAddress, Int32($0.count), "report.html", "UTF-8", options)
    }
  }
  let document = try #require(parsed)
  defer { xmlFreeDoc(document) }
  let root = try #require(xmlDocGetRootElement(document))
  return convert(root)
}

private func convert(_ node: UnsafeMutablePointer<xmlNode>) -> HTMLElement {
  var attributes: [(name: String, value: String)] = []
  var a = node.pointee.properties
  while let attribute = a {
    let value = xmlNodeListGetString(node.pointee.doc, attribute.pointee.children, 1)
    attributes.append(
      (String(cString: attribute.pointee.name), value.map { String(cString: $0) } ?? ""))
    if let value { cxml_free(value) }
    a = attribute.pointee.next
  }
  let element = HTMLElement(name: String(cString: node.pointee.name), attributes: attributes)
  var child = node.pointee.children
  while let c = child {
    switch c.pointee.type {
    case XML_ELEMENT_NODE: element.children.append(.element(convert(c)))
    case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
      element.children.append(.text(c.pointee.content.map { String(cString: $0) } ?? ""))
    case XML_COMMENT_NODE:
      element.children.append(.comment(c.pointee.content.map { String(cString: $0) } ?? ""))
    default: break
    }
    child = c.pointee.next
  }
  return element
}
