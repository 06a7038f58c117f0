import CLibXML2
import VMMapCore

/// HTML elements built with libxml2's tree API and written by its HTML serialiser, so that
/// every text node and attribute value is escaped by libxml2 (after `HTMLText.visible` has made
/// control characters and invalid UTF-8 visible, which libxml2 would write raw).
///
/// One builder owns one libxml2 document; each fragment is built detached, serialised, and
/// freed in `serialize`.
final class HTMLFragmentBuilder {
  typealias Node = UnsafeMutablePointer<xmlNode>

  private let document: UnsafeMutablePointer<xmlDoc>

  init() {
    // swift-format-ignore: NeverForceUnwrap
    // htmlNewDocNoDtD fails only when malloc does.
    document = htmlNewDocNoDtD(nil, nil)!
  }

  deinit { xmlFreeDoc(document) }

  /// A detached element with attributes (values are plain text: made visible here, escaped by
  /// libxml2) and optional text content.
  func element(_ name: String, _ attributes: [(String, String)] = [], text: String? = nil)
    -> Node
  {
    // swift-format-ignore: NeverForceUnwrap
    // xmlNewDocNode fails only when malloc does.
    let node = withXMLChars(name) { xmlNewDocNode(document, nil, $0, nil) }!
    for (key, value) in attributes {
      withXMLChars(key) { k in
        withXMLChars(HTMLText.visible(value)) { v in _ = xmlSetProp(node, k, v) }
      }
    }
    if let text { append(text: text, to: node) }
    return node
  }

  /// Appends a new child element to `parent` and returns it.
  @discardableResult
  func append(
    _ name: String, _ attributes: [(String, String)] = [], text: String? = nil, to parent: Node
  ) -> Node {
    let child = element(name, attributes, text: text)
    xmlAddChild(parent, child)
    return child
  }

  /// Appends plain text (made visible, then escaped by libxml2 when written).
  func append(text: String, to parent: Node) {
    let node = withXMLChars(HTMLText.visible(text)) { xmlNewDocText(document, $0) }
    if let node { xmlAddChild(parent, node) }
  }

  /// The HTML serialisation of `node` (libxml2's HTML writer: `<td></td>`, never `<td/>`);
  /// the node is freed.
  func serialize(_ node: Node) -> String {
    defer { xmlFreeNode(node) }
    guard let buffer = xmlBufferCreate() else { return "" }
    defer { xmlBufferFree(buffer) }
    htmlNodeDump(buffer, document, node)
    guard let content = xmlBufferContent(buffer) else { return "" }
    return String(cString: content)
  }
}

/// Calls `body` with `string` as a NUL-terminated `xmlChar` (UInt8) pointer.
func withXMLChars<R>(_ string: String, _ body: (UnsafePointer<xmlChar>) throws -> R) rethrows
  -> R
{
  try string.withCString { c in
    try c.withMemoryRebound(to: xmlChar.self, capacity: string.utf8.count + 1, body)
  }
}
