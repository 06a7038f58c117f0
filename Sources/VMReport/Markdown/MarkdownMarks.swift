/// The Markdown stage: expands the marks that templates leave for tables and figures.
///
/// A mark is a fenced code block whose info string is `vmmap table=NAME` or `vmmap figure=NAME`
/// (DESIGN.md, "Rendering, safely"; `ReportMark`); its content is ignored. A table mark becomes
/// a GitHub pipe table written by `table`, with a blank line after it so that the next
/// paragraph does not join the table. With a `figure` writer, figure marks are expanded the same
/// way (the report's Markdown stage); without one they pass through unchanged. Any other
/// `vmmap` info string becomes a visible note. Other fenced blocks (and any mark inside them)
/// pass through unchanged.
enum MarkdownMarks {
  /// An opening or closing code fence: its character, length and info string.
  static func fence(_ line: Substring) -> (char: Character, length: Int, info: Substring)? {
    var rest = line
    var indent = 0
    while rest.first == " " && indent < 4 {
      rest = rest.dropFirst()
      indent += 1
    }
    guard indent < 4, let c = rest.first, c == "`" || c == "~" else { return nil }
    let run = rest.prefix { $0 == c }
    guard run.count >= 3 else { return nil }
    let info = rest.dropFirst(run.count)
    if c == "`" && info.contains("`") { return nil }
    return (c, run.count, info)
  }

  /// Writes `markdown` into `out` with every table mark expanded by `table` and, when given,
  /// every figure mark by `figure`; each returns false for a name it does not know (the mark
  /// then becomes a visible note).
  ///
  /// A mark may sit in a list item or a block quote: its fence then follows a container prefix
  /// (spaces, `>` markers), and every line written for it gets the same prefix, so the table or
  /// image stays inside the container.
  static func expand<Failure: Error>(
    _ markdown: String, into out: inout TextBuffer,
    table: (Substring, inout TextBuffer) throws(Failure) -> Bool,
    figure: ((Substring, inout TextBuffer) throws(Failure) -> Bool)? = nil
  ) throws(Failure) {
    let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
    var i = 0
    while i < lines.count {
      let line = lines[i]
      // An ordinary fence (not in a container) passes through whole, with any mark inside it;
      // so does a figure mark when there is no figure stage.
      if let open = fence(line),
        ReportMark(info: open.info) == nil
          || (figure == nil && MarkdownMarks.isFigure(ReportMark(info: open.info)))
      {
        let last = closingFence(lines, after: i, matching: open, prefix: "")
        for k in i...last {
          out.append(String(lines[k]))
          if k + 1 < lines.count { out.newline() }
        }
        i = last + 1
        continue
      }
      let prefix = containerPrefix(line)
      guard let open = fence(line[prefix.endIndex...]), let mark = ReportMark(info: open.info)
      else {
        out.append(String(line))
        if i + 1 < lines.count { out.newline() }
        i += 1
        continue
      }
      let last = closingFence(lines, after: i, matching: open, prefix: prefix)
      var expanded = TextBuffer(capacity: 4096)
      switch mark {
      case .table(let name):
        if try !table(Substring(name), &expanded) {
          expanded.append("*\\(no table named " + MarkdownEscape.escape(name) + "\\)*\n")
        }
      case .figure(let name):
        if let figure, try !figure(Substring(name), &expanded) {
          expanded.append("*\\(no figure named " + MarkdownEscape.escape(name) + "\\)*\n")
        }
      case .unknown(let info):
        expanded.append(
          "*\\(not a table or figure mark: " + MarkdownEscape.escape(info) + "\\)*\n")
      }
      let body = expanded.bytes
      var start = 0
      while start < body.count {
        let end = body[start...].firstIndex(of: UInt8(ascii: "\n")) ?? body.count
        let text = String(decoding: body[start..<end], as: UTF8.self)
        out.append(text.isEmpty ? trailingSpacesDropped(prefix) : String(prefix) + text)
        out.newline()
        start = end + 1
      }
      // A pipe table ends at a blank line: make sure one follows.
      if last + 1 < lines.count, !isBlank(lines[last + 1]) {
        out.append(trailingSpacesDropped(prefix))
        out.newline()
      }
      i = last + 1
    }
  }

  static func isFigure(_ mark: ReportMark?) -> Bool {
    if case .figure = mark { return true }
    return false
  }

  /// The line of the fence that closes `open` (or the last line, as CommonMark ends an unclosed
  /// block at the end of the document).
  static func closingFence(
    _ lines: [Substring], after i: Int,
    matching open: (char: Character, length: Int, info: Substring), prefix: Substring
  ) -> Int {
    var close = i + 1
    while close < lines.count {
      let line = lines[close]
      if line.hasPrefix(prefix) || prefix.allSatisfy({ $0 == " " }),
        let f = fence(line.dropFirst(min(prefix.count, containerPrefix(line).count))),
        f.char == open.char, f.length >= open.length,
        f.info.allSatisfy({ $0 == " " || $0 == "\t" })
      {
        return close
      }
      close += 1
    }
    return lines.count - 1
  }

  /// The leading spaces and block-quote markers of a line (`  `, `> `, `> > `).
  static func containerPrefix(_ line: Substring) -> Substring {
    line.prefix { $0 == " " || $0 == ">" }
  }

  /// Empty, or only container markers: a blank line inside its container.
  static func isBlank(_ line: Substring) -> Bool {
    line.allSatisfy { $0 == " " || $0 == ">" || $0 == "\t" }
  }

  static func trailingSpacesDropped(_ s: Substring) -> String {
    var s = s
    while s.last == " " { s = s.dropLast() }
    return String(s)
  }
}

/// GitHub pipe tables, written row by row into a TextBuffer. Cells arrive escaped for Markdown
/// (`MarkdownEscape` with `inTable`): a `|` in a cell is already `\|`.
struct PipeTable {
  enum Alignment { case left, right }

  let columns: [(title: String, alignment: Alignment)]

  func header(_ out: inout TextBuffer) {
    out.append(UInt8(ascii: "|"))
    for c in columns { out.append(" " + c.title + " |") }
    out.newline()
    out.append(UInt8(ascii: "|"))
    for c in columns { out.append(c.alignment == .right ? " ---: |" : " --- |") }
    out.newline()
  }

  /// Starts a row: `| `.
  static func begin(_ out: inout TextBuffer) {
    out.append(UInt8(ascii: "|"))
    out.append(UInt8(ascii: " "))
  }

  /// Ends a cell: ` | `, or ` |` and a newline after the last.
  static func next(_ out: inout TextBuffer) {
    out.append(UInt8(ascii: " "))
    out.append(UInt8(ascii: "|"))
    out.append(UInt8(ascii: " "))
  }

  static func end(_ out: inout TextBuffer) {
    out.append(UInt8(ascii: " "))
    out.append(UInt8(ascii: "|"))
    out.newline()
  }

  /// A whole row of cells.
  static func row(_ cells: [String], _ out: inout TextBuffer) {
    begin(&out)
    for (k, cell) in cells.enumerated() {
      if k > 0 { next(&out) }
      out.append(cell)
    }
    end(&out)
  }
}
