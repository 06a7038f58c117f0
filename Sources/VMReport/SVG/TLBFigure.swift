import Glibc
import VMExperiments
import VMMapCore

/// The TLB sweep as a plot: nanoseconds per access against the working set (log scale), for
/// 4 KiB pages in random order and in address order, the packed control and huge pages, with
/// the TLB knees marked and the reach they imply written beside them.
struct TLBFigure {
  let report: TLBReport
  var name = "tlb"

  private static let width: Double = 960
  private static let height: Double = 520
  private static let left: Double = 80
  private static let right: Double = 930
  private static let top: Double = 110
  private static let bottom: Double = 460

  func render() throws(VMMapError) -> ReportFigure {
    let t = report
    let title = XMLTextEscape.sanitize(
      "Nanoseconds per access against working set: 4 KiB pages, huge pages, and the cache control")
    let series: [(TLBCurve, String, String)] = [
      (t.curve(.base, .random), "rss", "4 KiB pages, random order"),
      (t.curve(.huge, .random), "minor", "2 MiB pages (THP), random order"),
      (t.curve(.base, .packed), "major", "control: same lines packed 64 to a page"),
      (t.curve(.base, .sequential), "expected", "4 KiB pages, address order"),
    ].compactMap { c, cls, label in c.map { ($0, cls, label) } }
    let document = SVGDocument(
      width: Self.width, height: Self.height, title: title, description: summary())
    let svg = document.root
    svg.add("text", ["class": "heading"]).set("x", 16).set("y", 26).text(title)
    _ = SVGFigure.legend(
      series.map { ($0.1 == "expected" ? "swatch-expected" : "dot-" + $0.1, $0.2) }, in: svg,
      x: Self.left, y: 44, width: 860, entryWidth: 280)

    let all = series.flatMap { $0.0.points }
    let minX = log2(Double(max(all.map(\.workingSet).min() ?? 4096, 1)))
    let maxX = max(log2(Double(max(all.map(\.workingSet).max() ?? 4096, 1))), minX + 1)
    let xOf = { (w: UInt64) in
      Self.left + (Self.right - Self.left) * (log2(Double(max(w, 1))) - minX) / (maxX - minX)
    }
    // y: log scale over powers of two, so that each plateau is visible.
    let values = all.map(\.nanosecondsPerAccess).filter { $0 > 0 }
    let lowY = floor(log2(values.min() ?? 1))
    let highY = max(ceil(log2(values.max() ?? 2)), lowY + 1)
    let yOf = { (ns: Double) in
      Self.bottom - (Self.bottom - Self.top) * (log2(max(ns, 1e-3)) - lowY) / (highY - lowY)
    }
    var power = lowY
    while power <= highY {
      let y = yOf(pow(2, power))
      svg.add("line", ["class": "grid"]).set("x1", Self.left).set("y1", y).set("x2", Self.right)
        .set("y2", y)
      svg.add("text", ["class": "small end"]).set("x", Self.left - 6).set("y", y + 3.5)
        .text(SVGNumber.format(pow(2, power)))
      power += 1
    }
    // x ticks at every power of four from the first working set.
    var exponent = Int(minX.rounded(.up))
    while Double(exponent) <= maxX {
      let w = UInt64(1) << UInt64(exponent)
      let x = xOf(w)
      svg.add("line", ["class": "tick"]).set("x1", x).set("y1", Self.bottom).set("x2", x)
        .set("y2", Self.bottom + 5)
      svg.add("text", ["class": "small middle"]).set("x", x).set("y", Self.bottom + 17)
        .text(SizeFormat.iec(w))
      exponent += 2
    }
    svg.add("line", ["class": "axis"]).set("x1", Self.left).set("y1", Self.bottom)
      .set("x2", Self.right).set("y2", Self.bottom)
    svg.add("line", ["class": "axis"]).set("x1", Self.left).set("y1", Self.top)
      .set("x2", Self.left).set("y2", Self.bottom)
    svg.add("text", ["class": "muted small"]).set("x", Self.left).set("y", Self.top - 8)
      .text("ns per access, log scale (median of \(t.options.repeats) rounds)")
    svg.add("text", ["class": "middle"]).set("x", (Self.left + Self.right) / 2)
      .set("y", Self.height - 14).text("working set (log scale), one access per 4 KiB page")

    // The TLB knees: a vertical line at the last working set that fits, and the reach; then
    // the knees where the page walks start missing the caches.
    let marks =
      zip(t.reach.tlbKnees, t.reach.entries).map {
        ($0, "TLB reach \(SizeFormat.iec($0)) = \(thousands($1)) entries")
      }
      + t.reach.pageWalkKnees.map { ($0, "page walks miss the caches past \(SizeFormat.iec($0))") }
    for (i, (knee, label)) in marks.enumerated() {
      let x = xOf(knee)
      svg.add("line", ["class": "series-expected"]).set("x1", x).set("y1", Self.top)
        .set("x2", x).set("y2", Self.bottom)
      // At the top, left of the line near the right edge (where the curves are low).
      let nearEdge = x > Self.right - 220
      svg.add("text", ["class": nearEdge ? "small end" : "small"])
        .set("x", nearEdge ? x - 4 : x + 4).set("y", Self.top + 14 + Double(i % 2) * 14)
        .text(label)
    }
    for (curve, cls, label) in series {
      let points = curve.points.map { (xOf($0.workingSet), yOf($0.nanosecondsPerAccess)) }
      if points.count >= 2 {
        svg.add("polyline", ["class": "series-" + cls]).set(
          "points",
          points.map { SVGNumber.format($0.0) + "," + SVGNumber.format($0.1) }
            .joined(separator: " "))
      }
      if cls != "expected" {
        let g = svg.add("g").tooltip(label)
        for (x, y) in points {
          g.add("circle", ["class": "dot-" + cls]).set("cx", x).set("cy", y).set("r", 2.2)
        }
      }
    }
    return try SVGFigure.finish(document, name: name, title: title)
  }

  /// The `<desc>`: the curve's ends and the reach, in words.
  func summary() -> String {
    let t = report
    func ns(_ v: Double?) -> String { v.map { SVGNumber.format($0) + " ns" } ?? "?" }
    let first = t.curve(.base, .random)?.points.first?.nanosecondsPerAccess
    let reach =
      t.reach.tlbKnees.isEmpty
      ? "no TLB knee told apart from the caches"
      : "TLB knees at "
        + t.reach.tlbKnees.map { SizeFormat.iec($0) }.joined(separator: " and ")
    return "4 KiB pages in random order: \(ns(first)) per access at one page, "
      + "\(ns(t.reach.baseNanoseconds)) at \(SizeFormat.iec(t.reach.largestWorkingSet)); "
      + "2 MiB pages: \(ns(t.reach.hugeNanoseconds)) there; \(reach)."
  }
}
