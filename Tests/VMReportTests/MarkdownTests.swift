import CCmark
import Foundation
import Testing
import VMMapCore

@testable import VMReport

/// Names that would be Markdown, HTML or a link if written raw.
let hostileNames = [
  "/tmp/new\nline", "*bold*", "<script>", "`tick`", "a|b", "http://x.example", "[link](x)",
  "_under_ ~~strike~~", "&amp; &#60;", "www.x.example", "me@x.example", "$x$", "![img](y)",
  "\u{1b}[31mred", "rtl\u{202e}txt", "``two`` ticks",
]

/// HTML from libcmark (safe mode, no extensions): an independent reading of the Markdown.
func cmarkHTML(_ markdown: String) -> String {
  let html = markdown.withCString { cmark_markdown_to_html($0, strlen($0), CMARK_OPT_DEFAULT) }
  defer { free(html) }
  return String(cString: html!)
}

/// Text as cmark writes it inside HTML.
func htmlEscaped(_ s: String) -> String {
  s.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;")
    .replacing("\"", with: "&quot;")
}

@Suite struct MarkdownEscapeTests {
  @Test(arguments: [
    ("/tmp/new\nline", "/tmp/new\\\\nline", "`/tmp/new\\nline`"),
    ("*bold*", "\\*bold\\*", "`*bold*`"),
    ("<script>", "\\<script\\>", "`<script>`"),
    ("`tick`", "\\`tick\\`", "`` `tick` ``"),
    ("a|b", "a\\|b", "`a|b`"),
    ("http://x.example", "http\\://x\\.example", "`http://x.example`"),
    ("[link](x)", "\\[link\\]\\(x\\)", "`[link](x)`"),
    ("a\\b", "a\\\\\\\\b", "`a\\\\b`"),
    ("\u{1b}[31m", "\\\\x1b\\[31m", "`\\x1b[31m`"),
    ("plain, text; /path?", "plain, text; /path?", "`plain, text; /path?`"),
    (" spaced ", "&#32;spaced&#32;", "`  spaced  `"),
    ("    four", "&#32;   four", "`    four`"),
    ("x``y", "x\\`\\`y", "```x``y```"),
  ])
  func escapes(input: String, text: String, code: String) {
    #expect(MarkdownEscape.escape(input) == text)
    #expect(MarkdownEscape.escape(input, as: .code) == code)
  }

  @Test func pipesInTableCells() {
    #expect(MarkdownEscape.escape("a|b", as: .code, inTable: true) == "`a\\|b`")
    #expect(MarkdownEscape.escape("a|b", inTable: true) == "a\\|b")
    #expect(MarkdownEscape.escape("", as: .code) == "")
  }

  @Test func invalidUTF8AndBidiBecomeVisible() {
    #expect(MarkdownEscape.escape([0x61, 0xff, 0x62], as: .code) == "`a\\xffb`")
    #expect(MarkdownEscape.escape("rtl\u{202e}txt", as: .code) == "`rtl\\u202etxt`")
    #expect(MarkdownEscape.escape([0xc2, 0x9b]) == "\\\\u009b")
  }

  /// cmark, reading the escaped text in a paragraph and a list item, makes no tag, link or
  /// emphasis of it, and shows the same visible text as the terminal view.
  @Test(arguments: hostileNames)
  func cmarkShowsTheNameLiterally(name: String) {
    let visible = TerminalEscape.escape(name)
    for form in [MarkdownEscape.Form.text, .code] {
      let escaped = MarkdownEscape.escape(name, as: form)
      let html = cmarkHTML("Name: " + escaped + "\n\n- item " + escaped + "\n")
      #expect(!html.contains("<a"), "\(form): \(html)")
      #expect(!html.contains("<em>") && !html.contains("<strong>"), "\(form): \(html)")
      #expect(!html.contains("<script") && !html.contains("<img") && !html.contains("<del"))
      #expect(!html.contains("raw HTML omitted"), "\(form): \(html)")
      let shown = htmlEscaped(visible)
      switch form {
      case .text: #expect(html.contains("<p>Name: " + shown + "</p>"), "\(html)")
      case .code: #expect(html.contains("<p>Name: <code>" + shown + "</code></p>"), "\(html)")
      }
    }
  }
}

