/// Sizes as people type them, read as `dd` reads them: `100M` and `100MiB` are 100 MiB,
/// `100MB` is 100,000,000 bytes, a bare number is bytes.
///
/// Suffixes (case as dd takes them): `c` 1, `w` 2, `b` 512, `K`/`k`/`KiB` 1024, `kB`/`KB`
/// 1000, then `M`, `G`, `T`, `P`, `E` with `…iB` (powers of 1024) and `…B` (powers of 1000).
public enum ByteSize {
  /// The number of bytes `text` names; a malformed size or one past 2^64 − 1 is a usage error.
  public static func parse(_ text: String, option: String = "--size") throws(VMMapError) -> UInt64 {
    let bytes = Array(text.utf8)
    var i = 0
    var value: UInt64 = 0
    while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
      let (times10, o1) = value.multipliedReportingOverflow(by: 10)
      let (sum, o2) = times10.addingReportingOverflow(UInt64(bytes[i] - UInt8(ascii: "0")))
      guard !o1, !o2 else { throw tooLarge(text, option) }
      value = sum
      i += 1
    }
    guard i > 0 else { throw malformed(text, option) }
    let suffix = String(decoding: bytes[i...], as: UTF8.self)
    guard let multiplier = multipliers[suffix] else { throw malformed(text, option) }
    let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
    guard !overflow else { throw tooLarge(text, option) }
    return product
  }

  /// Every suffix dd accepts up to exbibytes (a 64-bit size ends there).
  static let multipliers: [String: UInt64] = {
    var table: [String: UInt64] = ["": 1, "c": 1, "w": 2, "b": 512, "k": 1024, "kB": 1000]
    var binary: UInt64 = 1
    var decimal: UInt64 = 1
    for letter in ["K", "M", "G", "T", "P", "E"] {
      binary *= 1024
      decimal *= 1000
      table[letter] = binary
      table[letter + "iB"] = binary
      table[letter + "B"] = decimal
    }
    return table
  }()

  static func malformed(_ text: String, _ option: String) -> VMMapError {
    VMMapError(
      .usage, what: "\(option) '\(text)'", why: "not a size",
      fix: "a whole number with an optional unit: 100M or 100MiB (MiB), 100MB (10^6 bytes), 4K")
  }

  static func tooLarge(_ text: String, _ option: String) -> VMMapError {
    VMMapError(
      .usage, what: "\(option) '\(text)'", why: "more than 2^64 - 1 bytes",
      fix: "give a smaller size")
  }
}
