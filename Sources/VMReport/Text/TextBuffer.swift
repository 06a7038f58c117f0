/// Terminal text built as bytes: the row loops of a 60,000-region map append here instead of
/// concatenating Strings. Widths count Unicode scalars (the text is escaped, so there are no
/// control characters; wide characters are rare in names and only shift their own row).
struct TextBuffer {
  var bytes: [UInt8] = []

  init(capacity: Int = 1 << 16) { bytes.reserveCapacity(capacity) }

  mutating func append(_ s: String) {
    var s = s
    s.withUTF8 { bytes.append(contentsOf: $0) }
  }

  mutating func append(_ b: UInt8) { bytes.append(b) }

  /// Appends `s` escaped for the terminal; printable ASCII (the usual case) goes straight in.
  mutating func appendEscaped(_ s: String) {
    let plain = s.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "\\") }
    append(plain ? s : TerminalEscape.escape(s))
  }

  mutating func spaces(_ n: Int) {
    if n > 0 { bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: n)) }
  }

  mutating func newline() { bytes.append(UInt8(ascii: "\n")) }

  /// Display width of `s`: its byte count when ASCII, else its scalar count.
  static func width(_ s: String) -> Int {
    let n = s.utf8.count
    return s.utf8.allSatisfy { $0 < 0x80 } ? n : s.unicodeScalars.count
  }

  mutating func padRight(_ s: String, _ width: Int) {
    append(s)
    spaces(width - TextBuffer.width(s))
  }

  mutating func padLeft(_ s: String, _ width: Int) {
    spaces(width - TextBuffer.width(s))
    append(s)
  }

  /// Number of hexadecimal digits of `v` (at least 1).
  static func hexDigits(_ v: UInt64) -> Int { max(1, (64 - v.leadingZeroBitCount + 3) / 4) }

  /// `0x` and lowercase hex, zero-padded to `width` digits.
  mutating func hexAddress(_ v: UInt64, width: Int) {
    bytes.append(UInt8(ascii: "0"))
    bytes.append(UInt8(ascii: "x"))
    let digits = TextBuffer.hexDigits(v)
    if width > digits {
      bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - digits))
    }
    var shift = (digits - 1) * 4
    while shift >= 0 {
      let d = UInt8((v >> UInt64(shift)) & 0xf)
      bytes.append(d < 10 ? UInt8(ascii: "0") + d : UInt8(ascii: "a") + d - 10)
      shift -= 4
    }
  }

  /// The compact size of a table column (`0`, `4K`, `1.6M`), right-aligned in `width`.
  mutating func compactSize(_ v: UInt64, width: Int) {
    // The common cases without building a String: zero and whole KiB below 1 MiB.
    if v == 0 {
      spaces(width - 1)
      bytes.append(UInt8(ascii: "0"))
      return
    }
    if v % 1024 == 0 && v < 100 * 1024 {
      let k = v / 1024
      let digits = k >= 10 ? 2 : 1
      spaces(width - digits - 1)
      if k >= 10 { bytes.append(UInt8(ascii: "0") + UInt8(k / 10)) }
      bytes.append(UInt8(ascii: "0") + UInt8(k % 10))
      bytes.append(UInt8(ascii: "K"))
      return
    }
    padLeft(SizeFormat.compact(v), width)
  }

  /// The IEC size of a table column (`4 KiB`), right-aligned in `width`.
  mutating func iecSize(_ v: UInt64, width: Int) {
    if v % 1024 == 0 && v >= 1024 && v < 1000 * 1024 {
      let k = v / 1024
      let digits = k >= 100 ? 3 : k >= 10 ? 2 : 1
      spaces(width - digits - 4)
      if k >= 100 { bytes.append(UInt8(ascii: "0") + UInt8(k / 100)) }
      if k >= 10 { bytes.append(UInt8(ascii: "0") + UInt8(k / 10 % 10)) }
      bytes.append(UInt8(ascii: "0") + UInt8(k % 10))
      bytes.append(contentsOf: [0x20, 0x4b, 0x69, 0x42])  // " KiB"
      return
    }
    padLeft(SizeFormat.iec(v), width)
  }
}
