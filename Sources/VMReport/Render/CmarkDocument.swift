import CCmark
import Glibc

/// A Markdown document parsed by libcmark into its node tree, freed with this object.
///
/// Always parsed in safe mode (`CMARK_OPT_DEFAULT`: raw HTML becomes `<!-- raw HTML omitted -->`
/// and `javascript:` links lose their target) with UTF-8 validation; never `CMARK_OPT_UNSAFE`.
/// No smart punctuation either: it would turn a `"` in a file name into a curly quote.
final class CmarkDocument {
  typealias Node = OpaquePointer

  static let options = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8

  let root: Node

  init(markdown: [UInt8]) {
    // swift-format-ignore: NeverForceUnwrap
    // cmark_parse_document fails only when malloc does (and cmark aborts then).
    let source = markdown.isEmpty ? [UInt8(ascii: "\n")] : markdown
    root = source.withUnsafeBufferPointer { bytes in
      bytes.withMemoryRebound(to: CChar.self) {
        cmark_parse_document($0.baseAddress, $0.count, Self.options)
      }
    }!
  }

  deinit { cmark_node_free(root) }

  /// Every node of `type`, in document order (collected first, so callers may replace them).
  func nodes(of type: cmark_node_type) -> [Node] {
    var found: [Node] = []
    guard let iterator = cmark_iter_new(root) else { return [] }
    defer { cmark_iter_free(iterator) }
    while true {
      let event = cmark_iter_next(iterator)
      if event == CMARK_EVENT_DONE { break }
      guard event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator) else { continue }
      if cmark_node_get_type(node) == type { found.append(node) }
    }
    return found
  }

  /// A `CMARK_NODE_CUSTOM_BLOCK` that writes `html` verbatim: cmark's HTML writer prints a custom
  /// block's `on_enter` as it is, in safe mode too. Only libxml2's serialisations go here.
  static func customBlock(html: String) -> Node {
    // swift-format-ignore: NeverForceUnwrap
    // cmark_node_new fails only when malloc does.
    let node = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK)!
    cmark_node_set_on_enter(node, html)
    cmark_node_set_on_exit(node, "")
    return node
  }

  /// Replaces `old` with `new` and frees `old` (and its children).
  static func replace(_ old: Node, with new: Node) {
    cmark_node_replace(old, new)
    cmark_node_free(old)
  }

  /// The text of a node's inline content: text, code and line breaks (as spaces); raw HTML is
  /// left out, as safe mode leaves it out of the page.
  static func plainText(_ node: Node) -> String {
    var text = ""
    guard let iterator = cmark_iter_new(node) else { return "" }
    defer { cmark_iter_free(iterator) }
    while true {
      let event = cmark_iter_next(iterator)
      if event == CMARK_EVENT_DONE { break }
      guard event == CMARK_EVENT_ENTER, let n = cmark_iter_get_node(iterator) else { continue }
      switch cmark_node_get_type(n) {
      case CMARK_NODE_TEXT, CMARK_NODE_CODE:
        if let literal = cmark_node_get_literal(n) { text += String(cString: literal) }
      case CMARK_NODE_SOFTBREAK, CMARK_NODE_LINEBREAK:
        text += " "
      default:
        break
      }
    }
    return text
  }

  /// The HTML of a node's inline children (as in a paragraph, without the `<p>`): the children
  /// are moved into a scratch paragraph and rendered by cmark in safe mode.
  static func inlineHTML(movingChildrenOf node: Node) -> String {
    // swift-format-ignore: NeverForceUnwrap
    // cmark_node_new fails only when malloc does.
    let document = cmark_node_new(CMARK_NODE_DOCUMENT)!
    defer { cmark_node_free(document) }
    // swift-format-ignore: NeverForceUnwrap
    // cmark_node_new fails only when malloc does.
    let paragraph = cmark_node_new(CMARK_NODE_PARAGRAPH)!
    cmark_node_append_child(document, paragraph)
    while let child = cmark_node_first_child(node) {
      cmark_node_unlink(child)
      cmark_node_append_child(paragraph, child)
    }
    var html = renderHTML(document)
    if html.hasPrefix("<p>") { html.removeFirst(3) }
    if html.hasSuffix("</p>\n") { html.removeLast(5) }
    return html
  }

  /// cmark's HTML for a node and its children, in safe mode.
  static func renderHTML(_ node: Node) -> String {
    guard let html = cmark_render_html(node, options) else { return "" }
    defer { free(html) }
    return String(cString: html)
  }
}
