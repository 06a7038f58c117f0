import VMMapCore

/// Escaping for Markdown (CommonMark and GitHub's dialect): what a name holds is shown as
/// literal text, never read as Markdown, HTML or a link.
///
/// First the terminal's visible escapes (`TerminalEscape`): control characters, C1 controls,
/// bidi overrides and invalid UTF-8 become `\x1b`, `\u202e`, … and a backslash becomes `\\`,
/// so the Markdown shows the same text as the terminal view. Then one of two forms:
/// - `.text`: ASCII punctuation is backslash-escaped (all but `, ; / ? % " '`, which mean nothing
///   in Markdown and would only clutter the source). Nothing can open
///   emphasis, a link, an HTML tag, an entity, a heading or a list, and URL and `www.`
///   autolinks cannot form because `:` and `.` are escaped. GitHub's reader (cmark-gfm) still
///   autolinks an e-mail address through the escapes (`me\@host\.example`), and its
///   post-processing sees `@mentions` and `:emoji:` in text: use `.code` for names. A space at either end
///   is written `&#32;`: leading spaces at the start of a line or list item would make an
///   indented code block (or be dropped), trailing ones before a line end a hard line break.
/// - `.code`: a code span delimited by more backticks than the longest run inside, padded with a
///   space when the text starts or ends with a backtick. Inside a code span nothing is Markdown,
///   nothing autolinks, and GitHub does not look for mentions or issue references.
/// In a pipe-table cell (`inTable`), `|` is written `\|` (GitHub's table rule, also inside code
/// spans); the `.text` form escapes it anyway.
public enum MarkdownEscape {
  public enum Form: Sendable { case text, code }

  public static func escape(_ bytes: [UInt8], as form: Form = .text, inTable: Bool = false)
    -> String
  {
    var visible = TerminalEscape.escape(bytes)
    return visible.withUTF8 { utf8 in
      switch form {
      case .text: return text(utf8)
      case .code: return code(utf8, inTable: inTable)
      }
    }
  }

  public static func escape(_ path: PathBytes, as form: Form = .text, inTable: Bool = false)
    -> String
  {
    escape(path.bytes, as: form, inTable: inTable)
  }

  public static func escape(_ string: String, as form: Form = .text, inTable: Bool = false)
    -> String
  {
    escape(Array(string.utf8), as: form, inTable: inTable)
  }

  /// The ASCII punctuation escaped in `.text`: every character CommonMark lets a backslash
  /// escape except `, ; / ? % " '`. (`$` stays escaped: GitHub reads `$…$` as math.)
  @inline(__always)
  static func isPunctuation(_ b: UInt8) -> Bool {
    switch b {
    case UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "/"), UInt8(ascii: "?"),
      UInt8(ascii: "%"), UInt8(ascii: "\""), UInt8(ascii: "'"):
      return false
    case 0x21...0x2f, 0x3a...0x40, 0x5b...0x60, 0x7b...0x7e: return true
    default: return false
    }
  }

  static func text(_ utf8: UnsafeBufferPointer<UInt8>) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(utf8.count + utf8.count / 4 + 12)
    let space = Array("&#32;".utf8)
    for (k, b) in utf8.enumerated() {
      if b == UInt8(ascii: " ") && (k == 0 || k == utf8.count - 1) {
        out += space
        continue
      }
      if isPunctuation(b) { out.append(UInt8(ascii: "\\")) }
      out.append(b)
    }
    return String(decoding: out, as: UTF8.self)
  }

  static func code(_ utf8: UnsafeBufferPointer<UInt8>, inTable: Bool) -> String {
    guard !utf8.isEmpty else { return "" }
    let tick = UInt8(ascii: "`")
    let space = UInt8(ascii: " ")
    var longest = 0
    var run = 0
    for b in utf8 {
      run = b == tick ? run + 1 : 0
      longest = max(longest, run)
    }
    let fence = [UInt8](repeating: tick, count: longest + 1)
    // CommonMark strips one space from each end when both are spaces (and the content is not
    // all spaces); a backtick at either end would join the delimiter. A space on both sides
    // keeps the content exact in every case.
    let allSpaces = utf8.allSatisfy { $0 == space }
    let pad =
      !allSpaces
      && (utf8.first == tick || utf8.last == tick
        || (utf8.first == space && utf8.last == space))
    var out: [UInt8] = []
    out.reserveCapacity(utf8.count + 2 * fence.count + 4)
    out += fence
    if pad { out.append(space) }
    for b in utf8 {
      if inTable && b == UInt8(ascii: "|") { out.append(UInt8(ascii: "\\")) }
      out.append(b)
    }
    if pad { out.append(space) }
    out += fence
    return String(decoding: out, as: UTF8.self)
  }
}
