/// Finds the knees of a latency curve: the working sets where the time per access steps up
/// from one plateau to a higher one (a cache or a TLB level running out).
///
/// For each point, the median of the `window` points before it is compared with the median of
/// the `window` points from it on; where that ratio reaches `threshold` and is the largest
/// within `window` points either side, the curve steps. The knee is then the last point
/// before the step still within `tolerance` of the lower plateau (a TLB that runs out makes a
/// gradual rise, so the largest ratio lies past the point where the rise begins).
public struct KneeFinder: Sendable {
  /// Points compared on each side (about one octave of working sets).
  public var window: Int
  /// The smallest step counted as a knee, as a ratio of the plateaus (1.25: 25 % slower).
  public var threshold: Double
  /// How far above the lower plateau a point may lie and still count as on it.
  public var tolerance: Double

  public init(window: Int = 4, threshold: Double = 1.25, tolerance: Double = 0.1) {
    self.window = max(1, window)
    self.threshold = threshold
    self.tolerance = tolerance
  }

  /// The knees of the curve `points` (working set in bytes, nanoseconds per access), which
  /// must be in ascending order of working set.
  public func knees(_ points: [(workingSet: UInt64, nanoseconds: Double)]) -> [TLBKnee] {
    let n = points.count
    let y = points.map(\.nanoseconds)
    guard n >= 4 else { return [] }
    var score = [Double](repeating: 0, count: n)
    var lower = [Double](repeating: 0, count: n)
    var upper = [Double](repeating: 0, count: n)
    for i in 1..<n {
      let left = Array(y[max(0, i - window)..<i])
      let right = Array(y[i..<min(n, i + window)])
      // Two points each side at least: one point alone is noise.
      guard left.count >= min(2, i), right.count >= 2 else { continue }
      lower[i] = Self.median(left)
      upper[i] = Self.median(right)
      score[i] = lower[i] > 0 ? upper[i] / lower[i] : 0
    }
    var knees: [TLBKnee] = []
    var i = 1
    while i < n {
      let neighbourhood = max(1, i - window)...min(n - 1, i + window)
      let best = neighbourhood.max { score[$0] < score[$1] || (score[$0] == score[$1] && $0 > $1) }
      guard score[i] >= threshold, best == i else {
        i += 1
        continue
      }
      // The onset: the last point before the step still on the lower plateau.
      var onset = i - 1
      while onset > max(0, i - window) && y[onset] > lower[i] * (1 + tolerance) { onset -= 1 }
      knees.append(
        TLBKnee(
          workingSet: points[onset].workingSet, nextWorkingSet: points[onset + 1].workingSet,
          before: lower[i], after: upper[i], cause: nil))
      i += window
    }
    return knees
  }

  /// The median (the mean of the middle two for an even count); 0 for none.
  public static func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let s = values.sorted()
    let m = s.count / 2
    return s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
  }
}
