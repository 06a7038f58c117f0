import Foundation
import Testing
import VMMapCore

@testable import VMReport

/// Names chosen by whoever ran the process, meant to become markup, links, tables, escapes or
/// a broken document if written raw. Each must come out of every figure as inert text.
let hostileLabels: [(String, [UInt8])] = {
  var labels: [(String, [UInt8])] = [
    "<script>alert(1)</script>", "](javascript:alert(1))", "| a | b |", "`code`", "**bold**",
    "new\nline", "cr\r\nlf", "\u{1b}[31mred\u{1b}[0m", "\u{202e}gnp.exe", "a\u{200d}b\u{200b}c",
    "]]>", "&#x3c;script&#x3e;", "&lt;b&gt; &amp;", "\" onload=\"alert(1)", "' onmouseover='x",
    "</text><script>x</script>", "<!DOCTYPE x [<!ENTITY e \"boom\">]>&e;",
    "<?xml-stylesheet href=\"http://x.example/a.css\"?>", "xlink:href=\"javascript:alert(1)\"",
    "<foreignObject><body onload=x>", "tab\there", "nel\u{85}c1", "bom\u{feff}", "\u{2066}isolate",
    "emoji 🧠 é", "back\\slash\\012",
  ].map { ($0, Array($0.utf8)) }
  labels.append(("invalid UTF-8", [0x2f, 0x74, 0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0x78]))
  labels.append(("U+FFFE and U+FFFF", [0x61, 0xef, 0xbf, 0xbe, 0x62, 0xef, 0xbf, 0xbf]))
  // Every byte but NUL and '/', in a fixed scrambled order.
  labels.append(
    ("binary junk", (0..<255).map { UInt8((($0 * 97) % 255) + 1) }.filter { $0 != 0x2f }))
  labels.append(
    ("4,000-byte path", Array(("/" + String(repeating: "deep/", count: 799)).utf8.prefix(4000))))
  return labels
}()

@Suite struct XMLTextEscapeTests {
  @Test(arguments: [
    ([0x61, 0x0a, 0x62] as [UInt8], "a\\nb"),
    ([0x1b, 0x5b, 0x33, 0x31, 0x6d], "\\x1b[31m"),
    ([0xff, 0x41], "\\xffA"),
    ([0xe2, 0x80, 0xae, 0x61], "\\u202ea"),
    ([0xe2, 0x80, 0x8d], "\\u200d"),  // zero-width joiner
    ([0xef, 0xbf, 0xbe], "\\ufffe"),  // not an XML character, though valid UTF-8
    ([0xef, 0xbf, 0xbf], "\\uffff"),
    ([0xc3, 0xa9, 0x3c, 0x26], "é<&"),  // libxml2 escapes markup characters itself
  ])
  func visibleForms(input: [UInt8], expected: String) {
    #expect(XMLTextEscape.sanitize(input) == expected)
  }

  /// Outside U+FFFE/U+FFFF, the SVG shows exactly what the terminal shows.
  @Test func sameFormsAsTheTerminal() {
    for (name, bytes) in hostileLabels where name != "U+FFFE and U+FFFF" {
      #expect(XMLTextEscape.sanitize(bytes) == TerminalEscape.escape(bytes), "\(name)")
    }
  }

  @Test func everyCharacterIsXMLText() {
    for (name, bytes) in hostileLabels {
      let text = XMLTextEscape.sanitize(bytes)
      for scalar in text.unicodeScalars {
        let v = scalar.value
        let ok =
          (0x20...0x7e).contains(v) || (0xa0...0xd7ff).contains(v)
          || (0xe000...0xfffd).contains(v) || v >= 0x10000
        #expect(ok, "\(name): U+\(hex(UInt64(v)))")
      }
    }
  }

