/// Numbers in SVG attributes and labels, formatted by hand (no `String(format:)`, which would
/// pull Foundation's ICU data into a static binary) and deterministically.
enum SVGNumber {
  /// At most two decimals, no trailing zeros, no exponent: `12`, `12.5`, `0.25`, `-3.1`.
  /// Values beyond ±10^13 (never a coordinate) are clamped.
  static func format(_ x: Double) -> String {
    guard x.isFinite else { return "0" }
    let hundredths = (min(max(x, -1e13), 1e13) * 100).rounded()
    if hundredths == 0 { return "0" }
    let negative = hundredths < 0
    let magnitude = UInt64(abs(hundredths))
    var out = negative ? "-" : ""
    out += String(magnitude / 100)
    let fraction = magnitude % 100
    if fraction != 0 {
      out += "."
      out +=
        fraction % 10 == 0 ? String(fraction / 10) : (fraction < 10 ? "0" : "") + String(fraction)
    }
    return out
  }

  /// `18,446,744,073,709,551,615`: digits grouped by three, for any UInt64.
  static func thousands(_ n: UInt64) -> String {
    let digits = String(n)
    var out = ""
    for (i, c) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
      out.append(c)
    }
    return out
  }
}
