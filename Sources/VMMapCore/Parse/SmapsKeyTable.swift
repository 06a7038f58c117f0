/// Fast lookup of smaps field names: each name of up to 16 bytes packed into two words, and the
/// two-letter `VmFlags` codes in a 26×26 table, so the hot loop neither allocates nor hashes.
struct SmapsKeyTable {
  /// A field name packed little-endian into 16 bytes (names never contain NUL).
  struct Key: Equatable {
    var lo: UInt64
    var hi: UInt64
  }

  /// Packed names, indexed by `SmapsField.rawValue` (kernel order).
  let keys: [Key]
  /// The packed `VmFlags`.
  let vmFlagsKey: Key
  /// Bit index in `VMFlags.known` for code `ab` at `(a - 'a') * 26 + (b - 'a')`, or -1.
  let flagBits: [Int8]

  static let shared = SmapsKeyTable()

  private init() {
    keys = SmapsField.allCases.map { SmapsKeyTable.pack(Array($0.kernelName.utf8)) }
    vmFlagsKey = SmapsKeyTable.pack(Array("VmFlags".utf8))
    var bits = [Int8](repeating: -1, count: 26 * 26)
    for (i, c) in VMFlags.codes.enumerated() {
      let u = Array(c.code.utf8)
      bits[Int(u[0] &- UInt8(ascii: "a")) * 26 + Int(u[1] &- UInt8(ascii: "a"))] = Int8(i)
    }
    flagBits = bits
  }

  static func pack(_ bytes: [UInt8]) -> Key {
    var k = Key(lo: 0, hi: 0)
    for (i, b) in bytes.enumerated() {
      if i < 8 {
        k.lo |= UInt64(b) << (8 * UInt64(i))
      } else {
        k.hi |= UInt64(b) << (8 * UInt64(i - 8))
      }
    }
    return k
  }

  /// The field for `key`, trying `SmapsField(rawValue: guess)` first (the kernel prints fields
  /// in enum order), then every other field.
  @inline(__always)
  func field(for key: Key, guess: Int) -> SmapsField? {
    if guess < keys.count, keys[guess] == key { return SmapsField(rawValue: guess) }
    for i in keys.indices where keys[i] == key { return SmapsField(rawValue: i) }
    return nil
  }

  /// Parses the codes after `VmFlags:` (separated by spaces) from `i` to the end of `line`.
  func vmFlags(_ line: UnsafeBufferPointer<UInt8>, from start: Int) -> VMFlags {
    var known: UInt64 = 0
    var unknown: [String] = []
    var i = start
    while i < line.count {
      if line[i] == Byte.space || line[i] == Byte.tab {
        i += 1
        continue
      }
      var j = i
      while j < line.count, line[j] != Byte.space, line[j] != Byte.tab { j += 1 }
      if j - i == 2 {
        let a = line[i] &- UInt8(ascii: "a")
        let b = line[i + 1] &- UInt8(ascii: "a")
        if a < 26, b < 26, case let bit = flagBits[Int(a) * 26 + Int(b)], bit >= 0 {
          known |= 1 << UInt64(bit)
          i = j
          continue
        }
      }
      unknown.append(String(decoding: UnsafeBufferPointer(rebasing: line[i..<j]), as: UTF8.self))
      i = j
    }
    return VMFlags(known: known, unknown: unknown)
  }
}
