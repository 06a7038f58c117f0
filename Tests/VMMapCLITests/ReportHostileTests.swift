import Foundation
import Glibc
import Testing
import VMExperiments
import VMMapTestSupport

/// A process whose files and memfds have hostile names (`vmmap __specimen --hostile`: markup,
/// Markdown, ANSI escapes, bidi overrides, invalid UTF-8, a 4,000-byte path) reported in every
/// format: the names come out as inert text, and every document is well-formed.
@Suite(.serialized) struct ReportHostileTests {
  static let python = """
    import sys, json, re, glob, html.parser, xml.etree.ElementTree as ET

    ALLOWED = set('''html head meta title style body main nav h1 h2 h3 h4 p ul ol li a code pre em
      strong blockquote hr br div span table caption thead tbody tr th td figure figcaption
      svg g defs desc rect circle ellipse line polyline polygon path text tspan'''.split())

    class Page(html.parser.HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.problems, self.text, self.rows = [], [], []
        def handle_starttag(self, tag, attrs):
            if tag not in ALLOWED: self.problems.append('element ' + tag)
            for k, v in attrs:
                if k.startswith('on'): self.problems.append('attribute ' + k)
                if k in ('src', 'srcset', 'action', 'formaction', 'xlink:href'): self.problems.append('attribute ' + k)
                if k == 'href' and not (v or '').startswith('#'): self.problems.append('link ' + str(v))
            if tag == 'table': self.rows.append([])
            if tag == 'tr' and self.rows: self.rows[-1].append(0)
            if tag in ('td', 'th') and self.rows and self.rows[-1]: self.rows[-1][-1] += 1
        def handle_data(self, data): self.text.append(data)
        def handle_comment(self, data): self.problems.append('comment')

    kind, path = sys.argv[1], sys.argv[2]
    raw = open(path, 'rb').read()
    raw.decode('utf-8')  # strict: invalid UTF-8 must have been made visible
    assert b'\\x1b' not in raw, 'a raw ESC'
    assert '\\u202e'.encode() not in raw, 'a raw bidi override'
    if kind == 'html':
        p = Page(); p.feed(raw.decode()); p.close()
        assert not p.problems, p.problems
        text = ''.join(p.text)
    elif kind == 'md':
        import subprocess
        out = subprocess.run(['cmark-gfm', '--extension', 'table', '--extension', 'autolink'],
                             input=raw, capture_output=True, check=True).stdout.decode()
        p = Page(); p.feed(out); p.close()
        # Figures are images whose source is an SVG file beside the .md, nothing else.
        assert not [x for x in p.problems if x not in ('element img', 'attribute src')], p.problems
        srcs = re.findall(r'<img src="([^"]*)"', out)
        assert all(s.endswith('.svg') and '/' not in s and ':' not in s for s in srcs), srcs
        text = ''.join(p.text)
        for svg in glob.glob(sys.argv[3] + '/*.svg'):
            root = ET.parse(svg).getroot()
            tags = {e.tag.split('}')[-1] for e in root.iter()}
            assert tags <= ALLOWED | {'title'}, (svg, tags - ALLOWED)
            for e in root.iter():
                for k in e.attrib:
                    assert not k.startswith('on') and 'href' not in k, (svg, k)
    # Every row of a table has as many cells as its header: no name split a cell.
    for rows in p.rows:
        assert rows and all(n == rows[0] for n in rows), rows
    print(json.dumps({'text': text, 'tables': len(p.rows)}))
    """

  @Test func hostileNamesAreInertInEveryFormat() throws {
    let specimen = try SpecimenProcess(
      executable: SpecimenProcess.binary, arguments: ["--hostile"])
    defer { specimen.stop() }
    let hostile = specimen.records.filter { $0.tag.hasPrefix("hostile-file-") }
    #expect(hostile.count == SpecimenProcess.hostileNameCount)

    var template = Array("/tmp/vmmap-hostile.XXXXXX".utf8CString)
    let dir = String(cString: mkdtemp(&template)!)
    defer { _ = try? run("/bin/rm", ["-rf", dir]) }

    for format in ["html", "md", "json"] {
      let out = "\(dir)/\(format)/report.\(format)"
      try FileManager.default.createDirectory(
        atPath: "\(dir)/\(format)", withIntermediateDirectories: true)
      let r = try vmmap(
        "report", "--pid", "\(specimen.pid)", "--no-experiments", "--format", format, "-o", out)
      #expect(r.status == 0, "\(format): \(r.stderr)")
      if format == "json" {
        let model = try jsonObject(try Data(contentsOf: URL(fileURLWithPath: out)))
        let process = try #require(model["process"] as? [String: Any])
        let regions = try #require(
          (process["result"] as? [String: Any])?["regions"] as? [[String: Any]])
        // The name that is not UTF-8 keeps its bytes beside the readable form.
        #expect(regions.contains { ($0["nameBytes"] as? String)?.contains("fffe") == true })
        #expect(
          regions.contains {
            ($0["name"] as? String)?.hasSuffix("/<script>alert(1)</script>") == true
          })
        let long = regions.compactMap { $0["name"] as? String }.first {
          $0.hasSuffix("/long<b>.dat")
        }
        #expect((long?.utf8.count ?? 0) > 3800)
        continue
      }
      let check = try run(
        "/usr/bin/env", ["python3", "-c", Self.python, format, out, "\(dir)/\(format)"])
      #expect(check.status == 0, "\(format): \(check.stderr)")
      let result = try jsonObject(check.stdout)
      let text = try #require(result["text"] as? String, "\(format): \(check.stderr)")
      #expect((result["tables"] as? Int ?? 0) >= 3, "\(format): the tables are missing")
      // The names are there, as the text a reader sees.
      for needle in [
        "<script>alert(1)</script>", "](javascript:alert(1))", "**bold**", "`code`",
        "\\x1b[31mred", "rtl\\u202etxt.exe", "<svg onload=alert(1)>",
      ] {
        #expect(text.contains(needle), "\(format) lacks \(needle)")
      }
    }

    // The terminal view shows the same names with visible escapes, no raw control bytes.
    let terminal = try vmmap("--map", "\(specimen.pid)", "--table", "--color", "never")
    #expect(terminal.status == 0)
    #expect(!terminal.stdout.contains(0x1b))
    #expect(terminal.text.contains("\\x1b[31mred"))
    #expect(!terminal.text.contains("\u{202e}"))
  }
}
