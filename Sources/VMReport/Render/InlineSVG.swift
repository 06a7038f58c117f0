import CLibXML2
import VMMapCore

/// A figure's `<svg>` made ready to sit inside an HTML page: parsed with libxml2, checked against
/// what vmmap's figures may hold, and written back by libxml2, so the page gets exactly what was
/// checked.
///
/// Figures arrive validated against the RelaxNG schema of vmmap's SVG subset; this is the HTML
/// stage's own, narrower guard (defence in depth, and it keeps a page's promise of no script and
/// no external resource): no DOCTYPE (so no entities), SVG elements from a fixed list only, no
/// event-handler attribute, every `href` a same-document `#…` reference, and no `url(…)` other
/// than `url(#…)` in attributes or styles. A figure that fails is a vmmap bug: an internal error.
enum InlineSVG {
  static let namespace = "http://www.w3.org/2000/svg"
  static let xlinkNamespace = "http://www.w3.org/1999/xlink"

  /// The SVG elements a figure may use: shapes, text, grouping, paint servers, clipping.
  static let elements: Set<String> = [
    "svg", "g", "defs", "title", "desc", "rect", "circle", "ellipse", "line", "polyline",
    "polygon", "path", "text", "tspan", "linearGradient", "radialGradient", "stop", "clipPath",
    "mask", "pattern", "marker", "symbol", "use", "style",
  ]

  /// The `<svg>` element of `figure`, checked and serialised as XML (inline SVG in HTML is
  /// foreign content, where `<rect/>` closes itself). With `labelled`, the root also gets
  /// `role="img"` and the figure's title as `aria-label` (made visible first), for screen
  /// readers in the HTML page.
  static func markup(_ figure: ReportFigure, labelled: Bool = false) throws(VMMapError)
    -> String
  {
    func failure(_ why: String) -> VMMapError {
      VMMapError(
        .internalError, what: "figure \(figure.name)", why: why,
        fix: "report this as a vmmap bug")
    }
    guard let context = xmlNewParserCtxt() else { throw failure("libxml2 is out of memory") }
    defer { xmlFreeParserCtxt(context) }
    let options = Int32(
      bitPattern: XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue
        | XML_PARSE_NOWARNING.rawValue | XML_PARSE_NOCDATA.rawValue)
    let parsed = figure.svg.withUnsafeBufferPointer { bytes in
      bytes.withMemoryRebound(to: CChar.self) {
        xmlCtxtReadMemory(context, $0.baseAddress, Int32($0.count), "figure.svg", "UTF-8", options)
      }
    }
    guard let document = parsed else {
      let message = context.pointee.lastError.message.map { String(cString: $0) } ?? "no message"
      throw failure("its SVG is not well-formed XML: " + trimmed(message))
    }
    defer { xmlFreeDoc(document) }
    if document.pointee.intSubset != nil { throw failure("its SVG has a DOCTYPE") }
    guard let root = xmlDocGetRootElement(document) else { throw failure("its SVG is empty") }
    guard name(root) == "svg" else { throw failure("its root element is not <svg>") }
    if let problem = check(root) { throw failure(problem) }
    if labelled {
      withXMLChars("role") { k in withXMLChars("img") { v in _ = xmlSetProp(root, k, v) } }
      withXMLChars("aria-label") { k in
        withXMLChars(HTMLText.visible(figure.title)) { v in _ = xmlSetProp(root, k, v) }
      }
    }
    guard let buffer = xmlBufferCreate() else { throw failure("libxml2 is out of memory") }
    defer { xmlBufferFree(buffer) }
    xmlNodeDump(buffer, document, root, 0, 0)
    guard let content = xmlBufferContent(buffer) else { throw failure("libxml2 wrote nothing") }
    return String(cString: content)
  }

  /// The first reason `node` and its descendants are not allowed, or nil.
  static func check(_ node: UnsafeMutablePointer<xmlNode>) -> String? {
    let element = name(node)
    guard let ns = node.pointee.ns, string(ns.pointee.href) == namespace else {
      return "<\(element)> is not in the SVG namespace"
    }
    // HTML's parser reads only unprefixed SVG names.
    guard ns.pointee.prefix == nil else { return "<\(element)> has a namespace prefix" }
    guard elements.contains(element) else { return "<\(element)> is not allowed in a figure" }
    var definition = node.pointee.nsDef
    while let d = definition {
      let href = string(d.pointee.href)
      guard href == namespace || href == xlinkNamespace else {
        return "<\(element)> declares the namespace \(href)"
      }
      definition = d.pointee.next
    }
    var attribute = node.pointee.properties
    while let a = attribute {
      let attributeName = string(a.pointee.name)
      let value = attributeValue(a)
      if let problem = checkAttribute(attributeName, namespace: a.pointee.ns, value: value) {
        return "<\(element) \(attributeName)=…> \(problem)"
      }
      attribute = a.pointee.next
    }
    var child = node.pointee.children
    while let c = child {
      switch c.pointee.type {
      case XML_ELEMENT_NODE:
        if let problem = check(c) { return problem }
      case XML_TEXT_NODE:
        if element == "style", let problem = checkCSS(string(c.pointee.content)) {
          return "<style> \(problem)"
        }
      case XML_COMMENT_NODE:
        break
      default:
        return "<\(element)> holds a node of type \(c.pointee.type.rawValue)"
      }
      child = c.pointee.next
    }
    return nil
  }

  static func checkAttribute(
    _ name: String, namespace ns: UnsafeMutablePointer<xmlNs>?, value: String
  ) -> String? {
    if name.lowercased().hasPrefix("on") { return "is an event handler" }
    if let ns {
      let href = string(ns.pointee.href)
      let xml = "http://www.w3.org/XML/1998/namespace"
      guard href == xlinkNamespace || href == xml else { return "is in namespace \(href)" }
    }
    if name == "href" && !value.hasPrefix("#") { return "leaves the document" }
    if name == "style" { return checkCSS(value) }
    return checkCSS(value).map { _ in "refers outside the document" }
  }

  /// Whether CSS text (a `style` attribute or element, or any attribute value) refers outside
  /// the document: `url(` other than `url(#`, `@import`, `expression(`.
  static func checkCSS(_ text: String) -> String? {
    let folded = String(text.lowercased().unicodeScalars.filter { !$0.properties.isWhitespace })
    if folded.contains("@import") || folded.contains("expression(") {
      return "refers outside the document"
    }
    var rest = folded[...]
    while let r = rest.firstRange(of: "url(") {
      rest = rest[r.upperBound...]
      let target = rest.drop { $0 == "\"" || $0 == "'" }
      guard target.first == "#" else { return "refers outside the document" }
    }
    return nil
  }

  static func name(_ node: UnsafeMutablePointer<xmlNode>) -> String { string(node.pointee.name) }

  static func string(_ chars: UnsafePointer<xmlChar>?) -> String {
    chars.map { String(cString: $0) } ?? ""
  }

  static func attributeValue(_ attribute: UnsafeMutablePointer<xmlAttr>) -> String {
    guard let value = xmlNodeListGetString(attribute.pointee.doc, attribute.pointee.children, 1)
    else { return "" }
    defer { cxml_free(value) }
    return String(cString: value)
  }

  static func trimmed(_ message: String) -> String {
    String(
      message.drop { $0 == " " || $0 == "\n" }.reversed().drop { $0 == " " || $0 == "\n" }
        .reversed())
  }
}
