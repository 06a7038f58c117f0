import Glibc
import VMMapCore

/// The whole address space of a process as one vertical strip, high addresses at the top (as
/// in CS:APP figure 9.26): a band per region (or per run of merged regions) coloured by kind,
/// gaps compressed to a fixed-height break labelled with their real size, addresses at the
/// band edges, and a legend of the kinds.
///
/// A band's height grows with the logarithm of its size, from a minimum, so a 4 KiB page and a
/// 128 TiB span are both visible. A 60,000-region map stays readable and small: neighbouring
/// regions of one kind and label share a band, and at most `maxRows` rows (bands and gaps) are
/// drawn (see `AddressSpaceLayout`).
public struct AddressSpaceFigure: Sendable {
  /// One region, as the map has it.
  public struct Region: Hashable, Sendable {
    public var start: UInt64
    public var end: UInt64
    public var kind: RegionKind
    /// The name for people (a path, `[heap]`, "thread stack of TID 4242"), as bytes: a
    /// path need not be UTF-8. Sanitised and shortened by the figure.
    public var label: [UInt8]

    public init(start: UInt64, end: UInt64, kind: RegionKind, label: [UInt8]) {
      self.start = start
      self.end = end
      self.kind = kind
      self.label = label
    }

    public init(start: UInt64, end: UInt64, kind: RegionKind, label: String) {
      self.init(start: start, end: end, kind: kind, label: Array(label.utf8))
    }

    /// A classified region of a map: its kind, and as the label its file's path, else the
    /// kernel's bracketed name (`[heap]`, `[anon:NAME]`), else its description.
    public init(_ region: VMMapCore.Region) {
      let label =
        region.filePath?.bytes ?? Self.kernelName(region.mapping.name)
        ?? Array(region.classification.description.utf8)
      self.init(
        start: region.start, end: region.end, kind: region.classification.kind, label: label)
    }

    private static func kernelName(_ name: MappingName) -> [UInt8]? {
      func bracketed(_ inner: [UInt8]) -> [UInt8] {
        [UInt8(ascii: "[")] + inner + [UInt8(ascii: "]")]
      }
      switch name {
      case .anonymous, .file: return nil
      case .heap: return Array("[heap]".utf8)
      case .stack: return Array("[stack]".utf8)
      case .threadStack(let tid): return Array("[stack:\(tid)]".utf8)
      case .vdso: return Array("[vdso]".utf8)
      case .vvar: return Array("[vvar]".utf8)
      case .vvarVclock: return Array("[vvar_vclock]".utf8)
      case .vsyscall: return Array("[vsyscall]".utf8)
      case .uprobes: return Array("[uprobes]".utf8)
      case .namedAnonymous(let path): return bracketed(Array("anon:".utf8) + path.bytes)
      case .namedSharedAnonymous(let path): return bracketed(Array("anon_shmem:".utf8) + path.bytes)
      case .otherPseudo(let path): return bracketed(path.bytes)
      case .otherName(let path): return path.bytes
      }
    }
  }

  public var name: String
  public var title: String
  /// In address order, disjoint.
  public var regions: [Region]
  /// The end of the user address space (`0x800000000000` with 4-level paging): the figure
  /// draws the gap up to it, and says so when a gap reaches past it (to `[vsyscall]`).
  public var userSpaceEnd: UInt64?
  /// At most this many rows are drawn: bands, and the gaps between and around them.
  public var maxRows: Int

  /// Labels are cut to this many characters (with `…`); the full text is the band's tooltip.
  static let labelLimit = 64

  public init(
    name: String = "address-space",
    title: String = "The virtual address space, high addresses at the top",
    regions: [Region], userSpaceEnd: UInt64? = nil, maxRows: Int = 120
  ) {
    self.name = name
    self.title = title
    self.regions = regions
    self.userSpaceEnd = userSpaceEnd
    self.maxRows = maxRows
  }

  public func render() throws(VMMapError) -> ReportFigure {
    try checkOrder()
    let highest = regions.last.map(\.end) ?? 0
    let top = userSpaceEnd.flatMap { $0 > highest ? $0 : nil }
    let layout = AddressSpaceLayout(regions: regions, maxRows: maxRows, highestAddress: top)
    return try draw(layout)
  }

  private func checkOrder() throws(VMMapError) {
    var previousEnd: UInt64 = 0
    for (i, region) in regions.enumerated() {
      guard region.start < region.end, region.start >= previousEnd else {
        throw VMMapError(
          .internalError, what: "figure " + TerminalEscape.escape(name),
          why: "region \(i) (\(hexAddress(region.start))-\(hexAddress(region.end))) is empty "
            + "or not above the one before it (which ends at \(hexAddress(previousEnd)))",
          fix: "a bug in vmmap: regions must come sorted and disjoint")
      }
      previousEnd = region.end
    }
  }

