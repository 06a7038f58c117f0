import Glibc

/// Terminal text built as bytes: the row loops of a 60,000-region map append here instead of
/// concatenating Strings. Widths count Unicode scalars (the text is escaped, so there are no
/// control characters; wide characters are rare in names and only shift their own row).
///
/// Storage is one growing malloc'd block written through a pointer: a row costs a capacity
/// check and plain stores, not an Array append per byte.
struct TextBuffer: ~Copyable {
  private var base: UnsafeMutablePointer<UInt8>
  private var capacity: Int
  private(set) var count = 0

  init(capacity: Int = 1 << 16) {
    self.capacity = max(capacity, 64)
    base = UnsafeMutablePointer<UInt8>.allocate(capacity: self.capacity)
  }

  deinit { base.deallocate() }

  /// The text so far, copied out.
  var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

  /// Makes room for `n` more bytes.
  @inline(__always)
  private mutating func reserve(_ n: Int) {
    guard count + n > capacity else { return }
    var newCapacity = capacity * 2
    while newCapacity < count + n { newCapacity *= 2 }
    let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
    grown.update(from: base, count: count)
    base.deallocate()
    base = grown
    capacity = newCapacity
  }

  @inline(__always)
  mutating func append(_ b: UInt8) {
    reserve(1)
    base[count] = b
    count += 1
  }

  @inline(__always)
  mutating func append(_ buffer: UnsafeBufferPointer<UInt8>) {
    guard let source = buffer.baseAddress, !buffer.isEmpty else { return }
    reserve(buffer.count)
    (base + count).update(from: source, count: buffer.count)
    count += buffer.count
  }

  mutating func append(_ s: String) {
    var s = s
    s.withUTF8 { append($0) }
  }

  /// Appends `s` escaped for the terminal; printable ASCII (the usual case) goes straight in.
  mutating func appendEscaped(_ s: String) {
    var s = s
    let plain = s.withUTF8 { utf8 in
      for b in utf8 where b < 0x20 || b >= 0x7f || b == UInt8(ascii: "\\") { return false }
      append(utf8)
      return true
    }
    if !plain { append(TerminalEscape.escape(s)) }
  }

  @inline(__always)
  mutating func spaces(_ n: Int) {
    guard n > 0 else { return }
    reserve(n)
    (base + count).initialize(repeating: UInt8(ascii: " "), count: n)
    count += n
  }

  @inline(__always)
  mutating func newline() { append(UInt8(ascii: "\n")) }

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
    let digits = TextBuffer.hexDigits(v)
    let total = 2 + max(width, digits)
    reserve(total)
    base[count] = UInt8(ascii: "0")
    base[count + 1] = UInt8(ascii: "x")
    var i = count + total - 1
    var rest = v
    while i >= count + 2 {
      let d = UInt8(rest & 0xf)
      base[i] = d < 10 ? UInt8(ascii: "0") + d : UInt8(ascii: "a") + d - 10
      rest >>= 4
      i -= 1
    }
    count += total
  }

  /// The compact size of a table column (`0`, `4K`, `1.6M`), right-aligned in `width`.
  mutating func compactSize(_ v: UInt64, width: Int) {
    // The common cases without building a String: zero and whole KiB below 100 KiB.
    if v == 0 {
      spaces(width - 1)
      append(UInt8(ascii: "0"))
      return
    }
    if v % 1024 == 0 && v < 100 * 1024 {
      let k = v / 1024
      spaces(width - (k >= 10 ? 3 : 2))
      if k >= 10 { append(UInt8(ascii: "0") + UInt8(k / 10)) }
      append(UInt8(ascii: "0") + UInt8(k % 10))
      append(UInt8(ascii: "K"))
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
      if k >= 100 { append(UInt8(ascii: "0") + UInt8(k / 100)) }
      if k >= 10 { append(UInt8(ascii: "0") + UInt8(k / 10 % 10)) }
      append(UInt8(ascii: "0") + UInt8(k % 10))
      append(UInt8(ascii: " "))
      append(UInt8(ascii: "K"))
      append(UInt8(ascii: "i"))
      append(UInt8(ascii: "B"))
      return
    }
    padLeft(SizeFormat.iec(v), width)
  }
}
