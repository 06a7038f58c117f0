/// The Markdown stage: expands the marks that templates leave for tables.
///
/// A mark is a fenced code block whose info string is `vmmap table=NAME` (DESIGN.md, "Rendering,
/// safely"); its content is ignored. Each becomes a GitHub pipe table written by `table`, with a
/// blank line after it so that the next paragraph does not join the table. Other fenced blocks
/// (and any mark inside them) pass through unchanged, as do `vmmap figure=…` marks, which a
/// later stage handles.
enum MarkdownMarks {
  /// The NAME of a table mark's info string, or nil.
  static func tableName(info: Substring) -> Substring? {
    let words = info.split(whereSeparator: { $0 == " " || $0 == "\t" })
    guard words.first == "vmmap" else { return nil }
    for word in words.dropFirst() where word.hasPrefix("table=") {
      let name = word.dropFirst("table=".count)
      return name.isEmpty ? nil : name
    }
    return nil
  }

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

  /// Writes `markdown` into `out` with every table mark expanded by `table`, which returns false
  /// for a name it does not know (the mark then becomes a visible note).
  static func expand(
    _ markdown: String, into out: inout TextBuffer,
    table: (Substring, inout TextBuffer) -> Bool
  ) {
    let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
    var i = 0
    while i < lines.count {
      let line = lines[i]
      guard let open = fence(line) else {
        out.append(String(line))
        if i + 1 < lines.count { out.newline() }
        i += 1
        continue
      }
      // Find the closing fence (or the end of the document, as CommonMark does).
      var close = i + 1
      while close < lines.count {
        if let f = fence(lines[close]), f.char == open.char, f.length >= open.length,
          f.info.allSatisfy({ $0 == " " || $0 == "\t" })
        {
          break
        }
        close += 1
      }
      let last = min(close, lines.count - 1)
      if let name = tableName(info: open.info) {
        if !table(name, &out) {
          out.append("*\\(no table named " + MarkdownEscape.escape(String(name)) + "\\)*\n")
        }
        // A pipe table ends at a blank line: make sure one follows.
        if last + 1 < lines.count, !lines[last + 1].allSatisfy({ $0 == " " }) { out.newline() }
      } else {
        for k in i...last {
          out.append(String(lines[k]))
          if k + 1 < lines.count { out.newline() }
        }
      }
      i = last + 1
    }
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