/// The sample map with one extra private file mapping per hostile name.
func hostileMap() -> MemoryMap {
  var map = sampleMap()
  var start: UInt64 = 0x7f10_0000_0000
  for name in hostileNames {
    var c = SmapsCounters()
    c[.size] = 4096
    c[.rss] = 4096
    map.regions.append(
      Region(
        mapping: Mapping(
          start: start, end: start + 4096, permissions: Permissions("r--p")!, offset: 0,
          deviceMajor: 8, deviceMinor: 1, inode: 99, rawName: PathBytes(name)),
        counters: c,
        classification: Classification(
          kind: .privateFile, description: "file " + name, certainty: .observed)))
    start += 0x10000
  }
  map.regions.sort { $0.start < $1.start }
  return map
}

@Suite struct MapMarkdownTests {
  /// The lines of the pipe table under heading `heading` (header and delimiter included).
  func table(under heading: String, in markdown: String) -> [Substring] {
    let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
    guard let h = lines.firstIndex(where: { $0 == heading }) else { return [] }
    return Array(lines[(h + 1)...].drop { !$0.hasPrefix("|") }.prefix { $0.hasPrefix("|") })
  }

  @Test func templateIsEmbedded() {
    #expect(MarkdownTemplates.embedded["map.md"]?.contains("vmmap table=by-kind") == true)
  }

