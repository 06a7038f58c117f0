import VMMapCore

/// Text for XML (SVG, and HTML built with libxml2): what a name holds is shown, never obeyed,
/// and the document stays well-formed.
///
/// libxml2 escapes `<`, `>`, `&` and quotes, but writes control characters and invalid UTF-8 as
/// they are, which makes the document ill-formed (SWIFT-NOTES.md §9). So every system string is
/// sanitised first, into the same visible forms `TerminalEscape` uses: control characters (C0 and
/// DEL) become `\n`, `\t`, `\x1b`; C1 controls, bidi overrides and isolates, zero-width
/// characters and the line separators become `\u202e` and the like; bytes that are not valid
/// UTF-8 become `\xff`; a backslash becomes `\\`, so an escape always means an escaped byte.
/// Beyond the terminal's forms, the two code points XML 1.0 forbids although they are valid
/// UTF-8, U+FFFE and U+FFFF, become `\ufffe` and `\uffff`.
public enum XMLTextEscape {
  /// The visible, XML-safe form of `bytes`: every character of it is an XML 1.0 `Char` other
  /// than a control character, so libxml2 writes a well-formed document.
  public static func sanitize(_ bytes: [UInt8]) -> String {
    TerminalEscape.escape(bytes, alsoEscaping: { !isXMLChar($0) })
  }

  public static func sanitize(_ string: String) -> String { sanitize(Array(string.utf8)) }
  public static func sanitize(_ path: PathBytes) -> String { sanitize(path.bytes) }

  /// `text` cut to at most `limit` Unicode scalars, visibly, with a `…`. A path keeps its
  /// file name whole when that leaves room for ten scalars of the start (`/usr/lib/…/libc.so.6`);
  /// anything else keeps its start and its end. Apply it to sanitised text; the full text
  /// belongs in a `<title>` tooltip.
  public static func shorten(_ text: String, to limit: Int) -> String {
    let scalars = Array(text.unicodeScalars)
    guard scalars.count > limit, limit >= 3 else { return text }
    var out = String.UnicodeScalarView()
    if let slash = scalars.lastIndex(of: "/"), slash > 0, scalars.count - slash <= limit - 11 {
      let tail = scalars.count - slash  // the file name and its slash
      out.append(contentsOf: scalars[..<(limit - 1 - tail)])
      out.append("…")
      out.append(contentsOf: scalars[slash...])
      return String(out)
    }
    let keep = limit - 1
    let head = keep / 2
    out.append(contentsOf: scalars[..<head])
    out.append("…")
    out.append(contentsOf: scalars[(scalars.count - (keep - head))...])
    return String(out)
  }

  /// XML 1.0's `Char` production, for scalars at or above U+0080 (a decoded scalar is never a
  /// surrogate).
  static func isXMLChar(_ s: Unicode.Scalar) -> Bool {
    s.value != 0xfffe && s.value != 0xffff
  }
}
