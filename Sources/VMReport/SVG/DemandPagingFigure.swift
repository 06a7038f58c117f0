import VMMapCore

/// The demand-paging experiment as two charts over the pages touched so far: resident memory
/// (RSS) beside what touching each page would add, and the page faults counted, minor and
/// major.
public struct DemandPagingFigure: Sendable {
  /// One measurement, taken after `pagesTouched` pages were written.
  public struct Sample: Hashable, Sendable {
    public var pagesTouched: Int
    public var rssBytes: UInt64
    public var minorFaults: UInt64
    public var majorFaults: UInt64

    public init(pagesTouched: Int, rssBytes: UInt64, minorFaults: UInt64, majorFaults: UInt64) {
      self.pagesTouched = pagesTouched
      self.rssBytes = rssBytes
      self.minorFaults = minorFaults
      self.majorFaults = majorFaults
    }
  }

  public var name: String
  public var title: String
  public var samples: [Sample]
  /// Pages in the mapping the experiment touches.
  public var totalPages: Int
  public var pageSize: UInt64

  public init(
    name: String = "demand-paging",
    title: String = "Demand paging: resident memory and page faults as pages are touched",
    samples: [Sample], totalPages: Int, pageSize: UInt64 = 4096
  ) {
    self.name = name
    self.title = title
    self.samples = samples
    self.totalPages = totalPages
    self.pageSize = pageSize
  }

  private static let width: Double = 960
  private static let height: Double = 600
  private static let plotLeft: Double = 96
  private static let plotRight: Double = 930
  private static let rssChart = (top: 92.0, bottom: 282.0)
  private static let faultChart = (top: 372.0, bottom: 552.0)

  public func render() throws(VMMapError) -> ReportFigure {
    let sorted = samples.enumerated().sorted {
      $0.element.pagesTouched != $1.element.pagesTouched
        ? $0.element.pagesTouched < $1.element.pagesTouched : $0.offset < $1.offset
    }.map(\.element)
    let safeTitle = XMLTextEscape.sanitize(title)
    let document = SVGDocument(
      width: Self.width, height: Self.height, title: safeTitle,
      description: Self.summary(sorted, totalPages: totalPages, pageSize: pageSize))
    let svg = document.root
    svg.add("text", ["class": "heading"]).set("x", 16).set("y", 26).text(safeTitle)
    let maxTouched = max(totalPages, sorted.last?.pagesTouched ?? 0, 1)
    let xAxis = ChartAxis(maximum: Double(maxTouched), target: 8, integral: true)
    let xOf = { (pages: Int) in
      xAxis.position(Double(pages), from: Self.plotLeft, to: Self.plotRight)
    }

    // RSS, and what it would be if every touched page added one page.
    let first = sorted.first
    let expectedEnd = first.map { $0.rssBytes + UInt64(maxTouched - $0.pagesTouched) * pageSize }
    let maxRSS = max(sorted.map(\.rssBytes).max() ?? 0, expectedEnd ?? 0, pageSize)
    let rssAxis = ByteAxis(maximum: maxRSS)
    let chart1 = Self.rssChart
    drawGrid(
      svg, xAxis: xAxis, yTicks: rssAxis.axis.ticks.map { ($0, rssAxis.label($0)) },
      yTop: rssAxis.axis.top, top: chart1.top, bottom: chart1.bottom, yTitle: "resident (RSS)")
    let yRSS = { (bytes: UInt64) in
      rssAxis.axis.position(rssAxis.value(bytes), from: chart1.bottom, to: chart1.top)
    }
    if let first, let expectedEnd {
      svg.add("polyline", ["class": "series-expected"]).set(
        "points",
        Self.points([
          (xOf(first.pagesTouched), yRSS(first.rssBytes)), (xOf(maxTouched), yRSS(expectedEnd)),
        ]))
    }
    series(svg, sorted.map { (xOf($0.pagesTouched), yRSS($0.rssBytes)) }, name: "rss")
    _ = SVGFigure.legend(
      [
        ("dot-rss", "RSS (VmRSS)"),
        ("swatch-expected", "first RSS + \(SizeFormat.iec(pageSize)) per page touched"),
      ], in: svg, x: Self.plotLeft, y: 48, width: 700, entryWidth: 180)

    // Faults.
    let maxFaults = max(sorted.map { max($0.minorFaults, $0.majorFaults) }.max() ?? 0, 1)
    let faultAxis = ChartAxis(maximum: Double(maxFaults), target: 5, integral: true)
    let chart2 = Self.faultChart
    drawGrid(
      svg, xAxis: xAxis,
      yTicks: faultAxis.ticks.map { ($0, SVGNumber.thousands(UInt64($0))) }, yTop: faultAxis.top,
      top: chart2.top, bottom: chart2.bottom, yTitle: "page faults")
    let yFaults = { (n: UInt64) in
      faultAxis.position(Double(n), from: chart2.bottom, to: chart2.top)
    }
    series(svg, sorted.map { (xOf($0.pagesTouched), yFaults($0.minorFaults)) }, name: "minor")
    series(svg, sorted.map { (xOf($0.pagesTouched), yFaults($0.majorFaults)) }, name: "major")
    _ = SVGFigure.legend(
      [("dot-minor", "minor faults (no I/O)"), ("dot-major", "major faults (read from disk)")],
      in: svg, x: Self.plotLeft, y: 328, width: 700, entryWidth: 200)
    svg.add("text", ["class": "middle"]).set("x", (Self.plotLeft + Self.plotRight) / 2)
      .set("y", Self.height - 10)
      .text("pages touched (of \(thousands(totalPages)), \(SizeFormat.iec(pageSize)) each)")
    return try SVGFigure.finish(document, name: name, title: safeTitle)
  }

