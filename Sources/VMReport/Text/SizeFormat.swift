/// Sizes for people, in IEC units (KiB, MiB, GiB, TiB, PiB, EiB), without Foundation.
public enum SizeFormat {
  private static let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]

  /// `4 KiB`, `1.6 MiB`, `128 TiB`: whole numbers as such, one decimal below 100 units.
  public static func iec(_ bytes: UInt64) -> String {
    if bytes < 1024 { return "\(bytes) B" }
    let (value, unit) = scaled(bytes)
    return number(value) + " " + units[unit]
  }

  /// A compact form for table columns: `0`, `4K`, `1.6M`, `12G`.
  public static func compact(_ bytes: UInt64) -> String {
    if bytes == 0 { return "0" }
    if bytes < 1024 { return "\(bytes)B" }
    let (value, unit) = scaled(bytes)
    return number(value) + String(units[unit].prefix(1))
  }

  /// `bytes` divided by 1024 until below 1024 (or EiB), with the index of its unit.
  static func scaled(_ bytes: UInt64) -> (Double, Int) {
    var unit = 0
    var value = Double(bytes)
    while value >= 1024 && unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    return (value, unit)
  }

  /// One decimal when below 100 and not whole; rounded half up.
  /// `x` with `places` decimals (`fixed(0.1234, places: 3)` is `0.123`), without Foundation's
  /// formatters (SWIFT-NOTES.md §9). For the non-negative figures vmmap prints.
  public static func fixed(_ x: Double, places: Int) -> String {
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let n = Int64((x * scale).rounded())
    let whole = n / Int64(scale)
    guard places > 0 else { return "\(whole)" }
    var fraction = String(n % Int64(scale))
    while fraction.count < places { fraction = "0" + fraction }
    return "\(whole).\(fraction)"
  }

  static func number(_ x: Double) -> String {
    let tenths = (x * 10).rounded()
    if tenths.truncatingRemainder(dividingBy: 10) == 0 || x >= 100 {
      return String(Int64(x.rounded()))
    }
    let whole = Int64(tenths) / 10
    return "\(whole).\(Int64(tenths) % 10)"
  }

  /// A percentage with one decimal (`12.5%`), `<0.1%` for tiny non-zero shares.
  public static func percent(_ part: UInt64, of whole: UInt64) -> String {
    guard whole > 0 else { return "0%" }
    let p = Double(part) * 100 / Double(whole)
    if p > 0 && p < 0.1 { return "<0.1%" }
    return number(p) + "%"
  }
}
