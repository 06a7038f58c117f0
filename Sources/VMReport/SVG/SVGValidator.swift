import CLibXML2
import VMMapCore

/// Checks a figure before it is written: the bytes re-parse as well-formed XML (no network, no
/// DTD, no entities), and the document is valid against the RelaxNG schema of the subset vmmap
/// emits (`docs/schema/svg-subset.rng`, embedded). A figure that fails is a bug in vmmap: the
/// error is `internalError` (exit 70) and names the figure and libxml2's first message.
public enum SVGValidator {
  public static func validate(_ bytes: [UInt8], figure: String) throws(VMMapError) {
    xmlInitParser()
    let errors = LibXMLErrors()
    let context = Unmanaged.passUnretained(errors).toOpaque()
    xmlSetStructuredErrorFunc(context, collectLibXMLError)
    defer { xmlSetStructuredErrorFunc(nil, nil) }
    try withExtendedLifetime(errors) { () throws(VMMapError) in
      let doc = try parse(bytes, figure: figure, errors: errors)
      defer { xmlFreeDoc(doc) }
      try validateAgainstSchema(doc, figure: figure, errors: errors, context: context)
    }
  }

  /// Re-parses the serialised SVG as XML: well-formed, no DOCTYPE (so no entity can be
  /// declared), nothing fetched.
  private static func parse(_ bytes: [UInt8], figure: String, errors: LibXMLErrors)
    throws(VMMapError) -> xmlDocPtr
  {
    let options = Int32(XML_PARSE_NONET.rawValue)
    let parsed = bytes.withUnsafeBufferPointer { buffer in
      buffer.withMemoryRebound(to: CChar.self) { chars in
        xmlReadMemory(chars.baseAddress, Int32(chars.count), "\(figure).svg", "UTF-8", options)
      }
    }
    guard let doc = parsed else {
      throw failure(figure, "the SVG is not well-formed XML: " + errors.first("no document"))
    }
    if doc.pointee.intSubset != nil || doc.pointee.extSubset != nil {
      xmlFreeDoc(doc)
      throw failure(figure, "the SVG has a DOCTYPE, which vmmap never writes")
    }
    return doc
  }

  private static func validateAgainstSchema(
    _ doc: xmlDocPtr, figure: String, errors: LibXMLErrors, context: UnsafeMutableRawPointer
  ) throws(VMMapError) {
    let schemaText = SVGSchema.text
    let parserContext = schemaText.withCString { text in
      xmlRelaxNGNewMemParserCtxt(text, Int32(schemaText.utf8.count))
    }
    guard let parserContext else {
      throw failure(figure, "cannot read the embedded schema \(SVGSchema.path)")
    }
    xmlRelaxNGSetParserStructuredErrors(parserContext, collectLibXMLError, context)
    let schema = xmlRelaxNGParse(parserContext)
    xmlRelaxNGFreeParserCtxt(parserContext)
    guard let schema else {
      throw failure(
        figure, "the embedded schema \(SVGSchema.path) does not parse: " + errors.first("unknown"))
    }
    defer { xmlRelaxNGFree(schema) }
    guard let validContext = xmlRelaxNGNewValidCtxt(schema) else {
      throw failure(figure, "cannot create a RelaxNG validation context")
    }
    defer { xmlRelaxNGFreeValidCtxt(validContext) }
    xmlRelaxNGSetValidStructuredErrors(validContext, collectLibXMLError, context)
    if xmlRelaxNGValidateDoc(validContext, doc) != 0 {
      throw failure(
        figure,
        "the SVG is not valid against \(SVGSchema.path): " + errors.first("no message"))
    }
  }

  private static func failure(_ figure: String, _ why: String) -> VMMapError {
    VMMapError(
      .internalError, what: "figure " + TerminalEscape.escape(figure), why: why,
      fix: "a bug in vmmap's SVG builder: please report it with this line")
  }
}

/// libxml2's messages during one validation, in order.
final class LibXMLErrors {
  var messages: [String] = []

  /// The first message, or `fallback`.
  func first(_ fallback: String) -> String { messages.first ?? fallback }
}

/// libxml2's structured error handler: records "line N: message" in the `LibXMLErrors` passed
/// as its context, instead of printing to stderr. Capture-free, so it converts to a C pointer.
private let collectLibXMLError: xmlStructuredErrorFunc = { context, error in
  guard let context, let error else { return }
  let errors = Unmanaged<LibXMLErrors>.fromOpaque(context).takeUnretainedValue()
  var message = error.pointee.message.map { String(cString: $0) } ?? "unknown error"
  while message.last == "\n" || message.last == " " { message.removeLast() }
  let line = error.pointee.line
  let text = TerminalEscape.escape(line > 0 ? "line \(line): \(message)" : message)
  errors.messages.append(text)
}
