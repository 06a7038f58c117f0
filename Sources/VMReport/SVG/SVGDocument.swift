import CLibXML2

/// The SVG namespace; every element vmmap writes is in it.
let svgNamespace = "http://www.w3.org/2000/svg"

/// One SVG document under construction with libxml2's tree API, freed with the value.
///
/// Elements and attributes are created with `xmlNewDocNode` and `xmlNewProp`, text with
/// `xmlNewDocTextLen`: none of them reads entity references in what it is given, and
/// serialisation escapes `<`, `>`, `&` and quotes. Control characters and invalid UTF-8 are
/// not escaped by libxml2, so text from the system must be sanitised first (`XMLTextEscape`);
/// `SVGValidator` re-parses the result, so a mistake fails the figure instead of shipping.
final class SVGDocument {
  private let doc: xmlDocPtr
  /// The `<svg>` element.
  let root: SVGElement

  /// A document of `width` × `height` user units (also its natural size in pixels), with the
  /// accessible `<title>` and `<desc>` and the shared `<style>` as its first children.
  init(width: Double, height: Double, title: String, description: String) {
    // Allocation failures here are out of memory, which Swift itself does not survive either.
    let doc = withXMLChars("1.0") { xmlNewDoc($0) }!
    let node = withXMLChars("svg") { xmlNewDocNode(doc, nil, $0, nil) }!
    xmlDocSetRootElement(doc, node)
    self.doc = doc
    let ns = withXMLChars(svgNamespace) { xmlNewNs(node, $0, nil) }
    xmlSetNs(node, ns)
    root = SVGElement(node: node)
    root.set("viewBox", "0 0 \(SVGNumber.format(width)) \(SVGNumber.format(height))")
    root.set("width", width)
    root.set("height", height)
    root.set("role", "img")
    root.set("class", SVGStyle.rootClass)
    root.add("title").text(title)
    root.add("desc").text(description)
    root.add("style").text(SVGStyle.css)
    root.add("rect", ["class": "bg", "x": "0", "y": "0"]).set("width", width).set("height", height)
  }

  deinit { xmlFreeDoc(doc) }

  /// The `<svg>` element as UTF-8 bytes: no XML declaration, indented, non-ASCII written as
  /// UTF-8 (not as character references).
  func serialize() -> [UInt8] {
    guard let buffer = xmlBufferCreate() else { return [] }
    defer { xmlBufferFree(buffer) }
    let options = Int32(XML_SAVE_FORMAT.rawValue | XML_SAVE_NO_DECL.rawValue)
    guard let save = xmlSaveToBuffer(buffer, "UTF-8", options) else { return [] }
    xmlSaveTree(save, xmlDocGetRootElement(doc))
    xmlSaveClose(save)
    let count = Int(xmlBufferLength(buffer))
    guard count > 0, let content = xmlBufferContent(buffer) else { return [] }
    var bytes = Array(UnsafeBufferPointer(start: content, count: count))
    if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
    return bytes
  }
}

/// An element of an `SVGDocument`; valid while its document lives.
struct SVGElement {
  fileprivate let node: xmlNodePtr

  /// Appends a child element in the SVG namespace, with `attributes` in name order (so the
  /// output does not depend on dictionary order).
  @discardableResult
  func add(_ name: String, _ attributes: [String: String] = [:]) -> SVGElement {
    let child = withXMLChars(name) { xmlNewDocNode(node.pointee.doc, node.pointee.ns, $0, nil) }!
    xmlAddChild(node, child)
    let element = SVGElement(node: child)
    for key in attributes.keys.sorted() {
      element.set(key, attributes[key] ?? "")
    }
    return element
  }

  /// Sets an attribute; `value` is written escaped, never read for entities.
  @discardableResult
  func set(_ name: String, _ value: String) -> SVGElement {
    withXMLChars(name) { n in withXMLChars(value) { v in _ = xmlSetProp(node, n, v) } }
    return self
  }

  /// Sets a numeric attribute, formatted by `SVGNumber`.
  @discardableResult
  func set(_ name: String, _ value: Double) -> SVGElement {
    set(name, SVGNumber.format(value))
  }

  /// Appends text. It must already be sanitised (`XMLTextEscape`) if it came from the system.
  @discardableResult
  func text(_ content: String) -> SVGElement {
    var content = content
    content.withUTF8 { utf8 in
      utf8.withMemoryRebound(to: xmlChar.self) { chars in
        let textNode = xmlNewDocTextLen(node.pointee.doc, chars.baseAddress, Int32(chars.count))
        xmlAddChild(node, textNode)
      }
    }
    return self
  }

  /// A `<title>` child: the tooltip of its parent (`g`, `rect`).
  @discardableResult
  func tooltip(_ content: String) -> SVGElement {
    add("title").text(content)
    return self
  }
}

/// Calls `body` with `string` as a NUL-terminated `xmlChar` (UInt8) pointer.
func withXMLChars<R>(_ string: String, _ body: (UnsafePointer<xmlChar>) -> R) -> R {
  string.withCString { c in
    c.withMemoryRebound(to: xmlChar.self, capacity: string.utf8.count + 1, body)
  }
}
