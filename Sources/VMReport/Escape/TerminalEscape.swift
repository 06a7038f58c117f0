import VMMapCore

/// Escaping for a terminal: what a name holds is shown, never obeyed.
///
/// Control characters (C0, DEL), C1 controls, bidirectional overrides and isolates, and bytes
/// that are not valid UTF-8 become visible escapes (`\n`, `\x1b`, `\u202e`); a backslash becomes
/// `\\` so that an escape in the output always means an escaped byte.
public enum TerminalEscape {
  public static func escape(_ bytes: [UInt8]) -> String {
    if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "\\") }) {
      return String(decoding: bytes, as: UTF8.self)
    }
    return escape(bytes, alsoEscaping: { _ in false })
  }

  /// The visible form of `bytes`, with the scalars `alsoEscaping` names escaped too (as
  /// `\uXXXX`), beyond the invisible controls every form escapes.
  static func escape(_ bytes: [UInt8], alsoEscaping: (Unicode.Scalar) -> Bool) -> String {
    var out = ""
    out.reserveCapacity(bytes.count + 8)
    var i = 0
    while i < bytes.count {
      let b = bytes[i]
      if b < 0x80 {
        out += escapeASCII(b)
        i += 1
        continue
      }
      if let (scalar, length) = decodeScalar(bytes, at: i) {
        if isInvisibleControl(scalar) || alsoEscaping(scalar) {
          out += "\\u" + hex(UInt64(scalar.value), width: 4)
        } else {
          out.unicodeScalars.append(scalar)
        }
        i += length
      } else {
        out += "\\x" + hex(UInt64(b), width: 2)
        i += 1
      }
    }
    return out
  }

  public static func escape(_ path: PathBytes) -> String { escape(path.bytes) }
  public static func escape(_ string: String) -> String { escape(Array(string.utf8)) }

  private static func escapeASCII(_ b: UInt8) -> String {
    switch b {
    case UInt8(ascii: "\n"): return "\\n"
    case UInt8(ascii: "\t"): return "\\t"
    case UInt8(ascii: "\r"): return "\\r"
    case UInt8(ascii: "\\"): return "\\\\"
    case 0x20..<0x7f: return String(UnicodeScalar(b))
    default: return "\\x" + hex(UInt64(b), width: 2)
    }
  }

  /// C1 controls, bidi embeddings/overrides/isolates and marks, zero-width and line separators:
  /// characters that can hide or reorder what a terminal shows.
  static func isInvisibleControl(_ s: Unicode.Scalar) -> Bool {
    switch s.value {
    case 0x80...0x9f, 0x200b...0x200f, 0x2028...0x202e, 0x2060...0x2069, 0xfeff, 0x061c:
      return true
    default:
      return false
    }
  }

  /// Decodes one well-formed UTF-8 scalar at `i` (no overlongs, no surrogates), or nil.
  static func decodeScalar(_ b: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
    let b0 = b[i]
    let length: Int
    var value: UInt32
    switch b0 {
    case 0xc2...0xdf:
      length = 2
      value = UInt32(b0 & 0x1f)
    case 0xe0...0xef:
      length = 3
      value = UInt32(b0 & 0x0f)
    case 0xf0...0xf4:
      length = 4
      value = UInt32(b0 & 0x07)
    default: return nil
    }
    guard i + length <= b.count else { return nil }
    for k in 1..<length {
      let c = b[i + k]
      guard c & 0xc0 == 0x80 else { return nil }
      value = value << 6 | UInt32(c & 0x3f)
    }
    let minimum: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
    guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
    return (scalar, length)
  }
}

/// Lowercase hexadecimal, zero-padded to `width` digits.
public func hex(_ value: UInt64, width: Int = 0) -> String {
  let digits = String(value, radix: 16)
  return digits.count >= width
    ? digits : String(repeating: "0", count: width - digits.count) + digits
}

/// `0x` and lowercase hexadecimal, zero-padded to `width` digits.
public func hexAddress(_ value: UInt64, width: Int = 0) -> String {
  "0x" + hex(value, width: width)
}
