import Foundation
import Testing
import VMMapCore

@testable import VMReport

@Suite struct SVGValidatorTests {
  /// A document as the figures build it, then `extra` adds something the schema lacks.
  func figure(_ extra: (SVGElement) -> Void) throws(VMMapError) -> ReportFigure {
    let document = SVGDocument(width: 100, height: 50, title: "t", description: "d")
    document.root.add("rect", ["class": "bg", "x": "0", "y": "0", "width": "10", "height": "10"])
    extra(document.root)
    return try SVGFigure.finish(document, name: "evil-figure", title: "t")
  }

  @Test func aMinimalFigureIsValid() throws {
    let figure = try figure { _ in }
    #expect(figure.name == "evil-figure")
    #expect(
      String(decoding: figure.svg, as: UTF8.self).hasPrefix(
        "<svg xmlns=\"http://www.w3.org/2000/svg\""))
  }

  @Test(arguments: [
    "script", "foreignObject", "image", "use", "a", "animate", "set", "iframe", "path",
  ])
  func elementsOutsideTheSubsetAreRefused(name: String) throws {
    let error = try #require(throws: VMMapError.self) {
      _ = try figure { $0.add(name, ["class": "x"]) }
    }
    #expect(error.code == .internalError)
    #expect(error.exitCode == 70)
    #expect(error.what == "figure evil-figure")
    #expect(error.why.contains("not valid against docs/schema/svg-subset.rng"))
    #expect(error.why.contains(name))
    #expect(!error.description.contains("\n"))
  }

  @Test(arguments: [
    ("onload", "alert(1)"), ("href", "#x"), ("style", "fill:red"), ("id", "x"),
    ("x", "1e3"), ("x", "10px"), ("class", "Evil\"x"), ("class", "a;b"),
  ])
  func attributesOutsideTheSubsetAreRefused(attribute: String, value: String) throws {
    let error = try #require(throws: VMMapError.self) {
      _ = try figure {
        $0.add("rect", ["class": "bg", "x": "0", "y": "0", "width": "1", "height": "1"]).set(
          attribute, value)
      }
    }
    #expect(error.code == .internalError)
    #expect(error.what == "figure evil-figure")
  }

  /// The safety net under the sanitiser: libxml2 writes a raw ESC, and the re-parse refuses it.
  @Test func unsanitisedControlCharacterFailsTheFigure() throws {
    let error = try #require(throws: VMMapError.self) {
      _ = try figure { $0.add("text", ["x": "0", "y": "0"]).text("\u{1b}[31m") }
    }
    #expect(error.why.contains("not well-formed"))
  }

  @Test func malformedAndDoctypeBytesAreRefused() throws {
    let notWellFormed = Array("<svg xmlns=\"http://www.w3.org/2000/svg\"><g></svg>".utf8)
    let e1 = try #require(throws: VMMapError.self) {
      try SVGValidator.validate(notWellFormed, figure: "broken")
    }
    #expect(e1.what == "figure broken")
    #expect(e1.why.contains("not well-formed"))
    let doctype = Array(
      """
      <!DOCTYPE svg [<!ENTITY e "x">]><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" \
      width="1" height="1" role="img" class="vmfig"><title>&e;</title><desc/><style/></svg>
      """.utf8)
    let e2 = try #require(throws: VMMapError.self) {
      try SVGValidator.validate(doctype, figure: "entity")
    }
    #expect(e2.why.contains("DOCTYPE"))
    let wrongNamespace = Array(
      """
      <svg viewBox="0 0 1 1" width="1" height="1" role="img" class="vmfig"><title/><desc/>\
      <style/></svg>
      """.utf8)
    #expect(throws: VMMapError.self) { try SVGValidator.validate(wrongNamespace, figure: "ns") }
  }

  /// The schema in the repository and the copy in the binary are the same bytes.
  @Test func embeddedSchemaMatchesTheFile() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: svgRepositoryRoot + "/" + SVGSchema.path))
    #expect(String(decoding: data, as: UTF8.self) == SVGSchema.text)
  }
}
