import Glibc

/// A linear axis from 0 with "nice" ticks (1, 2, 2.5 or 5 times a power of ten), its top the
/// first tick at or above the data's maximum.
struct ChartAxis: Hashable {
  var ticks: [Double]
  var top: Double { ticks.last ?? 1 }

  /// Ticks for values up to `maximum`, about `target` of them; `integral` keeps steps whole
  /// (counts of pages or faults).
  init(maximum: Double, target: Int = 5, integral: Bool) {
    let maximum = maximum > 0 && maximum.isFinite ? maximum : 1
    let raw = maximum / Double(max(1, target))
    let magnitude = pow(10, floor(log10(raw)))
    let normalised = raw / magnitude
    var multiples: [Double] = [1, 2, 5, 10]
    if !integral || magnitude >= 10 { multiples.insert(2.5, at: 2) }
    var step = (multiples.first { normalised <= $0 } ?? 10) * magnitude
    if integral { step = max(1, step.rounded()) }
    var ticks: [Double] = [0]
    while ticks[ticks.count - 1] < maximum { ticks.append(Double(ticks.count) * step) }
    self.ticks = ticks
  }

  /// Position of `value` on a screen axis from `from` (value 0) to `to` (value `top`).
  func position(_ value: Double, from: Double, to: Double) -> Double {
    from + (to - from) * (value / top)
  }
}

/// Byte values on an axis, in one IEC unit chosen from the maximum: `0 MiB`, `16 MiB`, ….
struct ByteAxis {
  static let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]

  let axis: ChartAxis
  let unitIndex: Int
  var unitBytes: Double { pow(1024, Double(unitIndex)) }

  init(maximum: UInt64, target: Int = 5) {
    var index = 0
    var value = Double(maximum)
    while value >= 1024 && index < Self.units.count - 1 {
      value /= 1024
      index += 1
    }
    unitIndex = index
    axis = ChartAxis(maximum: value, target: target, integral: index == 0)
  }

  func label(_ tick: Double) -> String { SVGNumber.format(tick) + " " + Self.units[unitIndex] }
  /// A byte count in the axis's unit.
  func value(_ bytes: UInt64) -> Double { Double(bytes) / unitBytes }
}
