/// A name as bytes: file names on Linux are any bytes but `/` and NUL, not necessarily UTF-8.
///
/// Kept losslessly; `string` is a readable form that replaces invalid UTF-8 with U+FFFD.
/// Every renderer escapes it for its own format.
public struct PathBytes: Hashable, Sendable, Comparable, CustomStringConvertible {
  public var bytes: [UInt8]

  public init(_ bytes: [UInt8]) { self.bytes = bytes }
  public init(_ string: String) { self.bytes = Array(string.utf8) }

  public var isEmpty: Bool { bytes.isEmpty }

  /// Readable form; invalid UTF-8 becomes U+FFFD (see `isValidUTF8`).
  public var string: String { String(decoding: bytes, as: UTF8.self) }

  public var isValidUTF8: Bool { String(validating: bytes, as: UTF8.self) != nil }

  /// The last path component (after the last `/`), or the whole name.
  public var lastComponent: PathBytes {
    guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return self }
    return PathBytes(Array(bytes[(slash + 1)...]))
  }

  public func hasPrefix(_ prefix: String) -> Bool { bytes.starts(with: prefix.utf8) }

  public func hasSuffix(_ suffix: String) -> Bool {
    let s = Array(suffix.utf8)
    return bytes.count >= s.count && Array(bytes[(bytes.count - s.count)...]) == s
  }

  public var description: String { string }

  public static func < (a: PathBytes, b: PathBytes) -> Bool {
    a.bytes.lexicographicallyPrecedes(b.bytes)
  }
}
