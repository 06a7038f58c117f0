import Foundation
import Testing
import VMMapCore

@testable import VMReport

/// A template-like report: every kind of mark at the top level and nested, hostile names in
/// table cells and (escaped for Markdown, as the view model escapes them) in prose.
func reportMarkdown() -> String {
  var md = "# Memory of \\<demo\\> \\& friends\n\nAn introduction with *emphasis*.\n\n"
  md += "## Tables\n\n```vmmap table=hostile\nignored content\n```\nText right after.\n\n"
  md += "## Figures\n\n```vmmap figure=address-space\n```\n\n"
  md += "## Names in prose\n\n"
  for cell in hostileCells {
    md +=
      "- " + MarkdownEscape.escape(cell) + " and " + MarkdownEscape.escape(cell, as: .code)
      + "\n"
  }
  md += "\n## Nested marks\n\n- A list item with a table:\n\n  ```vmmap table=small\n  ```\n\n"
  md += "> A quoted figure:\n>\n> ```vmmap figure=address-space\n> ```\n\n"
  md += "## Missing marks\n\n```vmmap table=missing\n```\n\n```vmmap figure=nowhere\n```\n\n"
  md += "```vmmap chart=pie\n```\n\n"
  md += "### Same heading\n\n### Same heading\n\n```swift\nlet x = \"<b>\"\n```\n"
  return md
}

func reportMarks() -> TestMarks {
  TestMarks(
    tables: [
      "hostile": hostileTable(),
      "small": ReportTable(
        columns: [.init("Kind"), .init("Regions", .right)], rows: [["heap", "1"], ["stack", "2"]]),
    ],
    figures: [
      "address-space": ReportFigure(
        name: "address-space", title: "The address space <from> \u{1b}[1mlow to high",
        svg: Array(sampleSVG.utf8))
    ])
}

/// Elements the page may contain: what cmark writes for Markdown, the page frame, the marks'
/// tables and figures, and the SVG subset. Anything else was injected.
let allowedElements: Set<String> = [
  "html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "h4", "p", "ul",
  "ol", "li", "a", "code", "pre", "em", "strong", "blockquote", "hr", "br", "div", "table",
  "caption", "thead", "tbody", "tr", "th", "td", "nav", "figure", "figcaption",
  "svg", "defs", "linearGradient", "lineargradient", "stop", "rect", "text", "path",
]

@Suite struct HTMLDocumentTests {
  func render() throws -> (bytes: [UInt8], page: HTMLElement) {
    let renderer = HTMLDocumentRenderer(
      title: "vmmap report: <host> & \u{1b}[31m",
      metadata: [.init(name: "generator", content: "vmmap \"test\" <1>")])
    let bytes = try renderer.render(markdown: reportMarkdown(), marks: reportMarks())
    return (bytes, try parseHTML(bytes))
  }