  private func drawGrid(
    _ svg: SVGElement, xAxis: ChartAxis, yTicks: [(Double, String)], yTop: Double, top: Double,
    bottom: Double, yTitle: String
  ) {
    for (value, label) in yTicks {
      let y = bottom + (top - bottom) * (value / yTop)
      svg.add("line", ["class": "grid"]).set("x1", Self.plotLeft).set("y1", y)
        .set("x2", Self.plotRight).set("y2", y)
      svg.add("text", ["class": "small end"]).set("x", Self.plotLeft - 6).set("y", y + 3.5)
        .text(label)
    }
    for value in xAxis.ticks {
      let x = xAxis.position(value, from: Self.plotLeft, to: Self.plotRight)
      svg.add("line", ["class": "tick"]).set("x1", x).set("y1", bottom).set("x2", x)
        .set("y2", bottom + 5)
      svg.add("text", ["class": "small middle"]).set("x", x).set("y", bottom + 17)
        .text(SVGNumber.thousands(UInt64(value)))
    }
    svg.add("line", ["class": "axis"]).set("x1", Self.plotLeft).set("y1", bottom)
      .set("x2", Self.plotRight).set("y2", bottom)
    svg.add("line", ["class": "axis"]).set("x1", Self.plotLeft).set("y1", top)
      .set("x2", Self.plotLeft).set("y2", bottom)
    svg.add("text", ["class": "muted small"]).set("x", Self.plotLeft).set("y", top - 8)
      .text(yTitle)
  }

  /// A line through the points, with a dot on each when there are few.
  private func series(_ svg: SVGElement, _ points: [(Double, Double)], name: String) {
    if points.count >= 2 {
      svg.add("polyline", ["class": "series-" + name]).set("points", Self.points(points))
    }
    if points.count <= 64 {
      for (x, y) in points {
        svg.add("circle", ["class": "dot-" + name]).set("cx", x).set("cy", y).set("r", 2.5)
      }
    }
  }

  private static func points(_ points: [(Double, Double)]) -> String {
    points.map { SVGNumber.format($0.0) + "," + SVGNumber.format($0.1) }
      .joined(separator: " ")
  }

  /// The `<desc>`: the first and last sample in words.
  static func summary(_ samples: [Sample], totalPages: Int, pageSize: UInt64) -> String {
    guard let first = samples.first, let last = samples.last else {
      return "No samples were taken."
    }
    return "\(thousands(samples.count)) samples while touching \(thousands(totalPages)) pages of "
      + "\(SizeFormat.iec(pageSize)). RSS went from \(SizeFormat.iec(first.rssBytes)) at "
      + "\(thousands(first.pagesTouched)) pages to \(SizeFormat.iec(last.rssBytes)) at "
      + "\(thousands(last.pagesTouched)); minor faults from "
      + "\(SVGNumber.thousands(first.minorFaults)) to \(SVGNumber.thousands(last.minorFaults)), "
      + "major faults from \(SVGNumber.thousands(first.majorFaults)) to "
      + "\(SVGNumber.thousands(last.majorFaults))."
  }
}
