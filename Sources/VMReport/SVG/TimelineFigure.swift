import VMMapCore

/// A watch timeline as a stacked area chart: the RSS of each region kind over time, the kinds
/// stacked in `RegionKind` order and coloured as in the address-space figure.
public struct TimelineFigure: Sendable {
  public var name: String
  public var title: String
  public var timeline: Timeline

  public init(name: String = "timeline-rss", title: String, timeline: Timeline) {
    self.name = name
    self.title = title
    self.timeline = timeline
  }

  private static let width: Double = 960
  private static let plotLeft: Double = 96
  private static let plotRight: Double = 930
  /// Legend entries per row (`entryWidth` 140 over the plot's width).
  private static let legendPerRow = 5

  public func render() throws(VMMapError) -> ReportFigure {
    let samples = timeline.samples
    let kinds = RegionKind.allCases.filter { kind in
      samples.contains { s in s.byKind.contains { $0.kind == kind && $0.rss > 0 } }
    }
    let legendRows = (kinds.count + 1 + Self.legendPerRow - 1) / Self.legendPerRow
    let plotTop = 40 + Double(legendRows) * 18 + 30
    let plotBottom = plotTop + 340
    let height = plotBottom + 44
    let safeTitle = XMLTextEscape.sanitize(title)
    let document = SVGDocument(
      width: Self.width, height: height, title: safeTitle, description: Self.summary(samples))
    let svg = document.root
    svg.add("text", ["class": "heading"]).set("x", 16).set("y", 26).text(safeTitle)
    let maxRSS = max(samples.map(\.rss).max() ?? 0, 4096)
    let yAxis = ByteAxis(maximum: maxRSS)
    let lastTime = max(samples.last?.seconds ?? 0, 0.001)
    let xAxis = ChartAxis(maximum: lastTime, target: 8, integral: lastTime >= 8)
    let x = { (t: Double) in xAxis.position(t, from: Self.plotLeft, to: Self.plotRight) }
    let y = { (b: UInt64) in
      yAxis.axis.position(yAxis.value(b), from: plotBottom, to: plotTop)
    }

    for tick in yAxis.axis.ticks {
      let ty = yAxis.axis.position(tick, from: plotBottom, to: plotTop)
      svg.add("line", ["class": "grid"]).set("x1", Self.plotLeft).set("y1", ty)
        .set("x2", Self.plotRight).set("y2", ty)
      svg.add("text", ["class": "small end"]).set("x", Self.plotLeft - 6).set("y", ty + 3.5)
        .text(yAxis.label(tick))
    }
    for tick in xAxis.ticks {
      let tx = x(tick)
      svg.add("line", ["class": "tick"]).set("x1", tx).set("y1", plotBottom).set("x2", tx)
        .set("y2", plotBottom + 5)
      svg.add("text", ["class": "small middle"]).set("x", tx).set("y", plotBottom + 17)
        .text(SVGNumber.format(tick) + " s")
    }

    // One band per kind: from the kinds below it to that plus its own RSS.
    if samples.count >= 2 {
      var below = [UInt64](repeating: 0, count: samples.count)
      for kind in kinds {
        let own = samples.map { s in s.byKind.first { $0.kind == kind }?.rss ?? 0 }
        let top = zip(below, own).map { $0 + $1 }
        var points: [(Double, Double)] = []
        for (k, s) in samples.enumerated() { points.append((x(s.seconds), y(top[k]))) }
        for (k, s) in samples.enumerated().reversed() { points.append((x(s.seconds), y(below[k]))) }
        let band = svg.add("g").tooltip(
          "\(kind.rawValue): \(SizeFormat.iec(own.first ?? 0)) → \(SizeFormat.iec(own.last ?? 0))")
        band.add("polygon", ["class": SVGStyle.kindClass(kind) + " band"])
          .set("points", Self.points(points))
        below = top
      }
    }
    svg.add("polyline", ["class": "series-rss"]).set(
      "points",
      Self.points(
        samples.count >= 2
          ? samples.map { (x($0.seconds), y($0.rss)) }
          : [
            (Self.plotLeft, y(samples.first?.rss ?? 0)),
            (Self.plotRight, y(samples.first?.rss ?? 0)),
          ]))
    svg.add("line", ["class": "axis"]).set("x1", Self.plotLeft).set("y1", plotBottom)
      .set("x2", Self.plotRight).set("y2", plotBottom)
    svg.add("line", ["class": "axis"]).set("x1", Self.plotLeft).set("y1", plotTop)
      .set("x2", Self.plotLeft).set("y2", plotBottom)
    svg.add("text", ["class": "muted small"]).set("x", Self.plotLeft).set("y", plotTop - 8)
      .text("resident (RSS), stacked by kind")
    _ = SVGFigure.legend(
      [("dot-rss", "total RSS")] + kinds.map { (SVGStyle.kindClass($0), $0.rawValue) },
      in: svg, x: Self.plotLeft, y: 40, width: Double(Self.legendPerRow) * 140, entryWidth: 140)
    svg.add("text", ["class": "middle"]).set("x", (Self.plotLeft + Self.plotRight) / 2)
      .set("y", height - 8).text("seconds since the first sample")
    return try SVGFigure.finish(document, name: name, title: safeTitle)
  }

  private static func points(_ points: [(Double, Double)]) -> String {
    points.map { SVGNumber.format($0.0) + "," + SVGNumber.format($0.1) }.joined(separator: " ")
  }

  static func summary(_ samples: [WatchSample]) -> String {
    guard let first = samples.first, let last = samples.last else { return "No samples." }
    return "\(samples.count) samples over \(SVGNumber.format(last.seconds)) seconds. RSS went "
      + "from \(SizeFormat.iec(first.rss)) to \(SizeFormat.iec(last.rss)), peak "
      + "\(SizeFormat.iec(samples.map(\.rss).max() ?? 0))."
  }
}
