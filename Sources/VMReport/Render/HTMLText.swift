/// Text on its way into HTML: made visible first, then escaped.
///
/// libxml2 escapes `<`, `>`, `&` and quotes but writes control characters and invalid UTF-8 as
/// they are, which leaves an ill-formed document (SWIFT-NOTES.md §9); cmark passes control
/// characters through too. So every system string is first given the terminal's visible escapes
/// (`\x1b`, `\u202e`, `\xff`: `TerminalEscape`), the same text the terminal view shows.
enum HTMLText {
  /// Plain text as it may enter an HTML or XML text node or attribute: control characters, C1
  /// controls, bidi overrides and invalid UTF-8 made visible (`TerminalEscape`).
  static func visible(_ text: String) -> String { TerminalEscape.escape(text) }

  /// Visible text (as `visible`) escaped for an HTML text node or a double-quoted attribute.
  static func escaped(_ text: String) -> String {
    var out = ""
    for scalar in visible(text).unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  /// Markdown source made safe for cmark without changing its meaning: control characters
  /// (except tab, line feed and carriage return), DEL, C1 controls, bidi overrides and invalid
  /// UTF-8 become the terminal's visible escapes; backslashes stay as they are (they are
  /// Markdown's own escapes). Values in a report's Markdown were escaped where they entered the
  /// view model, so this changes nothing there; it keeps a mistake from reaching the HTML raw.
  static func markdownSource(_ bytes: [UInt8]) -> [UInt8] {
    func plain(_ b: UInt8) -> Bool {
      (b >= 0x20 && b < 0x7f) || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\t")
        || b == UInt8(ascii: "\r")
    }
    if bytes.allSatisfy(plain) { return bytes }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count + 64)
    func escape(_ prefix: String, _ value: UInt32, width: Int) {
      out += Array(prefix.utf8)
      out += Array(hex(UInt64(value), width: width).utf8)
    }
    var i = 0
    while i < bytes.count {
      let b = bytes[i]
      if b < 0x80 {
        if plain(b) { out.append(b) } else { escape("\\x", UInt32(b), width: 2) }
        i += 1
      } else if let (scalar, length) = TerminalEscape.decodeScalar(bytes, at: i) {
        if TerminalEscape.isInvisibleControl(scalar) {
          escape("\\u", scalar.value, width: 4)
        } else {
          out += bytes[i..<i + length]
        }
        i += length
      } else {
        escape("\\x", UInt32(b), width: 2)
        i += 1
      }
    }
    return out
  }
}
