import VMMapCore

/// Numbers of a comparison for people: sizes in IEC units, signed changes, percentages.
public enum ComparisonFormat {
  /// Whole numbers with thousands separators; others with up to three significant decimals.
  static func number(_ x: Double) -> String {
    if x.rounded() == x, abs(x) < 1e15 {
      let n = Int64(x)
      return (n < 0 ? "-" : "") + thousands(Int(n.magnitude))
    }
    let places = abs(x) >= 100 ? 0 : abs(x) >= 10 ? 1 : abs(x) >= 1 ? 2 : 3
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let r = (abs(x) * scale).rounded()
    let whole = Int64(r / scale)
    var frac = String(Int64(r) - whole * Int64(scale))
    while frac.count < places { frac = "0" + frac }
    return (x < 0 ? "-" : "") + String(whole) + (places > 0 ? "." + frac : "")
  }

  /// Seconds with one decimal: `0.3`, `12.0`.
  public static func seconds(_ x: Double) -> String {
    let tenths = Int64((x * 10).rounded())
    return "\(tenths / 10).\(abs(tenths % 10))"
  }

  static func value(_ x: Double, bytes: Bool) -> String {
    guard bytes else { return number(x) }
    return x < 0 ? "-" + SizeFormat.iec(UInt64(-x)) : SizeFormat.iec(UInt64(x))
  }

  static func value(_ x: Double?, unit: Measure.Unit) -> String {
    guard let x else { return "–" }
    switch unit {
    case .bytes: return value(x, bytes: true)
    case .nanoseconds: return number(x) + " ns"
    default: return number(x)
    }
  }

  /// `+2.0 MiB` / `-3` / `0`.
  static func delta(_ d: Double, bytes: Bool) -> String {
    if d == 0 { return "0" }
    let sign = d > 0 ? "+" : "-"
    return sign + (bytes ? SizeFormat.iec(UInt64(abs(d))) : number(abs(d)))
  }

  /// `+20%`, `-0.2%`, `new` when `a` is 0 and `b` is not, `0%` when equal; one decimal.
  static func percent(_ a: Double, _ b: Double) -> String {
    if a == b { return "0%" }
    if a == 0 { return "new" }
    let tenths = ((b - a) / abs(a) * 1000).rounded()
    if tenths == 0 { return b > a ? "+<0.1%" : "-<0.1%" }
    let whole = Int64(abs(tenths)) / 10
    let frac = Int64(abs(tenths)) % 10
    return (tenths > 0 ? "+" : "-") + thousands(Int(whole)) + (frac == 0 ? "" : ".\(frac)") + "%"
  }

  /// `+2.0 MiB, +20.0%`.
  static func change(_ a: Double, _ b: Double, bytes: Bool = false) -> String {
    delta(b - a, bytes: bytes) + ", " + percent(a, b)
  }

  static func size(_ b: UInt64?) -> String { b.map(SizeFormat.iec) ?? "–" }

  /// The signed difference of two optional sizes, `–` when either is missing.
  static func sizeDelta(_ a: UInt64?, _ b: UInt64?) -> String {
    guard let a, let b else { return "–" }
    return delta(Double(b) - Double(a), bytes: true)
  }
}
