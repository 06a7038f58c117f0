/// Small formatters for descriptions and evidence (no Foundation in VMMapCore).
enum Format {
  /// `0x7f12…` in lower-case hex.
  static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

  /// A size for people in IEC units: `4 KiB`, `8 MiB`, `1.5 GiB`.
  static func iec(_ bytes: UInt64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"]
    var unit = 0
    var scale: UInt64 = 1
    while unit < units.count - 1, bytes / scale >= 1024 {
      scale *= 1024
      unit += 1
    }
    if unit == 0 { return "\(bytes) bytes" }
    let whole = bytes / scale
    let tenths = (bytes % scale) * 10 / scale
    return tenths == 0 ? "\(whole) \(units[unit])" : "\(whole).\(tenths) \(units[unit])"
  }

  /// Section names for a description: at most `limit`, then `…`.
  static func sectionList(_ names: [String], limit: Int = 6) -> String {
    names.count <= limit
      ? names.joined(separator: " ") : (names.prefix(limit) + ["…"]).joined(separator: " ")
  }
}

/// x86-64 base page size; ELF segments are mapped at this granularity.
let pageSize: UInt64 = 4096

func pageDown(_ v: UInt64) -> UInt64 { v & ~(pageSize - 1) }

func pageUp(_ v: UInt64) -> UInt64 {
  let (sum, overflow) = v.addingReportingOverflow(pageSize - 1)
  return overflow ? pageDown(.max) : pageDown(sum)
}
