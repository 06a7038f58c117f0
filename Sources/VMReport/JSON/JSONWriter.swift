import VMMapCore

/// A small streaming JSON writer over bytes: keys in the order written, one escaping function.
///
/// Strings are escaped as RFC 8259 requires, plus U+2028/U+2029 and every C0/C1 control, so the
/// output is safe to embed and to print. Invalid UTF-8 never reaches it: names are written with
/// `pathValue`, which keeps the exact bytes beside a readable form.
public struct JSONWriter {
  public private(set) var bytes: [UInt8] = []
  private var needsComma: [Bool] = [false]
  private var indentLevel = 0
  /// Containers at or below this depth put each member on its own line.
  public var prettyDepth: Int

  public init(prettyDepth: Int = 2) {
    self.prettyDepth = prettyDepth
    bytes.reserveCapacity(1 << 16)
  }

  public var string: String { String(decoding: bytes, as: UTF8.self) }

  private var pretty: Bool { needsComma.count - 1 <= prettyDepth }

  private mutating func separator() {
    if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
    needsComma[needsComma.count - 1] = true
    if pretty && needsComma.count > 1 {
      bytes.append(UInt8(ascii: "\n"))
      bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * (needsComma.count - 1)))
    }
  }

  private mutating func open(_ c: UInt8) {
    bytes.append(c)
    needsComma.append(false)
  }

  private mutating func close(_ c: UInt8) {
    let hadMembers = needsComma.removeLast()
    if hadMembers && needsComma.count <= prettyDepth {
      bytes.append(UInt8(ascii: "\n"))
      bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * (needsComma.count - 1)))
    }
    bytes.append(c)
  }

  // MARK: containers

  public mutating func beginObject() { open(UInt8(ascii: "{")) }
  public mutating func endObject() { close(UInt8(ascii: "}")) }
  public mutating func beginArray() { open(UInt8(ascii: "[")) }
  public mutating func endArray() { close(UInt8(ascii: "]")) }

  public mutating func beginObject(_ key: String) {
    self.key(key)
    open(UInt8(ascii: "{"))
  }

  public mutating func beginArray(_ key: String) {
    self.key(key)
    open(UInt8(ascii: "["))
  }

  /// Starts an array element (call before writing a value inside an array).
  public mutating func element() { separator() }

  /// Writes a key; the value follows (a value call, or a container opened with no key).
  public mutating func key(_ k: String) {
    separator()
    writeString(k)
    bytes.append(UInt8(ascii: ":"))
    if pretty { bytes.append(UInt8(ascii: " ")) }
  }

  // MARK: members

  public mutating func field(_ k: String, _ v: String) {
    key(k)
    writeString(v)
  }

  public mutating func field(_ k: String, _ v: UInt64) {
    key(k)
    writeDecimal(v)
  }

  public mutating func field(_ k: String, _ v: Int) {
    key(k)
    if v < 0 { bytes.append(UInt8(ascii: "-")) }
    writeDecimal(v.magnitude.toUInt64)
  }

  /// Appends the decimal digits of `v`.
  mutating func writeDecimal(_ v: UInt64) {
    if v < 10 {
      bytes.append(UInt8(ascii: "0") + UInt8(v))
      return
    }
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
    var n = v
    var count = 0
    withUnsafeMutableBytes(of: &digits) { buffer in
      while n > 0 {
        count += 1
        buffer[24 - count] = UInt8(ascii: "0") + UInt8(n % 10)
        n /= 10
      }
      bytes.append(contentsOf: buffer[(24 - count)...])
    }
  }

  public mutating func field(_ k: String, _ v: Bool) {
    key(k)
    bytes.append(contentsOf: (v ? "true" : "false").utf8)
  }

  public mutating func null(_ k: String) {
    key(k)
    bytes.append(contentsOf: "null".utf8)
  }

  /// An address as a `"0x…"` string.
  public mutating func address(_ k: String, _ v: UInt64) {
    key(k)
    bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: "0"), UInt8(ascii: "x")])
    var shift = (max(1, (64 - v.leadingZeroBitCount + 3) / 4) - 1) * 4
    while shift >= 0 {
      let d = UInt8((v >> UInt64(shift)) & 0xf)
      bytes.append(d < 10 ? UInt8(ascii: "0") + d : UInt8(ascii: "a") + d - 10)
      shift -= 4
    }
    bytes.append(UInt8(ascii: "\""))
  }

  /// A name that may not be UTF-8: `"k": readable` and, only when the bytes are not valid
  /// UTF-8, `"kBytes": "<hex of the exact bytes>"`.
  public mutating func path(_ k: String, _ v: PathBytes) {
    field(k, v.string)
    if !v.isValidUTF8 { field(k + "Bytes", v.bytes.map { hex(UInt64($0), width: 2) }.joined()) }
  }

  public mutating func value(_ v: String) {
    separator()
    writeString(v)
  }

  public mutating func value(_ v: UInt64) {
    separator()
    writeDecimal(v)
  }

  /// Appends `s` as a JSON string literal (works on UTF-8 bytes; `s` is valid UTF-8).
  public mutating func writeString(_ s: String) {
    var s = s
    s.withUTF8 { writeString(utf8: $0) }
  }

  mutating func writeString(utf8: UnsafeBufferPointer<UInt8>) {
    bytes.append(UInt8(ascii: "\""))
    var plain = true
    for b in utf8 where b < 0x20 || b >= 0x7f || b == 0x22 || b == 0x5c {
      plain = false
      break
    }
    if plain {
      bytes.append(contentsOf: utf8)
      bytes.append(UInt8(ascii: "\""))
      return
    }
    var i = 0
    let n = utf8.count
    while i < n {
      let b = utf8[i]
      switch b {
      case 0x22: bytes.append(contentsOf: [0x5c, 0x22])
      case 0x5c: bytes.append(contentsOf: [0x5c, 0x5c])
      case 0x0a: bytes.append(contentsOf: [0x5c, UInt8(ascii: "n")])
      case 0x0d: bytes.append(contentsOf: [0x5c, UInt8(ascii: "r")])
      case 0x09: bytes.append(contentsOf: [0x5c, UInt8(ascii: "t")])
      case 0..<0x20, 0x7f: escapeScalar(UInt32(b))
      case 0xc2 where i + 1 < n && (0x80...0x9f).contains(utf8[i + 1]):
        // C1 controls U+0080–U+009F.
        escapeScalar(UInt32(utf8[i + 1]))
        i += 1
      case 0xe2
      where i + 2 < n && utf8[i + 1] == 0x80 && (utf8[i + 2] == 0xa8 || utf8[i + 2] == 0xa9):
        // U+2028 and U+2029, line and paragraph separators.
        escapeScalar(utf8[i + 2] == 0xa8 ? 0x2028 : 0x2029)
        i += 2
      default: bytes.append(b)
      }
      i += 1
    }
    bytes.append(UInt8(ascii: "\""))
  }

  private mutating func escapeScalar(_ v: UInt32) {
    bytes.append(contentsOf: "\\u\(hex(UInt64(v), width: 4))".utf8)
  }
}

extension UInt {
  fileprivate var toUInt64: UInt64 { UInt64(self) }
}
