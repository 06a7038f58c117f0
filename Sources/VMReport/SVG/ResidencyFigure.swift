import VMMapCore

/// Where one page of a region is, as pagemap says.
public enum PageResidency: UInt8, Hashable, Sendable {
  /// Not in RAM and not in swap: never touched, or dropped (a clean file page).
  case notPresent = 0
  /// In RAM (pagemap bit 63).
  case present = 1
  /// In swap (pagemap bit 62).
  case swapped = 2

  public init(_ entry: PagemapEntry) {
    self = entry.isPresent ? .present : entry.isSwapped ? .swapped : .notPresent
  }
}

/// One strip of the residency figure: a region, its pages in address order.
public struct ResidencyStrip: Hashable, Sendable {
  /// The region's name for people (a path need not be UTF-8): sanitised by the figure.
  public var label: [UInt8]
  public var start: UInt64
  public var pageSize: UInt64
  public var pages: [PageResidency]

  public init(label: [UInt8], start: UInt64, pageSize: UInt64 = 4096, pages: [PageResidency]) {
    self.label = label
    self.start = start
    self.pageSize = pageSize
    self.pages = pages
  }

  public init(label: String, start: UInt64, pageSize: UInt64 = 4096, pages: [PageResidency]) {
    self.init(label: Array(label.utf8), start: start, pageSize: pageSize, pages: pages)
  }

  /// A strip from pagemap entries, one per page from `start`.
  public init(label: [UInt8], start: UInt64, pageSize: UInt64 = 4096, entries: [PagemapEntry]) {
    self.init(
      label: label, start: start, pageSize: pageSize, pages: entries.map(PageResidency.init))
  }

  public var presentCount: Int { pages.count { $0 == .present } }
  public var swappedCount: Int { pages.count { $0 == .swapped } }
}

/// A residency strip per large region: its pages bucketed into at most `maxCells` cells, each
/// coloured by the share of its pages in RAM, with a red mark where some are in swap, and the
/// counts written out ("1,234 of 4,096 pages present").
public struct ResidencyFigure: Sendable {
  public var name: String
  public var title: String
  public var strips: [ResidencyStrip]
  public var maxCells: Int

  public init(
    name: String = "residency",
    title: String = "Which pages of the large regions are in RAM (pagemap)",
    strips: [ResidencyStrip], maxCells: Int = 256
  ) {
    self.name = name
    self.title = title
    self.strips = strips
    self.maxCells = maxCells
  }

  /// The pages of one cell: how many, how many present, how many swapped.
  struct Cell: Hashable {
    var firstPage: Int
    var pageCount: Int
    var present: Int
    var swapped: Int

    /// `r0` none present … `r4` all present; `r1`–`r3` a third, two thirds, less than all.
    var shadeClass: String {
      if present == 0 { return "r0" }
      if present == pageCount { return "r4" }
      let share = Double(present) / Double(pageCount)
      return share <= 1.0 / 3 ? "r1" : share <= 2.0 / 3 ? "r2" : "r3"
    }
  }

  /// The pages split into at most `maxCells` cells of (nearly) equal page counts.
  static func cells(_ pages: [PageResidency], maxCells: Int) -> [Cell] {
    let count = min(pages.count, max(1, maxCells))
    guard count > 0 else { return [] }
    var cells: [Cell] = []
    cells.reserveCapacity(count)
    for i in 0..<count {
      let lower = i * pages.count / count
      let upper = (i + 1) * pages.count / count
      var cell = Cell(firstPage: lower, pageCount: upper - lower, present: 0, swapped: 0)
      for page in pages[lower..<upper] {
        if page == .present { cell.present += 1 }
        if page == .swapped { cell.swapped += 1 }
      }
      cells.append(cell)
    }
    return cells
  }

  /// "1,234 of 4,096 pages present (30.1%) · 12 in swap · 2,850 not present".
  static func counts(_ strip: ResidencyStrip) -> String {
    let total = strip.pages.count
    let present = strip.presentCount
    let swapped = strip.swappedCount
    let absent = total - present - swapped
    return "\(thousands(present)) of \(thousands(total)) pages present ("
      + SizeFormat.percent(UInt64(present), of: UInt64(total)) + ") · \(thousands(swapped)) "
      + "in swap · \(thousands(absent)) not present"
  }

  private static let width: Double = 960
  private static let stripX: Double = 16
  private static let stripWidth: Double = 928
  private static let stripHeight: Double = 30

