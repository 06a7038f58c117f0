import VMExperiments
import VMMapCore

/// Page walks drawn as the seed's figure (§2.3): for each address, its bits cut into the
/// index of every level and the offset, and below them the chain CR3 → tables → frame, each
/// index pointing at the table entry it selects. A huge page's chain ends at the PMD.
public struct WalkFigure: Sendable {
  public var name: String
  public var title: String
  public var walks: [AddressWalk]
  public var levels: Int

  public init(name: String = "walk", title: String, walks: [AddressWalk], levels: Int) {
    self.name = name
    self.title = title
    self.walks = walks
    self.levels = levels
  }

  private static let width: Double = 960
  private static let rowHeight: Double = 176
  private static let left: Double = 16
  private static let barWidth: Double = 928

  public func render() throws(VMMapError) -> ReportFigure {
    let safeTitle = XMLTextEscape.sanitize(title)
    let height = 44 + Self.rowHeight * Double(max(walks.count, 1))
    let document = SVGDocument(
      width: Self.width, height: height, title: safeTitle, description: Self.summary(walks))
    let svg = document.root
    svg.add("text", ["class": "heading"]).set("x", Self.left).set("y", 26).text(safeTitle)
    for (i, w) in walks.enumerated() {
      row(w, in: svg, top: 40 + Double(i) * Self.rowHeight)
    }
    return try SVGFigure.finish(document, name: name, title: safeTitle)
  }

  private func row(_ w: AddressWalk, in svg: SVGElement, top: Double) {
    let label = XMLTextEscape.sanitize(w.label ?? "address")
    var heading = "\(label): \(w.address)"
    if let r = w.region { heading += "  (\(r.kind.rawValue), \(r.permissions))" }
    if let size = w.mappedPageSize { heading += ", \(SizeFormat.iec(size)) page" }
    svg.add("text", ["class": "strong"]).set("x", Self.left).set("y", top + 14).text(heading)

    // The 64 bits, most significant first, one field per index.
    let perBit = Self.barWidth / 64
    var fields: [(text: String, bits: String, high: Int, low: Int, step: Int?)] = [
      ("sign", "\(w.signBits.high)–\(w.signBits.low)", w.signBits.high, w.signBits.low, nil)
    ]
    for (i, s) in w.steps.enumerated() where s.usedForThisAddress {
      fields.append(
        (
          "\(s.level.rawValue) \(s.index)", "\(s.bits.high)–\(s.bits.low)", s.bits.high, s.bits.low,
          i
        ))
    }
    // A huge page's offset takes the bits of the levels the walk did not use.
    let offset = w.leafOffset ?? w.pageOffset
    fields.append(("offset", "\(offset.high)–0", offset.high, 0, nil))
    let barTop = top + 24
    var fieldCentre: [Int: Double] = [:]
    for f in fields {
      let x = Self.left + Double(63 - f.high) * perBit
      let width = Double(f.high - f.low + 1) * perBit
      let cls = f.step != nil ? "box" : "frame hidden"
      svg.add("rect", ["class": cls]).set("x", x).set("y", barTop).set("width", width)
        .set("height", 24)
      svg.add("text", ["class": "mono middle"]).set("x", x + width / 2).set("y", barTop + 16)
        .text(f.text)
      svg.add("text", ["class": "small middle muted"]).set("x", x + width / 2)
        .set("y", barTop + 38).text(f.bits)
      if let step = f.step { fieldCentre[step] = x + width / 2 }
    }

    // The chain: CR3, one box per table used, then the frame.
    let boxTop = top + 96
    let boxWidth: Double = 118
    let gap: Double = 14
    var x = Self.left
    svg.add("rect", ["class": "frame hidden"]).set("x", x).set("y", boxTop).set("width", boxWidth)
      .set("height", 46)
    svg.add("text", ["class": "strong"]).set("x", x + 8).set("y", boxTop + 18).text("CR3")
    svg.add("text", ["class": "small muted"]).set("x", x + 8).set("y", boxTop + 36)
      .text("kernel only")
    for (i, s) in w.steps.enumerated() where s.usedForThisAddress {
      let from = x + boxWidth
      x += boxWidth + gap
      Self.arrow(from: (from, boxTop + 23), to: (x, boxTop + 23), in: svg)
      svg.add("rect", ["class": s.isLeaf ? "frame" : "box"]).set("x", x).set("y", boxTop)
        .set("width", boxWidth).set("height", 46)
      svg.add("text", ["class": "mono strong"]).set("x", x + 8).set("y", boxTop + 18)
        .text("\(s.level.rawValue)[\(s.index)]")
      let below =
        s.mappedPagesBelow.map { "\(SVGNumber.thousands($0)) page\($0 == 1 ? "" : "s") below" }
        ?? ""
      svg.add("text", ["class": "small muted"]).set("x", x + 8).set("y", boxTop + 36).text(below)
      if let centre = fieldCentre[i] {
        svg.add("line", ["class": "divider"]).set("x1", centre).set("y1", barTop + 42)
          .set("x2", x + boxWidth / 2).set("y2", boxTop)
      }
    }
    let from = x + boxWidth
    x += boxWidth + gap
    let frameWidth = Self.left + Self.barWidth - x
    Self.arrow(from: (from, boxTop + 23), to: (x, boxTop + 23), in: svg)
    let page = w.page
    let present = page?.present ?? false
    svg.add("rect", ["class": present && page?.frame != nil ? "frame new" : "frame hidden"])
      .set("x", x).set("y", boxTop).set("width", max(frameWidth, 60)).set("height", 46)
    if present, let frame = page?.frame, let physical = page?.physicalAddress {
      svg.add("text", ["class": "mono strong"]).set("x", x + 8).set("y", boxTop + 18)
        .text("frame \(frame)")
      svg.add("text", ["class": "mono small"]).set("x", x + 8).set("y", boxTop + 36)
        .text("physical \(physical)")
    } else {
      svg.add("text", ["class": "strong"]).set("x", x + 8).set("y", boxTop + 18)
        .text(present ? "frame hidden" : "not present")
      svg.add("text", ["class": "small muted"]).set("x", x + 8).set("y", boxTop + 36)
        .text(present ? "pagemap needs CAP_SYS_ADMIN" : "the first access faults")
    }
    let flags = page?.flags.map { "kpageflags: " + $0.joined(separator: " ") } ?? ""
    svg.add("text", ["class": "small muted"]).set("x", Self.left).set("y", boxTop + 64)
      .text(XMLTextEscape.sanitize(flags))
  }

