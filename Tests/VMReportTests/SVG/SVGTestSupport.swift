import CLibXML2
import Foundation
import Testing

@testable import VMReport

/// An SVG read back with libxml2, independently of how it was built: every element with its
/// attributes and its own text, in document order.
struct ParsedSVG {
  struct Element {
    var name: String
    var namespace: String?
    var attributes: [String: String]
    /// The element's direct text children, concatenated.
    var text: String
    /// Names of the ancestors, root first.
    var path: [String]
    /// Direct children, as indices into `elements`.
    var children: [Int]
  }

  var elements: [Element] = []
  /// Node types other than element and text (comments, PIs, CDATA, entity references).
  var otherNodeTypes: [Int32] = []

  init(_ bytes: [UInt8]) throws {
    let doc = try #require(
      bytes.withUnsafeBufferPointer { buffer in
        buffer.withMemoryRebound(to: CChar.self) {
          xmlReadMemory(
            $0.baseAddress, Int32($0.count), "test.svg", "UTF-8",
            Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue))
        }
      })
    defer { xmlFreeDoc(doc) }
    #expect(doc.pointee.intSubset == nil)
    walk(xmlDocGetRootElement(doc), path: [])
  }

  @discardableResult
  private mutating func walk(_ node: xmlNodePtr?, path: [String]) -> Int {
    guard let node else { return -1 }
    let name = String(cString: node.pointee.name)
    var attributes: [String: String] = [:]
    var attribute = node.pointee.properties
    while let a = attribute {
      let value = xmlGetProp(node, a.pointee.name)
      attributes[String(cString: a.pointee.name)] = value.map { String(cString: $0) } ?? ""
      cxml_free(value)
      attribute = a.pointee.next
    }
    let index = elements.count
    elements.append(
      Element(
        name: name, namespace: node.pointee.ns.map { String(cString: $0.pointee.href) },
        attributes: attributes, text: "", path: path, children: []))
    var child = node.pointee.children
    var text = ""
    var children: [Int] = []
    while let c = child {
      switch c.pointee.type {
      case XML_ELEMENT_NODE: children.append(walk(c, path: path + [name]))
      case XML_TEXT_NODE: text += c.pointee.content.map { String(cString: $0) } ?? ""
      default: otherNodeTypes.append(Int32(c.pointee.type.rawValue))
      }
      child = c.pointee.next
    }
    elements[index].text = text
    elements[index].children = children
    return index
  }

  func all(_ name: String) -> [Element] { elements.filter { $0.name == name } }

  /// Elements with `name` whose class list holds `cls`.
  func all(_ name: String, class cls: String) -> [Element] {
    all(name).filter {
      ($0.attributes["class"] ?? "").split(separator: " ").contains(Substring(cls))
    }
  }

  func children(of element: Element) -> [Element] { element.children.map { elements[$0] } }
}

/// The repository root (this file is Tests/VMReportTests/SVG/SVGTestSupport.swift).
let svgRepositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// What vmmap may write: the schema's elements and attributes, nothing else.
let svgAllowedElements: Set<String> = [
  "svg", "title", "desc", "style", "g", "rect", "line", "polyline", "polygon", "circle", "text",
]
let svgAllowedAttributes: Set<String> = [
  "viewBox", "width", "height", "role", "class", "x", "y", "rx", "x1", "y1", "x2", "y2",
  "points", "cx", "cy", "r",
]

/// Checks what every figure must be: re-parsed, only allowed elements and attributes in the
/// SVG namespace, no comments or PIs, title and desc first.
func expectSafeStructure(_ svg: ParsedSVG, sourceLocation: SourceLocation = #_sourceLocation) {
  #expect(svg.elements.first?.name == "svg", sourceLocation: sourceLocation)
  #expect(svg.otherNodeTypes.isEmpty, sourceLocation: sourceLocation)
  for element in svg.elements {
    #expect(
      svgAllowedElements.contains(element.name), "\(element.name)", sourceLocation: sourceLocation)
    #expect(element.namespace == svgNamespace, sourceLocation: sourceLocation)
    for key in element.attributes.keys {
      #expect(svgAllowedAttributes.contains(key), "\(key)", sourceLocation: sourceLocation)
    }
  }
  let root = svg.children(of: svg.elements[0]).map(\.name)
  #expect(Array(root.prefix(3)) == ["title", "desc", "style"], sourceLocation: sourceLocation)
}

/// Writes a figure to `/tmp/vmmap-svg-tests/NAME.svg` for looking at it by hand.
func keepForInspection(_ figure: ReportFigure, as name: String) {
  let dir = "/tmp/vmmap-svg-tests"
  try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  _ = FileManager.default.createFile(atPath: "\(dir)/\(name).svg", contents: Data(figure.svg))
}