  @Test func sampleHasTheSectionsAndTables() throws {
    let md = try MapMarkdownRenderer(swapConfigured: false).render(sampleMap())
    #expect(md.hasPrefix("# Virtual memory map of PID 4242\n"))
    for heading in [
      "## Summary", "### By kind", "### By permission", "## EXECUTABLE \\(`/usr/bin/demo`\\)",
      "## HEAP",
      "## SHARED LIBRARIES", "## STACK", "## MAPPED FILES", "## Gaps",
    ] {
      #expect(md.contains("\n" + heading + "\n"), "missing \(heading)")
    }
    #expect(!md.contains("## ANONYMOUS") && !md.contains("## SPECIAL"))
    #expect(!md.contains("```"), "every mark is expanded")
    let rows: [(String, Int)] = [
      ("## EXECUTABLE \\(`/usr/bin/demo`\\)", 2), ("## HEAP", 1), ("## SHARED LIBRARIES", 1),
      ("## STACK", 1), ("## MAPPED FILES", 1), ("## Gaps", 3), ("### By kind", 5),
      ("### By permission", 4),
    ]
    for (heading, count) in rows {
      let t = table(under: heading, in: md)
      #expect(t.count == count + 2, "\(heading): \(t)")
      // Every row has as many cells as the header.
      let cells = t.map { $0.split(separator: " | ", omittingEmptySubsequences: false).count }
      #expect(Set(cells).count == 1, "\(heading): \(cells)")
    }
    #expect(md.contains("- **Regions:** 6 in a"))
    #expect(md.contains("- **Swap:** none \\(no swap configured on this machine\\)"))
    #expect(md.contains("- **Writable\\+exec:** **1 region**"))
    #expect(md.contains("- **Gaps:** 3 \\(largest free: "))
    let heap = table(under: "## HEAP", in: md)[2]
    #expect(
      heap == "| 0x555555560000-0x555555581000 | 132 KiB | rw-p | 12K | 12K | 0 | 0 | 0 | 6K | 0 "
        + "| \\[heap\\] | `[heap]` |")
  }

  @Test func hostileNamesAreEscapedInCells() throws {
    let md = try MapMarkdownRenderer().render(sampleMap())
    let row = try #require(table(under: "## MAPPED FILES", in: md).last)
    #expect(
      row.hasSuffix(
        "| rwxp **W\\+X** | 4K | 4K | 0 | 0 | 0 | 2K | 4K "
          + "| file /tmp/\\\\x1b\\[31mevil\\\\nname | `/tmp/\\x1b[31mevil\\nname` |"), "\(row)")
    #expect(!md.contains("\u{1b}"))

    let hostile = try MapMarkdownRenderer().render(hostileMap())
    let files = table(under: "## MAPPED FILES", in: hostile).joined(separator: "\n")
    #expect(files.contains("| file a\\|b | `a\\|b` |"))
    #expect(files.contains("| file \\*bold\\* | `*bold*` |"))
    #expect(files.contains("| file \\<script\\> | `<script>` |"))
    #expect(files.contains("| file \\`tick\\` | `` `tick` `` |"))
    #expect(files.contains("| file http\\://x\\.example | `http://x.example` |"))
    #expect(files.contains("| file \\[link\\]\\(x\\) | `[link](x)` |"))
    #expect(files.contains("| file /tmp/new\\\\nline | `/tmp/new\\nline` |"))
    // Each hostile row is one table row with the header's number of cells.
    let t = table(under: "## MAPPED FILES", in: hostile)
    #expect(t.count == hostileNames.count + 1 + 2)

    // cmark (no tables: each table is one paragraph) finds no tag, link or emphasis in names.
    let html = cmarkHTML(hostile)
    #expect(!html.contains("<a"))
    #expect(!html.contains("<em>"))
    #expect(!html.contains("<script") && !html.contains("<img") && !html.contains("<del"))
    #expect(!html.contains("raw HTML omitted"))
    // Only the document's own emphasis: 2 W+X markers, 10 summary labels and "1 region".
    #expect(html.components(separatedBy: "<strong>").count - 1 == 13)
    #expect(html.components(separatedBy: "<strong>W+X</strong>").count - 1 == 2)
    #expect(html.contains("file *bold* | <code>*bold*</code>"))
    #expect(html.contains("file [link](x) | <code>[link](x)</code>"))
    #expect(html.contains("file &lt;script&gt; | <code>&lt;script&gt;</code>"))
    #expect(html.contains("file http://x.example | <code>http://x.example</code>"))
  }

  @Test func selectionNarrowsTheTables() throws {
    let md = try MapMarkdownRenderer(selection: RegionSelection(top: 2)).render(sampleMap())
    #expect(md.contains("*Showing 2 of 6 regions \\(top 2 by rss\\)\\.*"))
    #expect(md.contains("- **Regions:** 6 in a"))
    #expect(md.split(separator: "\n").filter { $0.hasPrefix("| 0x") }.count == 2)
    #expect(!md.contains("## Gaps"))
    let kinds = try MapMarkdownRenderer(selection: RegionSelection(kinds: [.executable]))
      .render(sampleMap())
    #expect(kinds.contains("## EXECUTABLE") && !kinds.contains("## HEAP"))
  }

  @Test func tableLayoutIsOneAddressOrderedTable() throws {
    let md = try MapMarkdownRenderer(layout: .table).render(sampleMap())
    let t = table(under: "## Regions", in: md)
    #expect(t.count == 6 + 2)
    #expect(t[0].contains("| Kind |"))
    #expect(!md.contains("## HEAP"))
  }

  @Test func deterministic() throws {
    let r = MapMarkdownRenderer(swapConfigured: true)
    #expect(try r.renderBytes(hostileMap()) == r.renderBytes(hostileMap()))
  }

  @Test func marksExpandOnlyOutsideOtherFences() {
    let source = """
      a
      ```vmmap table=t
      ```
      b
      ````text
      ```vmmap table=t
      ```
      ````
      ~~~vmmap table=missing
      ~~~

      ```vmmap figure=f
      ```
      """
    var out = TextBuffer()
    MarkdownMarks.expand(source, into: &out) { name, out in
      guard name == "t" else { return false }
      PipeTable(columns: [("A", .left)]).header(&out)
      return true
    }
    let text = String(decoding: out.bytes, as: UTF8.self)
    #expect(
      text == """
        a
        | A |
        | --- |

        b
        ````text
        ```vmmap table=t
        ```
        ````
        *\\(no table named missing\\)*

        ```vmmap figure=f
        ```
        """)
  }

  /// A 60,000-region map (the size of the benchmark's) renders every region, one table row
  /// each. Speed is measured by bench/run, not here.
  @Test func sixtyThousandRegionsEachGetARow() throws {
    var map = sampleMap()
    let template = map.regions[4]
    var regions: [Region] = []
    regions.reserveCapacity(60_000)
    for k in 0..<60_000 {
      var r = template
      r.mapping.start = 0x7e00_0000_0000 + UInt64(k) * 0x2000
      r.mapping.end = r.mapping.start + 0x1000
      r.mapping.rawName = PathBytes("/data/file-\(k).bin")
      r.classification.description = "file /data/file-\(k).bin"
      regions.append(r)
    }
    map.regions = regions
    let text = String(decoding: try MapMarkdownRenderer().renderBytes(map), as: UTF8.self)
    let lines = text.split(separator: "\n")
    let rows = lines.filter { $0.hasPrefix("| 0x7e") && $0.contains("| rwxp **W\\+X** |") }
    #expect(rows.count == 60_000)
    #expect(rows.last?.contains("file-59999") == true)
    // And the 59,999 one-page gaps between them, in the gaps table.
    #expect(lines.filter { $0.hasPrefix("| 0x7e") && !$0.contains("rwxp") }.count == 59_999)
  }
}
