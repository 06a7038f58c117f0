/// Byte constants and number scanners shared by the procfs parsers.
///
/// Every scanner works on an `UnsafeBufferPointer<UInt8>` holding one line (no newline) and an
/// index into it, checks every index against `count` before reading, and never traps on input:
/// overflow and over-long numbers return nil.
enum Byte {
  static let newline = UInt8(ascii: "\n")
  static let space = UInt8(ascii: " ")
  static let tab = UInt8(ascii: "\t")
  static let hyphen = UInt8(ascii: "-")
  static let colon = UInt8(ascii: ":")
  static let zero = UInt8(ascii: "0")
  static let nine = UInt8(ascii: "9")
  static let nul: UInt8 = 0

  /// The value of a hex digit (either case), or nil.
  @inline(__always)
  static func hexValue(_ b: UInt8) -> UInt64? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(b &- UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt64(b &- UInt8(ascii: "a") &+ 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt64(b &- UInt8(ascii: "A") &+ 10)
    default: nil
    }
  }

  @inline(__always)
  static func isDigit(_ b: UInt8) -> Bool { b >= zero && b <= nine }
}

extension UnsafeBufferPointer where Element == UInt8 {
  /// Reads 1 to `maxDigits` hex digits at `i`, advancing `i`; nil when there is no digit or more
  /// than `maxDigits` of them (so the value always fits: 16 digits for 64 bits).
  @inline(__always)
  func scanHex(_ i: inout Int, maxDigits: Int = 16) -> UInt64? {
    var value: UInt64 = 0
    var n = 0
    while i < count, let d = Byte.hexValue(self[i]) {
      if n == maxDigits { return nil }
      value = value &<< 4 | d
      n += 1
      i += 1
    }
    return n == 0 ? nil : value
  }

  /// Reads decimal digits at `i`, advancing `i`; nil when there is none or the value overflows.
  @inline(__always)
  func scanDecimal(_ i: inout Int) -> UInt64? {
    var value: UInt64 = 0
    let start = i
    while i < count {
      let b = self[i]
      guard Byte.isDigit(b) else { break }
      let (m, o1) = value.multipliedReportingOverflow(by: 10)
      let (s, o2) = m.addingReportingOverflow(UInt64(b &- Byte.zero))
      if o1 || o2 { return nil }
      value = s
      i += 1
    }
    return i == start ? nil : value
  }

  /// Reads an optionally negative decimal at `i` as a two's complement bit pattern.
  @inline(__always)
  func scanSignedDecimal(_ i: inout Int) -> UInt64? {
    var negative = false
    if i < count, self[i] == Byte.hyphen {
      negative = true
      i += 1
    }
    guard let v = scanDecimal(&i) else { return nil }
    if negative {
      guard v <= UInt64(Int64.max) + 1 else { return nil }
      return 0 &- v
    }
    return v
  }

  /// Skips spaces (and, when `tabs`, tabs) at `i`; returns how many were skipped.
  @inline(__always)
  @discardableResult
  func skipSpaces(_ i: inout Int, tabs: Bool = false) -> Int {
    let start = i
    while i < count, self[i] == Byte.space || (tabs && self[i] == Byte.tab) { i += 1 }
    return i - start
  }

  /// True (and `i` advanced) when the byte at `i` is `b`.
  @inline(__always)
  func expect(_ b: UInt8, _ i: inout Int) -> Bool {
    guard i < count, self[i] == b else { return false }
    i += 1
    return true
  }

  /// True when the bytes from `i` on equal `literal` exactly (to the end of the buffer).
  func restEquals(_ literal: StaticString, from i: Int) -> Bool {
    let n = literal.utf8CodeUnitCount
    guard count - i == n else { return false }
    let p = literal.utf8Start
    for k in 0..<n where self[i + k] != p[k] { return false }
    return true
  }
}

/// Runs `body` over the bytes of `array`, keeping the error type (`withUnsafeBytes` rethrows
/// untyped errors).
func withRawBytes<R>(
  _ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(VMMapError) -> R
) throws(VMMapError) -> R {
  let result = array.withUnsafeBytes { (raw) -> Result<R, VMMapError> in
    do throws(VMMapError) { return .success(try body(raw)) } catch { return .failure(error) }
  }
  return try result.get()
}