  // MARK: Drawing

  private static let width: Double = 960
  private static let addressX: Double = 148
  private static let bandX: Double = 160
  private static let bandWidth: Double = 190
  private static let labelX: Double = 362
  private static let gapHeight: Double = 30

  /// Height of a band spanning `bytes`: 14 for a page, about 2 more per doubling.
  static func bandHeight(_ bytes: UInt64) -> Double {
    let pages = Double(max(bytes, 4096)) / 4096
    return ((14 + 1.8 * log2(pages)) * 100).rounded() / 100
  }

  private func draw(_ layout: AddressSpaceLayout) throws(VMMapError) -> ReportFigure {
    let bands = layout.items.compactMap { item -> AddressSpaceLayout.Band? in
      if case .band(let band) = item { return band }
      return nil
    }
    var kindsShown: [RegionKind] = []
    for kind in RegionKind.allCases where bands.contains(where: { $0.dominantKind == kind }) {
      kindsShown.append(kind)
    }
    let legendRows = (kindsShown.count + 5) / 6
    var height = 76 + Double(legendRows) * 18 + 18
    for item in layout.items {
      switch item {
      case .band(let band): height += Self.bandHeight(band.span)
      case .gap: height += Self.gapHeight
      }
    }
    height += 24

    let safeTitle = XMLTextEscape.sanitize(title)
    let description =
      "\(thousands(layout.regionCount)) mapped regions drawn as \(thousands(bands.count)) "
      + "bands, coloured by kind, with the unmapped gaps between them compressed and labelled "
      + "with their size. High addresses are at the top."
    let document = SVGDocument(
      width: Self.width, height: height, title: safeTitle, description: description)
    let svg = document.root
    svg.add("text", ["class": "heading"]).set("x", 16).set("y", 26).text(safeTitle)
    let merged = layout.regionCount == bands.count ? "" : " (neighbours merged)"
    svg.add("text", ["class": "muted small"]).set("x", 16).set("y", 46).text(
      "\(thousands(layout.regionCount)) regions in \(thousands(bands.count)) bands\(merged)"
        + " · gaps compressed to a fixed height and labelled with their size"
        + " · band height grows with the logarithm of its size")
    let legendBottom = SVGFigure.legend(
      kindsShown.map { (swatchClass: SVGStyle.kindClass($0), text: $0.rawValue) }, in: svg,
      x: 16, y: 60, width: Self.width - 32, entryWidth: 150)

    var y = legendBottom + 18
    var previousBandStart: UInt64?
    let drawn = Array(layout.items.reversed())
    for (index, item) in drawn.enumerated() {
      switch item {
      case .band(let band):
        let h = Self.bandHeight(band.span)
        if previousBandStart != band.end {
          addressLabel(band.end, y: y, in: svg)
        }
        drawBand(band, y: y, height: h, in: svg)
        y += h
        addressLabel(band.start, y: y, in: svg)
        previousBandStart = band.start
      case .gap(let gap):
        if index == 0 { addressLabel(gap.end, y: y, in: svg) }
        drawGap(gap, y: y, in: svg)
        y += Self.gapHeight
        if index == drawn.count - 1 { addressLabel(gap.start, y: y, in: svg) }
        previousBandStart = nil
      }
    }
    return try SVGFigure.finish(document, name: name, title: safeTitle)
  }

  private func addressLabel(_ address: UInt64, y: Double, in svg: SVGElement) {
    svg.add("line", ["class": "tick"]).set("x1", Self.addressX + 4).set("y1", y)
      .set("x2", Self.bandX).set("y2", y)
    svg.add("text", ["class": "mono end"]).set("x", Self.addressX).set("y", y + 3.5)
      .text(Self.address(address))
  }

  private func drawBand(
    _ band: AddressSpaceLayout.Band, y: Double, height: Double, in svg: SVGElement
  ) {
    let group = svg.add("g")
    group.tooltip(Self.tooltip(band))
    group.add("rect", ["class": "band " + SVGStyle.kindClass(band.dominantKind)])
      .set("x", Self.bandX).set("y", y).set("width", Self.bandWidth).set("height", height)
    if height >= 34 {
      let parts = Self.labelParts(band)
      group.add("text").set("x", Self.labelX).set("y", y + height / 2 - 2).text(parts.name)
      group.add("text", ["class": "muted small"]).set("x", Self.labelX)
        .set("y", y + height / 2 + 12).text(parts.size)
    } else {
      group.add("text").set("x", Self.labelX).set("y", y + height / 2 + 4)
        .text(Self.label(band))
    }
  }