  public func render() throws(VMMapError) -> ReportFigure {
    let safeTitle = XMLTextEscape.sanitize(title)
    let height = 96 + Double(strips.count) * 92 + (strips.isEmpty ? 20 : 0)
    let description =
      "One strip per region, its pages in address order from left to right, grouped into at "
      + "most \(maxCells) cells. A cell is darker the more of its pages are in RAM; a red mark "
      + "under a cell means some of its pages are in swap."
    let document = SVGDocument(
      width: Self.width, height: height, title: safeTitle, description: description)
    let svg = document.root
    svg.add("text", ["class": "heading"]).set("x", 16).set("y", 26).text(safeTitle)
    _ = SVGFigure.legend(
      [
        ("r4", "all pages present"), ("r3", "more than ⅔ present"), ("r2", "⅓ to ⅔ present"),
        ("r1", "up to ⅓ present"), ("r0", "none present"), ("swap", "some in swap"),
      ], in: svg, x: 16, y: 42, width: Self.width - 32, entryWidth: 152)
    var y: Double = 84
    if strips.isEmpty {
      svg.add("text", ["class": "muted"]).set("x", 16).set("y", y + 12).text("No regions to show.")
    }
    for strip in strips {
      draw(strip, y: y, in: svg)
      y += 92
    }
    return try SVGFigure.finish(document, name: name, title: safeTitle)
  }

  private func draw(_ strip: ResidencyStrip, y: Double, in svg: SVGElement) {
    let label = XMLTextEscape.sanitize(strip.label)
    let bytes = UInt64(strip.pages.count) * strip.pageSize
    let end = strip.start + bytes
    let group = svg.add("g", ["class": "strip"])
    group.tooltip(
      "\(label) · \(hexAddress(strip.start))-\(hexAddress(end)) · \(SizeFormat.iec(bytes))")
    group.add("text", ["class": "strong"]).set("x", Self.stripX).set("y", y + 12).text(
      XMLTextEscape.shorten(label, to: 90) + " · " + SizeFormat.iec(bytes))
    let cells = Self.cells(strip.pages, maxCells: maxCells)
    let top = y + 20
    if cells.isEmpty {
      group.add("rect", ["class": "r0"]).set("x", Self.stripX).set("y", top)
        .set("width", Self.stripWidth).set("height", Self.stripHeight)
    }
    let cellWidth = cells.isEmpty ? 0 : Self.stripWidth / Double(cells.count)
    // Neighbouring cells of one shade are drawn as one rectangle: fewer bytes, same picture.
    var run = 0
    while run < cells.count {
      var next = run + 1
      while next < cells.count && cells[next].shadeClass == cells[run].shadeClass { next += 1 }
      let x0 = Self.stripX + Double(run) * cellWidth
      let x1 = Self.stripX + Double(next) * cellWidth
      group.add("rect", ["class": cells[run].shadeClass]).set("x", x0).set("y", top)
        .set("width", x1 - x0).set("height", Self.stripHeight)
      run = next
    }
    var swapRun = 0
    while swapRun < cells.count {
      guard cells[swapRun].swapped > 0 else {
        swapRun += 1
        continue
      }
      var next = swapRun + 1
      while next < cells.count && cells[next].swapped > 0 { next += 1 }
      group.add("rect", ["class": "swap"]).set("x", Self.stripX + Double(swapRun) * cellWidth)
        .set("y", top + Self.stripHeight + 2)
        .set("width", max(Double(next - swapRun) * cellWidth, 1)).set("height", 5)
      swapRun = next
    }
    let below = top + Self.stripHeight + 20
    group.add("text", ["class": "mono"]).set("x", Self.stripX).set("y", below)
      .text(hexAddress(strip.start))
    group.add("text", ["class": "mono end"]).set("x", Self.stripX + Self.stripWidth)
      .set("y", below).text(hexAddress(end))
    var perCell = ""
    if let least = cells.map(\.pageCount).min(), let most = cells.map(\.pageCount).max() {
      perCell =
        least == most
        ? " · \(thousands(least)) pages a cell"
        : " · \(thousands(least))–\(thousands(most)) pages a cell"
    }
    group.add("text", ["class": "muted middle"]).set("x", Self.stripX + Self.stripWidth / 2)
      .set("y", below).text(Self.counts(strip) + perCell)
  }
}