  @Test func pageFrame() throws {
    let (bytes, page) = try render()
    let text = String(decoding: bytes, as: UTF8.self)
    #expect(
      text.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"))
    #expect(text.hasSuffix("</main>\n</body>\n</html>\n"))
    #expect(page.name == "html" && page.attribute("lang") == "en")
    let head = try #require(page.elements("head").first)
    let csp = head.elements("meta").filter {
      $0.attribute("http-equiv") == "Content-Security-Policy"
    }
    #expect(csp.count == 1)
    #expect(
      csp.first?.attribute("content")
        == "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
        + "form-action 'none'")
    #expect(head.elements("meta").contains { $0.attribute("charset") == "utf-8" })
    #expect(
      head.elements("meta").contains {
        $0.attribute("name") == "generator" && $0.attribute("content") == "vmmap \"test\" <1>"
      })
    #expect(head.elements("title").map(\.text) == ["vmmap report: <host> & \\x1b[31m"])
    #expect(page.elements("style").count == 1)
    #expect(head.elements("style").first?.text.contains("prefers-color-scheme: dark") == true)
    #expect(head.elements("style").first?.text.contains("@media print") == true)
  }

  /// Nothing but the expected elements; no script, no event handler, no link or source leaving
  /// the document; no comment (safe mode's `raw HTML omitted` would mean a value was raw).
  @Test func nothingActiveOrExternal() throws {
    let (bytes, page) = try render()
    let names = Set(page.all.map(\.name))
    #expect(names.isSubset(of: allowedElements), "\(names.subtracting(allowedElements))")
    #expect(page.elements("script").isEmpty && page.elements("img").isEmpty)
    let ids = Set(page.all.compactMap { $0.attribute("id") })
    for element in page.all {
      for (name, value) in element.attributes {
        #expect(!name.lowercased().hasPrefix("on"), "<\(element.name) \(name)=\(value)>")
        #expect(name != "src" && name != "xlink:href" && name != "action")
        if name == "href" {
          #expect(value.hasPrefix("#") && ids.contains(String(value.dropFirst())), "\(value)")
        }
      }
    }
    #expect(page.comments.isEmpty, "\(page.comments)")
    // No control character, C1 control or bidi override anywhere in the bytes.
    let scalars = String(decoding: bytes, as: UTF8.self).unicodeScalars
    #expect(
      !scalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7f...0x9f).contains($0.value) })
    #expect(!scalars.contains { TerminalEscape.isInvisibleControl($0) || $0 == "\u{FFFD}" })
  }

  @Test func hostileCellsAreExactText() throws {
    let (_, page) = try render()
    let table = try #require(
      page.elements("table").first {
        $0.elements("caption").first?.text.hasPrefix("Hostile") == true
      })
    #expect(
      table.elements("caption").map(\.text) == ["Hostile names <b>as text</b> | [x](javascript:1)"])
    let heads = table.elements("th")
    #expect(heads.map(\.text) == ["#", "Name | <b>", "Size"])
    #expect(heads.map { $0.attribute("class") } == ["num", nil, "num"])
    let rows = table.elements("tbody").flatMap { $0.elements("tr") }
    #expect(rows.count == hostileCells.count)
    for (k, row) in rows.enumerated() {
      let cells = row.elements("td")
      #expect(cells.count == 3)
      #expect(cells.map(\.text) == ["\(k)", TerminalEscape.escape(hostileCells[k]), "4 KiB"])
      #expect(cells.map { $0.attribute("class") } == ["num", nil, "num"])
      #expect(
        cells.allSatisfy { $0.children.allSatisfy { if case .text = $0 { true } else { false } } })
    }
    // The 4,000-byte path arrives whole.
    #expect(rows.last?.elements("td")[1].text.utf8.count == 4000)
  }

  @Test func hostileNamesInProseAreExactText() throws {
    let (_, page) = try render()
    let list = try #require(
      page.elements("ul").first { $0.elements("li").count == hostileCells.count })
    for (item, cell) in zip(list.elements("li"), hostileCells) {
      let visible = TerminalEscape.escape(cell)
      #expect(item.text == visible + " and " + visible)
      #expect(item.all.map(\.name) == ["li", "code"], "\(cell)")
    }
  }

  @Test func figureIsInlineSVGWithCaption() throws {
    let (_, page) = try render()
    let figures = page.elements("figure")
    #expect(figures.count == 2)
    for figure in figures {
      #expect(figure.attribute("class") == "figure")
      let svg = try #require(figure.elements("svg").first)
      #expect(svg.elements("title").map(\.text) == ["Address space <demo>"])
      #expect(svg.elements("text").map(\.text) == ["heap & stack <here>"])
      #expect(svg.elements("rect").count == 2)
      #expect(svg.attribute("role") == "img")
      #expect(svg.attribute("aria-label") == "The address space <from> \\x1b[1mlow to high")
      #expect(
        figure.elements("figcaption").map(\.text) == [
          "The address space <from> \\x1b[1mlow to high"
        ])
    }
  }

  @Test func nestedMarksAndNotes() throws {
    let (_, page) = try render()
    let item = try #require(page.elements("li").first { $0.text.contains("A list item") })
    #expect(item.elements("table").count == 1)
    #expect(item.elements("td").map(\.text) == ["heap", "1", "stack", "2"])
    let quote = try #require(page.elements("blockquote").first)
    #expect(quote.elements("figure").count == 1)
    let notes = page.all.filter { $0.attribute("class") == "mark-missing" }
    #expect(
      notes.map(\.text) == [
        "(no table named missing)", "(no figure named nowhere)",
        "(not a table or figure mark: vmmap chart=pie)",
      ])
    // An ordinary fenced block stays a code block; a mark's content is dropped.
    #expect(page.elements("pre").map(\.text) == ["let x = \"<b>\"\n"])
    #expect(!page.text.contains("ignored content"))
    #expect(page.elements("p").contains { $0.text == "Text right after." })
  }

  @Test func headingIdsAndTableOfContents() throws {
    let (_, page) = try render()
    let headings = page.all.filter { ["h1", "h2", "h3"].contains($0.name) }
    #expect(
      headings.map { $0.attribute("id") ?? "" } == [
        "memory-of-demo-friends", "tables", "figures", "names-in-prose", "nested-marks",
        "missing-marks", "same-heading", "same-heading-2",
      ])
    #expect(headings.first?.text == "Memory of <demo> & friends")
    let nav = try #require(page.elements("nav").first)
    #expect(nav.attribute("class") == "toc")
    #expect(
      nav.elements("a").map { $0.attribute("href") ?? "" } == [
        "#tables", "#figures", "#names-in-prose", "#nested-marks", "#missing-marks",
        "#same-heading", "#same-heading-2",
      ])
    // The contents come after the title and the introduction, before the first section.
    let order = page.all.map(\.name)
    let navAt = try #require(order.firstIndex(of: "nav"))
    #expect(order.firstIndex(of: "h1")! < navAt && navAt < order.firstIndex(of: "h2")!)
  }

  @Test func deterministic() throws {
    #expect(try render().bytes == render().bytes)
  }

  @Test func rawControlBytesAndInvalidUTF8InTheMarkdownBecomeVisible() throws {
    let markdown: [UInt8] =
      Array("Raw: ".utf8) + [0x1b] + Array("[31m".utf8) + [0xff, 0xc2, 0x9b, 0x00]
      + Array(" end \u{202e}x\n".utf8)
    let bytes = try HTMLDocumentRenderer(title: "t").render(markdown: markdown, marks: TestMarks())
    let page = try parseHTML(bytes)
    #expect(page.elements("p").map(\.text) == ["Raw: \\x1b[31m\\xff\\u009b\\x00 end \\u202ex"])
  }

  @Test func tableWithAWrongRowIsABug() throws {
    let marks = TestMarks(tables: [
      "t": ReportTable(columns: [.init("a"), .init("b")], rows: [["1", "2"], ["3"]])
    ])
    #expect {
      _ = try HTMLDocumentRenderer(title: "t").render(
        markdown: "```vmmap table=t\n```\n", marks: marks)
    } throws: { ($0 as? VMMapError)?.code == .internalError }
  }

  @Test(arguments: ["Tables & more", "  --Über  größe--  ", "", "!!!", "a_b c-d"])
  func slugs(heading: String) {
    let slug = HTMLDocumentRenderer.slug(heading)
    #expect(
      !slug.isEmpty
        && slug.utf8.allSatisfy {
          ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d
        })
    #expect(!slug.hasPrefix("-") && !slug.hasSuffix("-"))
  }
}