  private func drawGap(
    _ gap: AddressSpaceLayout.Gap, y: Double, in svg: SVGElement
  ) {
    let group = svg.add("g", ["class": "gap"])
    var tooltip =
      "unmapped \(Self.address(gap.start))-\(Self.address(gap.end)): "
      + "\(SizeFormat.iec(gap.size)) (\(SVGNumber.thousands(gap.size)) bytes)"
    if let userSpaceEnd, gap.start < userSpaceEnd, gap.end > userSpaceEnd {
      tooltip +=
        "; the user address space ends at \(hexAddress(userSpaceEnd)): above it lie the "
        + "non-canonical hole and the kernel's half"
    }
    group.tooltip(tooltip)
    group.add("rect", ["class": "gapfill"]).set("x", Self.bandX).set("y", y + 4)
      .set("width", Self.bandWidth).set("height", Self.gapHeight - 8)
    for edge in [y + 4, y + Self.gapHeight - 4] {
      group.add("polyline", ["class": "break"]).set("points", Self.zigzag(y: edge))
    }
    var text = Self.gapLabel(gap)
    if let userSpaceEnd, gap.start < userSpaceEnd, gap.end > userSpaceEnd {
      text += " (includes the kernel's half)"
    }
    group.add("text", ["class": "muted"]).set("x", Self.labelX).set("y", y + Self.gapHeight / 2 + 4)
      .text(text)
  }

  /// The text beside a gap: its size, as the tests compare it with the real one.
  static func gapLabel(_ gap: AddressSpaceLayout.Gap) -> String {
    SizeFormat.iec(gap.size) + " unmapped"
  }

  private static func zigzag(y: Double) -> String {
    var points: [String] = []
    let teeth = 12
    for i in 0...teeth {
      let x = bandX - 4 + (bandWidth + 8) * Double(i) / Double(teeth)
      points.append(SVGNumber.format(x) + "," + SVGNumber.format(i % 2 == 0 ? y - 3 : y + 3))
    }
    return points.joined(separator: " ")
  }

  // MARK: Text

  /// `0x7ffd9b6f0000`: twelve digits for user addresses, sixteen above 2^48 (`[vsyscall]`).
  static func address(_ value: UInt64) -> String {
    hexAddress(value, width: value > 1 << 48 ? 16 : 12)
  }

  static func displayName(_ label: [UInt8], kind: RegionKind) -> String {
    label.isEmpty ? kind.rawValue : XMLTextEscape.sanitize(label)
  }

  /// The text beside a band: its name (shortened), how many regions, its size.
  static func label(_ band: AddressSpaceLayout.Band) -> String {
    let parts = labelParts(band)
    return parts.name + " · " + parts.size
  }

  /// The label's two halves: a tall band shows them on two lines.
  static func labelParts(_ band: AddressSpaceLayout.Band) -> (name: String, size: String) {
    var size = SizeFormat.iec(band.mappedBytes)
    if band.span > band.mappedBytes { size += " mapped in " + SizeFormat.iec(band.span) }
    if let common = band.commonLabel, band.kinds.count == 1 {
      let name = XMLTextEscape.shorten(
        displayName(common, kind: band.kinds[0].kind), to: labelLimit)
      if band.regionCount == 1 { return (name, size) }
      return (name + ": \(thousands(band.regionCount)) regions", size)
    }
    if band.kinds.count == 1 {
      return ("\(thousands(band.regionCount)) \(band.kinds[0].kind.rawValue) regions", size)
    }
    let byCount = band.kinds.sorted {
      $0.count != $1.count ? $0.count > $1.count : $0.kind.ordinal < $1.kind.ordinal
    }
    var parts = byCount.prefix(2).map { "\(thousands($0.count)) \($0.kind.rawValue)" }
    if byCount.count > 2 { parts.append("\(byCount.count - 2) more kinds") }
    return (
      "\(thousands(band.regionCount)) small regions: " + parts.joined(separator: ", "), size
    )
  }

  /// The band's tooltip: its range and size, and every kind and the full labels.
  static func tooltip(_ band: AddressSpaceLayout.Band) -> String {
    var text = "\(address(band.start))-\(address(band.end)) · "
    text += SizeFormat.iec(band.mappedBytes)
    if band.span > band.mappedBytes { text += " mapped in " + SizeFormat.iec(band.span) }
    text += " · "
    text += band.kinds.map {
      band.regionCount == 1 ? $0.kind.rawValue : "\(thousands($0.count)) \($0.kind.rawValue)"
    }.joined(separator: ", ")
    if let common = band.commonLabel {
      text += " · " + displayName(common, kind: band.kinds[0].kind)
    } else {
      let first = band.firstLabel.isEmpty ? "(no name)" : XMLTextEscape.sanitize(band.firstLabel)
      let last = band.lastLabel.isEmpty ? "(no name)" : XMLTextEscape.sanitize(band.lastLabel)
      text += " · from " + first + " up to " + last
    }
    return text
  }
}
