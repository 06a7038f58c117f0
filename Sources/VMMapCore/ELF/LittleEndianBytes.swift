/// Little-endian loads from a byte array; out-of-range reads give 0, never a trap.
struct LittleEndianBytes {
  let bytes: [UInt8]

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  func u16(_ at: Int) -> UInt16 { UInt16(truncatingIfNeeded: load(at, 2)) }
  func u32(_ at: Int) -> UInt32 { UInt32(truncatingIfNeeded: load(at, 4)) }
  func u64(_ at: Int) -> UInt64 { load(at, 8) }

  private func load(_ at: Int, _ width: Int) -> UInt64 {
    guard at >= 0, at <= bytes.count - width else { return 0 }
    var value: UInt64 = 0
    for i in (0..<width).reversed() { value = value << 8 | UInt64(bytes[at + i]) }
    return value
  }

  /// The NUL-terminated string at `at` (at most 4096 bytes), nil when `at` is out of range.
  func cString(at: Int) -> String? {
    guard at >= 0, at < bytes.count else { return nil }
    let limit = min(bytes.count, at + 4096)
    var end = at
    while end < limit, bytes[end] != 0 { end += 1 }
    return String(decoding: bytes[at..<end], as: UTF8.self)
  }
}
