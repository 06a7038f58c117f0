import VMExperiments
import VMMapCore

/// The ASLR experiment as a dot plot: one row per region, one dot per randomised run on a
/// line from the lowest to the highest position seen in either series, and one diamond where
/// every ADDR_NO_RANDOMIZE run landed.
public struct AslrFigure: Sendable {
  public var report: AslrReport
  public var name: String

  public init(report: AslrReport, name: String = "aslr") {
    self.report = report
    self.name = name
  }

  private static let width: Double = 960
  private static let top: Double = 84
  private static let rowHeight: Double = 62
  private static let trackLeft: Double = 190
  private static let trackRight: Double = 740

  static func kind(_ region: AslrRegion) -> RegionKind {
    switch region {
    case .executable: .executable
    case .heap: .heap
    case .stack: .mainStack
    case .mmapBase: .anonymous
    case .vdso: .vdso
    case .libc: .sharedLibrary
    }
  }

  public func render() throws(VMMapError) -> ReportFigure {
    let r = report
    let title =
      "Where ASLR put each region in \(r.runs) runs (dots), and where ADDR_NO_RANDOMIZE put it (diamond)"
    let regions = AslrRegion.allCases
    let height = Self.top + Double(regions.count) * Self.rowHeight + 30
    let document = SVGDocument(
      width: Self.width, height: height, title: title, description: summary())
    let svg = document.root
    svg.add("text", ["class": "heading"]).set("x", 16).set("y", 26).text(title)

    // Legend: a dot and a diamond.
    svg.add("circle", ["class": SVGStyle.kindClass(.executable)]).set("cx", 22).set("cy", 50)
      .set("r", 4)
    svg.add("text", ["class": "small"]).set("x", 32).set("y", 54)
      .text("one randomised run (colour: the region)")
    svg.add("polygon", ["class": "arrowhead"]).set("points", Self.diamond(x: 292, y: 50))
    svg.add("text", ["class": "small"]).set("x", 302).set("y", 54)
      .text("all \(r.runs) ADDR_NO_RANDOMIZE runs")
    svg.add("text", ["class": "small muted"]).set("x", 520).set("y", 54)
      .text("each line runs from the lowest to the highest address seen")

    for (i, region) in regions.enumerated() {
      let y = Self.top + Double(i) * Self.rowHeight + 22
      let random = r.randomized.samples.compactMap { $0.position(region) }
      let fixed = r.notRandomized.samples.compactMap { $0.position(region) }
      let stats = r.randomized.stats(region)
      svg.add("text", ["class": "strong"]).set("x", 16).set("y", y + 4).text(region.label)
      if let s = stats {
        svg.add("text", ["class": "small muted"]).set("x", 16).set("y", y + 20)
          .text("\(s.entropyBits) random bits seen" + (s.kernelBits.map { ", kernel \($0)" } ?? ""))
      }
      let all = random + fixed
      guard let lo = all.min(), let hi = all.max() else {
        svg.add("text", ["class": "small muted"]).set("x", Self.trackLeft).set("y", y + 4)
          .text("not found in any run")
        continue
      }
      let xOf = { (v: UInt64) -> Double in
        hi == lo
          ? (Self.trackLeft + Self.trackRight) / 2
          : Self.trackLeft + (Self.trackRight - Self.trackLeft) * Double(v - lo) / Double(hi - lo)
      }
      svg.add("line", ["class": "grid"]).set("x1", Self.trackLeft).set("y1", y)
        .set("x2", Self.trackRight).set("y2", y)
      svg.add("text", ["class": "mono muted"]).set("x", Self.trackLeft).set("y", y + 20)
        .text(AslrFormat.hex(lo))
      svg.add("text", ["class": "mono muted end"]).set("x", Self.trackRight).set("y", y + 20)
        .text(AslrFormat.hex(hi))
      for v in random {
        svg.add("circle", ["class": SVGStyle.kindClass(Self.kind(region))]).set("cx", xOf(v))
          .set("cy", y).set("r", 4)
      }
      if let f = fixed.first {
        svg.add("polygon", ["class": "arrowhead"]).set("points", Self.diamond(x: xOf(f), y: y))
      }
      let distinct = stats?.distinct ?? 0
      let fixedDistinct = Set(fixed).count
      svg.add("text", ["class": "small"]).set("x", Self.trackRight + 16).set("y", y + 4)
        .text("\(distinct) positions in \(random.count) runs")
      svg.add("text", ["class": "small muted"]).set("x", Self.trackRight + 16).set("y", y + 20)
        .text(
          fixedDistinct == 1
            ? "no ASLR: one address, every run" : "no ASLR: \(fixedDistinct) addresses")
    }
    svg.add("text", ["class": "small muted"]).set("x", 16).set("y", height - 12)
      .text(
        "Each row has its own scale. Positions from each child's /proc/self/maps; randomize_va_space \(r.randomizeVASpace.map(String.init) ?? "unknown")."
      )
    return try SVGFigure.finish(document, name: name, title: title)
  }

  private static func diamond(x: Double, y: Double) -> String {
    [(x, y - 7), (x + 6, y), (x, y + 7), (x - 6, y)]
      .map { SVGNumber.format($0.0) + "," + SVGNumber.format($0.1) }.joined(separator: " ")
  }

  /// The `<desc>`: each region's spread in words.
  func summary() -> String {
    let r = report
    let parts = r.randomized.regions.map { s in
      "\(s.region.label): \(s.distinct) positions from \(s.lowest ?? "none") to \(s.highest ?? "none"), \(s.entropyBits) random bits"
    }
    return "\(r.runs) runs with ASLR. " + parts.joined(separator: "; ")
      + ". With ADDR_NO_RANDOMIZE "
      + (r.notRandomized.allSame
        ? "every region had one address in all runs." : "some regions still moved.")
  }
}
