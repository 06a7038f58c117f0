/// The grammar of one `/proc/PID/maps` line (also an smaps entry's header), per proc(5):
///
///     start-end perms offset major:minor inode   [name]
///
/// Addresses and the offset are hex of 1–16 digits (the kernel pads to 8); the device is hex,
/// the inode decimal; the name follows padding spaces and is kept as printed (escapes, inner
/// spaces and a `" (deleted)"` suffix included).
enum MapsLine {
  /// The page size addresses must be aligned to.
  static let pageSize: UInt64 = 4096

  /// Parses `line` (no newline) into a `Mapping`.
  static func parse(_ line: UnsafeBufferPointer<UInt8>) throws(ParseFailure) -> Mapping {
    var i = 0
    func fail(_ message: String) -> ParseFailure {
      ParseFailure(message, column: i + 1, line: line)
    }
    guard let start = line.scanHex(&i) else {
      throw fail("expected the start address (1 to 16 hex digits)")
    }
    guard line.expect(Byte.hyphen, &i) else { throw fail("expected '-' after the start address") }
    guard let end = line.scanHex(&i) else {
      throw fail("expected the end address (1 to 16 hex digits)")
    }
    guard line.expect(Byte.space, &i) else { throw fail("expected a space after the end address") }
    guard i + 4 <= line.count,
      let permissions = Permissions(bytes: UnsafeBufferPointer(rebasing: line[i..<(i + 4)]))
    else { throw fail("expected permissions like r-xp") }
    i += 4
    guard line.expect(Byte.space, &i) else { throw fail("expected a space after the permissions") }
    guard let offset = line.scanHex(&i) else { throw fail("expected the offset (hex)") }
    guard line.expect(Byte.space, &i) else { throw fail("expected a space after the offset") }
    guard let major = line.scanHex(&i, maxDigits: 8) else {
      throw fail("expected the device major number (hex)")
    }
    guard line.expect(Byte.colon, &i) else { throw fail("expected ':' in the device major:minor") }
    guard let minor = line.scanHex(&i, maxDigits: 8) else {
      throw fail("expected the device minor number (hex)")
    }
    guard line.expect(Byte.space, &i) else { throw fail("expected a space after the device") }
    guard let inode = line.scanDecimal(&i) else { throw fail("expected the inode (decimal)") }
    var rawName = PathBytes([])
    if i < line.count {
      guard line.skipSpaces(&i) > 0 else { throw fail("expected a space after the inode") }
      if i < line.count {
        rawName = PathBytes(Array(UnsafeBufferPointer(rebasing: line[i...])))
      }
    }
    i = 0
    guard start < end else {
      throw fail(
        "the start address \(hex(start)) is not below the end address \(hex(end))")
    }
    guard start % pageSize == 0, end % pageSize == 0 else {
      throw fail("the range \(hex(start))-\(hex(end)) is not aligned to 4096-byte pages")
    }
    return Mapping(
      start: start, end: end, permissions: permissions, offset: offset,
      deviceMajor: UInt32(truncatingIfNeeded: major),
      deviceMinor: UInt32(truncatingIfNeeded: minor),
      inode: inode, rawName: rawName)
  }

  /// True when `line` starts like a maps line (hex digits then `-`), not like an smaps field.
  @inline(__always)
  static func looksLikeHeader(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    var i = 0
    while i < line.count, Byte.hexValue(line[i]) != nil { i += 1 }
    return i > 0 && i < line.count && line[i] == Byte.hyphen
  }

  static func hex(_ v: UInt64) -> String { String(v, radix: 16) }
}

/// Checks that mappings arrive in address order without overlapping, remembering the line of
/// the previous one so an error can name both.
struct MappingOrder {
  private var previousEnd: UInt64 = 0
  private var previousLine = 0

  mutating func check(_ m: Mapping, line: Int) throws(ParseFailure) {
    if previousLine > 0, m.start < previousEnd {
      throw ParseFailure(
        "mapping \(MapsLine.hex(m.start))-\(MapsLine.hex(m.end)) starts below the end "
          + "\(MapsLine.hex(previousEnd)) of the mapping on line \(previousLine) "
          + "(lines must be sorted and must not overlap)")
    }
    previousEnd = m.end
    previousLine = line
  }
}
