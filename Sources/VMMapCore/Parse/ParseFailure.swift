/// Why one line of procfs text could not be parsed, before the line number and source are known.
///
/// Parsers return this from their per-line functions; `LineStream` turns it into a
/// `VMMapError(.badData)` that names the source and the 1-based line number.
struct ParseFailure: Error, Hashable, Sendable {
  /// 1-based byte column where the problem was found, when it is about one position.
  var column: Int?
  /// What was expected or what is wrong, in words ("expected hex digit of the end address").
  var message: String
  /// The offending line, escaped for printing and shortened.
  var excerpt: String
  /// The line the problem belongs to when it is not the line being parsed (an smaps entry's
  /// header, checked when the entry ends).
  var lineNumber: Int? = nil

  init(_ message: String, column: Int? = nil, line: UnsafeBufferPointer<UInt8>) {
    self.message = message
    self.column = column
    self.excerpt = escapedExcerpt(line)
  }

  init(_ message: String, excerpt: String = "") {
    self.message = message
    self.column = nil
    self.excerpt = excerpt
  }

  /// The error for line `lineNumber` of `source`.
  func error(source: String, lineNumber current: Int) -> VMMapError {
    let lineNumber = self.lineNumber ?? current
    var why = ""
    if let column { why += "column \(column): " }
    why += message
    if !excerpt.isEmpty { why += " in \"\(excerpt)\"" }
    return VMMapError(
      .badData, what: "\(source): line \(lineNumber)", why: why,
      fix: "the text is not in the kernel's format; if it is unmodified /proc output, report a bug")
  }
}

/// At most `limit` bytes of `line`, printable ASCII kept, `\` and `"` escaped, anything else
/// written as `\xNN`, with `…` when shortened.
func escapedExcerpt(_ line: UnsafeBufferPointer<UInt8>, limit: Int = 60) -> String {
  escapedExcerpt(bytes: line, limit: limit)
}

/// `escapedExcerpt(_:limit:)` over any byte collection.
func escapedExcerpt<C: Collection>(bytes: C, limit: Int = 60) -> String where C.Element == UInt8 {
  var out = ""
  var n = 0
  for b in bytes {
    if n == limit {
      out += "…"
      break
    }
    n += 1
    switch b {
    case UInt8(ascii: "\\"): out += "\\\\"
    case UInt8(ascii: "\""): out += "\\\""
    case 0x20..<0x7f: out.unicodeScalars.append(Unicode.Scalar(b))
    default:
      let hex = Array("0123456789abcdef".utf8)
      out += "\\x"
      out.unicodeScalars.append(Unicode.Scalar(hex[Int(b >> 4)]))
      out.unicodeScalars.append(Unicode.Scalar(hex[Int(b & 0xf)]))
    }
  }
  return out
}
