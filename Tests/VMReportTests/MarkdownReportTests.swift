import Foundation
import Testing
import VMMapCore
import VMMapTestSupport

@testable import VMReport

/// GitHub's own Markdown reader (cmark-gfm, Debian's package, installed by Scripts/bootstrap)
/// with GitHub's extensions: pipe tables, autolinks, strikethrough, tag filter. An independent
/// reading of what the Markdown stage writes.
func githubHTML(_ markdown: [UInt8]) throws -> HTMLElement {
  let path = "/usr/bin/cmark-gfm"
  try #require(
    FileManager.default.isExecutableFile(atPath: path),
    "cmark-gfm is missing: run Scripts/bootstrap (apt-get install cmark-gfm)")
  let file = NSTemporaryDirectory() + "vmmap-gfm-\(getpid())-\(UUID().uuidString).md"
  try Data(markdown).write(to: URL(fileURLWithPath: file))
  defer { try? FileManager.default.removeItem(atPath: file) }
  let result = try run(
    path, ["-e", "table", "-e", "autolink", "-e", "strikethrough", "-e", "tagfilter", file])
  try #require(result.status == 0, "cmark-gfm: \(result.stderr)")
  return try parseHTML(
    Array("<html><body>".utf8) + Array(result.stdout) + Array("</body></html>".utf8))
}

/// The cells of a pipe-table row under GitHub's rules: split at every `|` not escaped by a
/// backslash (in code spans too), outer pipes dropped.
func pipeCells(_ line: Substring) -> [String] {
  var cells: [String] = []
  var cell = ""
  var escaped = false
  for c in line {
    if escaped {
      cell.append(c)
      escaped = false
    } else if c == "\\" {
      cell.append(c)
      escaped = true
    } else if c == "|" {
      cells.append(cell)
      cell = ""
    } else {
      cell.append(c)
    }
  }
  cells.append(cell)
  return Array(cells.dropFirst().dropLast())
}

@Suite struct MarkdownReportTests {
  func render(figureDirectory: String = "") throws -> MarkdownReport {
    try MarkdownReportRenderer(figureDirectory: figureDirectory)
      .render(markdown: reportMarkdown(), marks: reportMarks())
  }