  @Test func shortenKeepsBothEnds() {
    let long = "/usr/lib/" + String(repeating: "x", count: 100) + "/libc.so.6"
    let short = XMLTextEscape.shorten(long, to: 30)
    #expect(short.unicodeScalars.count == 30)
    #expect(short.hasPrefix("/usr/lib/"))
    #expect(short.hasSuffix("/libc.so.6"))
    #expect(short.contains("…"))
    #expect(XMLTextEscape.shorten("short", to: 30) == "short")
    let module = "/root/.pyenv/versions/3.11.7/lib/python3.11/lib-dynload/_struct.cpython-311.so"
    #expect(
      XMLTextEscape.shorten(module, to: 56)
        == "/root/.pyenv/versions/3.11.7/lib…/_struct.cpython-311.so")
    #expect(XMLTextEscape.shorten(module, to: 56).unicodeScalars.count == 56)
  }
}

@Suite struct HostileTextTests {
  /// A region named with each hostile label: the SVG re-parses, holds only allowed elements and
  /// attributes, the band's text is the shortened sanitised label and its tooltip the full one.
  @Test func addressSpaceLabelsAreInert() throws {
    var regions: [AddressSpaceFigure.Region] = []
    var address: UInt64 = 0x7f00_0000_0000
    for (_, bytes) in hostileLabels {
      regions.append(.init(start: address, end: address + 0x1000, kind: .privateFile, label: bytes))
      address += 0x10_0000
    }
    let figure = try AddressSpaceFigure(
      title: "hostile <title> \u{1b}[1m", regions: regions
    ).render()
    keepForInspection(figure, as: "hostile-address-space")
    let svg = try ParsedSVG(figure.svg)
    expectSafeStructure(svg)
    #expect(svg.elements[1].text == "hostile <title> \\x1b[1m")
    let bandTexts = svg.all("text").map(\.text)
    let tooltips = svg.all("title").map(\.text)
    for (name, bytes) in hostileLabels {
      let sanitized = XMLTextEscape.sanitize(bytes)
      let shown = XMLTextEscape.shorten(sanitized, to: AddressSpaceFigure.labelLimit) + " · 4 KiB"
      #expect(bandTexts.contains(shown), "\(name)")
      #expect(tooltips.contains { $0.hasSuffix(" · private-file · " + sanitized) }, "\(name)")
    }
    for text in bandTexts + tooltips {
      #expect(!text.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) })
    }
    // The 4,000-byte path is shortened in the band, whole in the tooltip.
    #expect(bandTexts.allSatisfy { $0.unicodeScalars.count < 200 })
    #expect(figure.svg.count < 60_000)
  }

  @Test func residencyLabelsAreInert() throws {
    let strips = hostileLabels.map {
      ResidencyStrip(label: $0.1, start: 0x7f00_0000_0000, pages: [.present, .notPresent])
    }
    let figure = try ResidencyFigure(title: "<b>&amp;</b>", strips: strips).render()
    let svg = try ParsedSVG(figure.svg)
    expectSafeStructure(svg)
    #expect(svg.elements[1].text == "<b>&amp;</b>")
    let tooltips = svg.all("title").map(\.text)
    for (name, bytes) in hostileLabels {
      #expect(tooltips.contains { $0.hasPrefix(XMLTextEscape.sanitize(bytes) + " · ") }, "\(name)")
    }
  }

  /// The raw bytes hold none of the markup the labels tried to inject. (`href=` and `onload=`
  /// do appear, as text between tags; that no attribute carries them is checked on the parsed
  /// tree by `expectSafeStructure`.)
  @Test func noInjectedMarkupInTheBytes() throws {
    var regions: [AddressSpaceFigure.Region] = []
    var address: UInt64 = 0x1000
    for (_, bytes) in hostileLabels {
      regions.append(.init(start: address, end: address + 0x1000, kind: .heap, label: bytes))
      address += 0x2000
    }
    let text = String(
      decoding: try AddressSpaceFigure(regions: regions).render().svg, as: UTF8.self)
    for needle in ["<script", "<foreignObject", "<body", "<!DOCTYPE", "<!ENTITY", "<?xml", "]]>"] {
      #expect(!text.contains(needle), "\(needle)")
    }
  }
}