@Suite struct InlineSVGTests {
  func figure(_ svg: String) -> ReportFigure {
    ReportFigure(name: "f", title: "t", svg: Array(svg.utf8))
  }

  @Test func validFigurePasses() throws {
    let markup = try InlineSVG.markup(figure(sampleSVG))
    #expect(markup.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
    #expect(markup.contains("fill=\"url(#g)\""))
    #expect(markup.contains("heap &amp; stack &lt;here&gt;"))
  }

  /// Each is refused as an internal error: a figure that gets this far is a vmmap bug.
  @Test(arguments: [
    "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
    "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
    "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect ONCLICK=\"x\"/></svg>",
    "<svg xmlns=\"http://www.w3.org/2000/svg\"><a href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"><use xlink:href=\"https://evil.example/s.svg#x\"/></svg>",
    "<svg xmlns=\"http://www.w3.org/2000/svg\"><image href=\"https://evil.example/i.png\"/></svg>",
    "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect fill=\"url(https://evil.example/p)\"/></svg>",
    "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect style=\"fill: URL( 'http://x' )\"/></svg>",
    "<svg xmlns=\"http://www.w3.org/2000/svg\"><style>@import 'https://evil.example/a.css';</style></svg>",
    "<svg xmlns=\"http://www.w3.org/2000/svg\"><foreignObject><div xmlns=\"http://www.w3.org/1999/xhtml\">x</div></foreignObject></svg>",
    "<svg xmlns=\"http://www.w3.org/2000/svg\"><animate attributeName=\"href\" to=\"javascript:alert(1)\"/></svg>",
    "<!DOCTYPE svg [<!ENTITY x \"y\">]><svg xmlns=\"http://www.w3.org/2000/svg\"><text>&x;</text></svg>",
    "<s:svg xmlns:s=\"http://www.w3.org/2000/svg\"/>",
    "<svg/>",
    "<html xmlns=\"http://www.w3.org/2000/svg\"/>",
    "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>\u{1b}[31m</text></svg>",
    "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect></svg>",
    "<svg xmlns=\"http://www.w3.org/2000/svg\"><?php echo 1 ?></svg>",
    "",
  ])
  func hostileFigureIsRefused(svg: String) {
    #expect {
      try InlineSVG.markup(figure(svg))
    } throws: { ($0 as? VMMapError)?.code == .internalError }
  }

  @Test func invalidUTF8IsRefused() {
    let bytes =
      Array("<svg xmlns=\"http://www.w3.org/2000/svg\"><text>".utf8) + [0xff]
      + Array("</text></svg>".utf8)
    #expect(throws: VMMapError.self) {
      try InlineSVG.markup(ReportFigure(name: "f", title: "t", svg: bytes))
    }
  }
}