  @Test func pipeTablesHaveOneCellPerColumn() throws {
    let md = String(decoding: try render().markdown, as: UTF8.self)
    #expect(!md.contains("```vmmap"), "every mark is expanded")
    let lines = md.split(separator: "\n")
    let header = try #require(lines.firstIndex { $0.hasPrefix("| \\# |") })
    #expect(lines[header] == "| \\# | Name \\| \\<b\\> | Size |")
    #expect(lines[header + 1] == "| ---: | --- | ---: |")
    let rows = lines[(header + 2)...].prefix { $0.hasPrefix("|") }
    #expect(rows.count == hostileCells.count)
    for row in rows { #expect(pipeCells(row).count == 3, "\(row)") }
  }

  /// GitHub's reader finds the tables with exactly the hostile text in each cell, and makes no
  /// link, image, emphasis or tag from any name.
  @Test func githubReadsTheHostileCellsAsText() throws {
    let page = try githubHTML(try render().markdown)
    let tables = page.elements("table")
    #expect(tables.count == 2)
    // The nested table stays in its list item.
    let item = try #require(page.elements("li").first { $0.text.contains("A list item") })
    #expect(item.elements("td").map(\.text) == ["heap", "1", "stack", "2"])
    #expect(page.elements("blockquote").first?.elements("img").count == 1)
    let table = try #require(tables.first)
    #expect(table.elements("th").map(\.text) == ["#", "Name | <b>", "Size"])
    #expect(table.elements("th").map { $0.attribute("align") } == ["right", nil, "right"])
    let rows = table.elements("tbody").flatMap { $0.elements("tr") }
    #expect(rows.count == hostileCells.count)
    for (k, row) in rows.enumerated() {
      #expect(
        row.elements("td").map(\.text) == ["\(k)", TerminalEscape.escape(hostileCells[k]), "4 KiB"])
      // A name is one code span; plain words and numbers are text.
      let plain = MarkdownReportRenderer.isPlain(hostileCells[k])
      #expect(row.all.map(\.name) == ["tr", "td", "td"] + (plain ? [] : ["code"]) + ["td"])
    }
    #expect(
      page.elements("p").contains {
        $0.text == "Hostile names <b>as text</b> | [x](javascript:1)"
      })
    // Links only from the one name with an `@` in the prose list's text form (GitHub autolinks
    // e-mail addresses despite backslash escapes: names go in code spans, as in table cells).
    #expect(page.elements("a").map(\.text) == ["me@evil.example"])
    #expect(page.elements("script").isEmpty && page.elements("del").isEmpty)
    #expect(page.comments.isEmpty)
    // Emphasis only where the template has it, and in the figure captions.
    #expect(
      page.elements("em").map(\.text) == [
        "emphasis", "The address space <from> \\x1b[1mlow to high",
        "The address space <from> \\x1b[1mlow to high", "(no table named missing)",
        "(no figure named nowhere)", "(not a table or figure mark: vmmap chart=pie)",
      ])
    let list = try #require(
      page.elements("ul").first { $0.elements("li").count == hostileCells.count })
    for (item, cell) in zip(list.elements("li"), hostileCells) {
      let visible = TerminalEscape.escape(cell)
      #expect(item.text == visible + " and " + visible)
      let expected = cell == "me@evil.example" ? ["li", "a", "code"] : ["li", "code"]
      #expect(item.all.map(\.name) == expected, "\(cell)")
    }
  }

  @Test func figureLinksPointAtReturnedFiles() throws {
    let report = try render()
    #expect(report.figures.map(\.fileName) == ["address-space.svg"])
    let file = try #require(report.figures.first)
    let svg = String(decoding: file.svg, as: UTF8.self)
    #expect(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "))
    #expect(svg.hasSuffix("</svg>\n"))
    // What was written is a figure that passes the same checks again.
    let body = Array(file.svg.drop { $0 != UInt8(ascii: "\n") }.dropFirst())
    _ = try InlineSVG.markup(ReportFigure(name: "again", title: "t", svg: body))

    let page = try githubHTML(report.markdown)
    let images = page.elements("img")
    #expect(images.map { $0.attribute("src") } == ["address-space.svg", "address-space.svg"])
    #expect(
      images.allSatisfy { $0.attribute("alt") == "The address space <from> \\x1b[1mlow to high" })
    let names = Set(report.figures.map(\.fileName))
    #expect(images.allSatisfy { names.contains($0.attribute("src") ?? "") })
  }

  @Test func figureDirectoryIsPercentEncodedInLinks() throws {
    let report = try render(figureDirectory: "output/my figures (1)")
    let page = try githubHTML(report.markdown)
    #expect(
      page.elements("img").first?.attribute("src")
        == "output/my%20figures%20%281%29/address-space.svg")
  }

  @Test func missingAndBadFigureNamesBecomeNotes() throws {
    let marks = TestMarks(figures: [
      "../etc/passwd": ReportFigure(name: "../etc/passwd", title: "x", svg: Array(sampleSVG.utf8))
    ])
    let md =
      "```vmmap figure=nowhere\n```\n```vmmap figure=../etc/passwd\n```\n```vmmap table=t\n```\n"
    let report = try MarkdownReportRenderer().render(markdown: md, marks: marks)
    #expect(report.figures.isEmpty)
    let page = try githubHTML(report.markdown)
    #expect(
      page.elements("em").map(\.text) == [
        "(no figure named nowhere)", "(figure name ../etc/passwd is not a file name)",
        "(no table named t)",
      ])
  }

  @Test func tableWithAWrongRowIsABug() {
    let marks = TestMarks(tables: [
      "t": ReportTable(columns: [.init("a")], rows: [["1", "2"]])
    ])
    #expect {
      _ = try MarkdownReportRenderer().render(markdown: "```vmmap table=t\n```\n", marks: marks)
    } throws: { ($0 as? VMMapError)?.code == .internalError }
  }

  @Test func writesFiguresBesideTheMarkdown() throws {
    let directory = NSTemporaryDirectory() + "vmmap-md-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let report = try render()
    try report.write(markdownTo: directory + "/report.md")
    #expect(
      try Data(contentsOf: URL(fileURLWithPath: directory + "/report.md")) == Data(report.markdown))
    let svg = try Data(contentsOf: URL(fileURLWithPath: directory + "/address-space.svg"))
    #expect(svg == Data(try #require(report.figures.first).svg))
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == [
        "address-space.svg", "report.md",
      ])

    // A figure directory relative to the Markdown file is created there.
    let nested = try render(figureDirectory: "figures/v1")
    try nested.write(markdownTo: directory + "/nested.md")
    #expect(FileManager.default.fileExists(atPath: directory + "/figures/v1/address-space.svg"))
  }

  /// The figures are written first: when they cannot be, no Markdown appears.
  @Test func noMarkdownWithoutItsFigures() throws {
    let directory = NSTemporaryDirectory() + "vmmap-md-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try Data("not a directory".utf8).write(to: URL(fileURLWithPath: directory + "/figures"))
    let report = try render(figureDirectory: "figures")
    #expect {
      try report.write(markdownTo: directory + "/report.md")
    } throws: { ($0 as? VMMapError)?.code == .cannotCreate }
    #expect(!FileManager.default.fileExists(atPath: directory + "/report.md"))
  }

  @Test func deterministic() throws {
    #expect(try render() == render())
  }
}
