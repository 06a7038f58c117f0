import VMMapCore

/// The copy-on-write experiment as a picture: parent and child, each with its virtual page,
/// pointing at the physical frames they map, before and after the child's write, with the real
/// frame numbers (pagemap) and map counts (kpagecount).
public struct CopyOnWriteFigure: Sendable {
  /// What pagemap, kpagecount and a read showed at one moment.
  public struct Moment: Hashable, Sendable {
    /// Frame numbers, or nil when the kernel hid them (no CAP_SYS_ADMIN): never a fake frame.
    public var parentFrame: UInt64?
    public var childFrame: UInt64?
    /// kpagecount of each process's frame, or nil when unreadable.
    public var parentMapCount: UInt64?
    public var childMapCount: UInt64?
    /// The value each process read at the page address.
    public var parentValue: UInt64
    public var childValue: UInt64

    public init(
      parentFrame: UInt64?, childFrame: UInt64?, parentMapCount: UInt64?, childMapCount: UInt64?,
      parentValue: UInt64, childValue: UInt64
    ) {
      self.parentFrame = parentFrame
      self.childFrame = childFrame
      self.parentMapCount = parentMapCount
      self.childMapCount = childMapCount
      self.parentValue = parentValue
      self.childValue = childValue
    }

    /// Both map one frame, as far as pagemap shows.
    var sharesFrame: Bool { parentFrame != nil && parentFrame == childFrame }
  }

  public var name: String
  public var title: String
  /// The virtual address of the page, the same in both processes.
  public var pageAddress: UInt64
  /// After fork(), before the child writes.
  public var before: Moment
  /// After the child's write.
  public var after: Moment

  public init(
    name: String = "copy-on-write",
    title: String = "Copy-on-write: one page before and after the child writes to it",
    pageAddress: UInt64, before: Moment, after: Moment
  ) {
    self.name = name
    self.title = title
    self.pageAddress = pageAddress
    self.before = before
    self.after = after
  }

  private static let width: Double = 960
  private static let height: Double = 380
  private static let panelWidth: Double = 456
  private static let pageBox = (x: 8.0, width: 196.0, height: 58.0)
  private static let frameBox = (x: 286.0, width: 162.0, height: 58.0)
  private static let rowY = (parent: 104.0, child: 204.0)

  public func render() throws(VMMapError) -> ReportFigure {
    let safeTitle = XMLTextEscape.sanitize(title)
    let document = SVGDocument(
      width: Self.width, height: Self.height, title: safeTitle, description: Self.summary(self))
    let svg = document.root
    svg.add("text", ["class": "heading"]).set("x", 16).set("y", 26).text(safeTitle)
    svg.add("line", ["class": "divider"]).set("x1", 480).set("y1", 44).set("x2", 480)
      .set("y2", 290)
    drawPanel(
      before, heading: "After fork(), before any write", x: 16, afterWrite: false, in: svg)
    drawPanel(
      after, heading: "After the child writes " + hexAddress(after.childValue), x: 496,
      afterWrite: true, in: svg)
    var y = 314.0
    for line in Self.explanation(self) {
      svg.add("text", ["class": "muted"]).set("x", 16).set("y", y).text(line)
      y += 18
    }
    return try SVGFigure.finish(document, name: name, title: safeTitle)
  }

  private func drawPanel(
    _ moment: Moment, heading: String, x: Double, afterWrite: Bool, in svg: SVGElement
  ) {
    svg.add("text", ["class": "strong"]).set("x", x).set("y", 60).text(heading)
    svg.add("text", ["class": "muted small"]).set("x", x + Self.pageBox.x).set("y", 90)
      .text("virtual page (pagemap)")
    svg.add("text", ["class": "muted small"]).set("x", x + Self.frameBox.x).set("y", 90)
      .text("physical frame (kpagecount)")
    let rows: [(who: String, y: Double, value: UInt64)] = [
      ("parent", Self.rowY.parent, moment.parentValue),
      ("child", Self.rowY.child, moment.childValue),
    ]
    for row in rows {
      let box = svg.add("g")
      box.tooltip(
        "\(row.who): virtual page \(hexAddress(pageAddress)), reads \(hexAddress(row.value))")
      box.add("rect", ["class": "box", "rx": "4"]).set("x", x + Self.pageBox.x).set("y", row.y)
        .set("width", Self.pageBox.width).set("height", Self.pageBox.height)
      box.add("text", ["class": "strong"]).set("x", x + Self.pageBox.x + 10).set("y", row.y + 18)
        .text(row.who)
      box.add("text", ["class": "mono"]).set("x", x + Self.pageBox.x + 10).set("y", row.y + 34)
        .text("page " + hexAddress(pageAddress))
      box.add("text", ["class": "mono"]).set("x", x + Self.pageBox.x + 10).set("y", row.y + 49)
        .text("reads " + hexAddress(row.value))
    }
    let shared = moment.sharesFrame
    let middle = (Self.rowY.parent + Self.rowY.child) / 2
    let parentFrameY = shared ? middle : Self.rowY.parent
    let childFrameY = shared ? middle : Self.rowY.child
    drawFrame(
      moment.parentFrame, count: moment.parentMapCount, x: x, y: parentFrameY, isNew: false,
      in: svg)
    if !shared {
      drawFrame(
        moment.childFrame, count: moment.childMapCount, x: x, y: childFrameY,
        isNew: afterWrite && moment.childFrame != nil && moment.childFrame != before.childFrame,
        in: svg)
    }
    let fromX = x + Self.pageBox.x + Self.pageBox.width
    let toX = x + Self.frameBox.x
    let half = Self.pageBox.height / 2
    Self.arrow(
      from: (fromX, Self.rowY.parent + half), to: (toX, parentFrameY + half - (shared ? 8 : 0)),
      in: svg)
    Self.arrow(
      from: (fromX, Self.rowY.child + half), to: (toX, childFrameY + half + (shared ? 8 : 0)),
      in: svg)
  }