  private static func arrow(
    from: (x: Double, y: Double), to: (x: Double, y: Double), in svg: SVGElement
  ) {
    let baseX = to.x - 8
    svg.add("line", ["class": "arrow"]).set("x1", from.x).set("y1", from.y).set("x2", baseX)
      .set("y2", to.y)
    let points = [(to.x, to.y), (baseX, to.y - 4), (baseX, to.y + 4)]
      .map { SVGNumber.format($0.0) + "," + SVGNumber.format($0.1) }
    svg.add("polygon", ["class": "arrowhead"]).set("points", points.joined(separator: " "))
  }

  /// The `<desc>`: each walk in one sentence.
  static func summary(_ walks: [AddressWalk]) -> String {
    XMLTextEscape.sanitize(
      walks.map { w in
        let indices = w.steps.filter(\.usedForThisAddress).map {
          "\($0.level.rawValue) \($0.index)"
        }
        .joined(separator: ", ")
        let end =
          w.page?.physicalAddress.map { "physical address \($0)" }
          ?? (w.page?.present == true ? "a hidden frame" : "no page")
        return "\(w.label ?? "address") \(w.address): \(indices) → \(end)."
      }.joined(separator: " "))
  }
}

extension HandoutFigures {
  /// The page-walk figure of the report's walk step.
  func walkFigures() throws(VMMapError) -> [ReportFigure] {
    guard let w = report.walk?.result, !w.walks.isEmpty else { return [] }
    return [
      try WalkFigure(
        name: "walk",
        title:
          "Four addresses of the specimen walked through \(w.levels) levels of page tables to their frames",
        walks: w.walks, levels: w.levels
      ).render()
    ]
  }
}