  private func drawFrame(
    _ frame: UInt64?, count: UInt64?, x: Double, y: Double, isNew: Bool, in svg: SVGElement
  ) {
    let group = svg.add("g")
    let cls = frame == nil ? "frame hidden" : isNew ? "frame new" : "frame"
    let countText = count.map { "kpagecount \($0)" } ?? "kpagecount unreadable"
    if let frame {
      group.tooltip(
        "physical frame \(hexAddress(frame)) (\(SVGNumber.thousands(frame))), \(countText)"
          + (isNew ? ", new: the copy made for the child's write" : ""))
    } else {
      group.tooltip(
        "frame number hidden: pagemap shows frame numbers only with CAP_SYS_ADMIN")
    }
    group.add("rect", ["class": cls, "rx": "4"]).set("x", x + Self.frameBox.x).set("y", y)
      .set("width", Self.frameBox.width).set("height", Self.frameBox.height)
    let textX = x + Self.frameBox.x + 10
    if let frame {
      group.add("text", ["class": "mono strong"]).set("x", textX).set("y", y + 22)
        .text("frame " + hexAddress(frame))
    } else {
      group.add("text", ["class": "strong"]).set("x", textX).set("y", y + 22)
        .text("frame hidden")
    }
    group.add("text", ["class": "mono"]).set("x", textX).set("y", y + 42)
      .text(isNew ? countText + " · new" : countText)
  }

  /// A line with a filled head at `to`.
  private static func arrow(
    from: (x: Double, y: Double), to: (x: Double, y: Double), in svg: SVGElement
  ) {
    let dx = to.x - from.x
    let dy = to.y - from.y
    let length = (dx * dx + dy * dy).squareRoot()
    guard length > 0 else { return }
    let (ux, uy) = (dx / length, dy / length)
    let baseX = to.x - ux * 9
    let baseY = to.y - uy * 9
    svg.add("line", ["class": "arrow"]).set("x1", from.x).set("y1", from.y)
      .set("x2", baseX).set("y2", baseY)
    let points = [
      (to.x, to.y), (baseX - uy * 4.5, baseY + ux * 4.5), (baseX + uy * 4.5, baseY - ux * 4.5),
    ].map { SVGNumber.format($0.0) + "," + SVGNumber.format($0.1) }
    svg.add("polygon", ["class": "arrowhead"]).set("points", points.joined(separator: " "))
  }

  // MARK: Text

  private static func frameText(_ frame: UInt64?) -> String {
    frame.map { "frame " + hexAddress($0) } ?? "a hidden frame"
  }

  /// The `<desc>`: what the figure shows, from the numbers.
  static func summary(_ figure: CopyOnWriteFigure) -> String {
    let b = figure.before
    let a = figure.after
    return "Page \(hexAddress(figure.pageAddress)). Before the write: parent maps "
      + "\(frameText(b.parentFrame)), child maps \(frameText(b.childFrame))"
      + (b.sharesFrame ? " (the same frame)" : "") + ". After the child's write: parent maps "
      + "\(frameText(a.parentFrame)) and reads \(hexAddress(a.parentValue)), child maps "
      + "\(frameText(a.childFrame)) and reads \(hexAddress(a.childValue))"
      + (a.sharesFrame ? " (still the same frame)." : ".")
  }

  /// The lines under the panels: what happened, said from the numbers, and why.
  static func explanation(_ figure: CopyOnWriteFigure) -> [String] {
    let b = figure.before
    let a = figure.after
    var lines: [String] = []
    if b.parentFrame == nil || a.childFrame == nil {
      lines.append(
        "Frame numbers are hidden: pagemap shows them only to a process with CAP_SYS_ADMIN.")
    } else if b.sharesFrame && !a.sharesFrame {
      let counts =
        b.parentMapCount.map { " (kpagecount \($0))" } ?? ""
      lines.append(
        "After fork() both processes map the same frame\(counts): nothing was copied.")
      lines.append(
        "The child's write faulted, and the kernel gave the child a copy in "
          + "\(frameText(a.childFrame)); the parent keeps \(frameText(a.parentFrame)).")
    } else if b.sharesFrame {
      lines.append("The frames did not change after the write: no copy was observed.")
    } else {
      lines.append("Before the write the processes already mapped different frames.")
    }
    lines.append(
      "x86 has no copy-on-write bit: fork() write-protects both page-table entries while the "
        + "VMA stays private and writable,")
    lines.append("so the first write faults and the kernel copies the page for the writer.")
    return lines
  }
}
