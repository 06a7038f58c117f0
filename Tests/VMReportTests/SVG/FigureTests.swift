import Foundation
import Testing
import VMMapCore

@testable import VMReport

/// The copy-on-write numbers of a real run on this machine (SWIFT-NOTES.md §3).
let realCopyOnWrite = CopyOnWriteFigure(
  pageAddress: 0x7f93_8440_0000,
  before: .init(
    parentFrame: 0x157c94, childFrame: 0x157c94, parentMapCount: 2, childMapCount: 2,
    parentValue: 0xdead_beef, childValue: 0xdead_beef),
  after: .init(
    parentFrame: 0x157c94, childFrame: 0x230649, parentMapCount: 1, childMapCount: 1,
    parentValue: 0xdead_beef, childValue: 0xcafe_babe))

/// A demand-paging run shaped like the real one: RSS grows a page per page touched.
let demandSamples: [DemandPagingFigure.Sample] = (0...16).map { i in
  let touched = i * 1600
  return .init(
    pagesTouched: touched, rssBytes: 3_500_000 + UInt64(touched) * 4096,
    minorFaults: 120 + UInt64(touched), majorFaults: i == 0 ? 0 : 2)
}

@Suite struct ResidencyFigureTests {
  /// 4,096 pages: the first 1,234 present, 100 swapped in the middle, the rest not present.
  static let strip: ResidencyStrip = {
    var pages = [PageResidency](repeating: .notPresent, count: 4096)
    for i in 0..<1234 { pages[i] = .present }
    for i in 2000..<2100 { pages[i] = .swapped }
    return ResidencyStrip(label: "[heap]", start: 0x5583_1d8b_3000, pages: pages)
  }()

  @Test func countsEqualTheInput() throws {
    let figure = try ResidencyFigure(strips: [Self.strip]).render()
    keepForInspection(figure, as: "residency")
    let svg = try ParsedSVG(figure.svg)
    expectSafeStructure(svg)
    let texts = svg.all("text").map(\.text)
    #expect(
      texts.contains {
        $0.hasPrefix("1,234 of 4,096 pages present (30.1%) · 100 in swap · 2,762 not present")
      })
  }

  @Test(arguments: [1, 7, 255, 256, 257, 4096, 100_003])
  func cellsPartitionThePages(count: Int) {
    let pages = (0..<count).map { $0 % 3 == 0 ? PageResidency.present : .notPresent }
    let cells = ResidencyFigure.cells(pages, maxCells: 256)
    #expect(cells.count == min(count, 256))
    #expect(cells.map(\.pageCount).reduce(0, +) == count)
    #expect(cells.map(\.present).reduce(0, +) == pages.count { $0 == .present })
    // Contiguous, in order, sizes differ by at most one page.
    var next = 0
    for cell in cells {
      #expect(cell.firstPage == next)
      next += cell.pageCount
    }
    let sizes = Set(cells.map(\.pageCount))
    #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
  }

  @Test func shadesFollowTheShare() {
    func shade(_ present: Int, of n: Int) -> String {
      ResidencyFigure.Cell(firstPage: 0, pageCount: n, present: present, swapped: 0).shadeClass
    }
    #expect(shade(0, of: 16) == "r0")
    #expect(shade(1, of: 16) == "r1")
    #expect(shade(8, of: 16) == "r2")
    #expect(shade(15, of: 16) == "r3")
    #expect(shade(16, of: 16) == "r4")
  }

  /// A real region of this process: 64 pages mapped, every other one written. pagemap must
  /// say 32 present, and the figure must say the same.
  @Test func liveRegionFromPagemap() throws {
    let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    let count = 64
    let raw = mmap(
      nil, count * pageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
    let base = try #require(raw == MAP_FAILED ? nil : raw)
    defer { munmap(base, count * pageSize) }
    for i in stride(from: 0, to: count, by: 2) {
      base.storeBytes(of: 0x5a, toByteOffset: i * pageSize, as: UInt8.self)
    }
    let reader = try PagemapReader(pid: getpid())
    let address = UInt64(UInt(bitPattern: base))
    let entries = try reader.entries(at: address, count: count)
    let strip = ResidencyStrip(label: Array("test mapping".utf8), start: address, entries: entries)
    #expect(strip.presentCount == count / 2)
    let figure = try ResidencyFigure(strips: [strip]).render()
    let svg = try ParsedSVG(figure.svg)
    #expect(svg.all("text").contains { $0.text.hasPrefix("32 of 64 pages present (50%)") })
  }

  @Test func emptyInputStillValidates() throws {
    _ = try ResidencyFigure(strips: []).render()
    _ = try ResidencyFigure(strips: [ResidencyStrip(label: "empty", start: 0, pages: [])]).render()
  }
}

@Suite struct CopyOnWriteFigureTests {
  @Test func realFramesAreShown() throws {
    let figure = try realCopyOnWrite.render()
    keepForInspection(figure, as: "copy-on-write")
    let svg = try ParsedSVG(figure.svg)
    expectSafeStructure(svg)
    let texts = svg.all("text").map(\.text)
    // Before: one shared frame box; after: two frames, the child's new.
    #expect(texts.count { $0 == "frame 0x157c94" } == 2)
    #expect(texts.count { $0 == "frame 0x230649" } == 1)
    #expect(texts.contains("kpagecount 2"))
    #expect(texts.contains("kpagecount 1 · new"))
    #expect(texts.count { $0 == "reads 0xdeadbeef" } == 3)
    #expect(texts.count { $0 == "reads 0xcafebabe" } == 1)
    #expect(svg.all("rect", class: "frame").count == 3)
    #expect(svg.all("line", class: "arrow").count == 4)
  }

  @Test func hiddenFramesAreNeverFaked() throws {
    var input = realCopyOnWrite
    input.before = .init(
      parentFrame: nil, childFrame: nil, parentMapCount: nil, childMapCount: nil,
      parentValue: 0xdead_beef, childValue: 0xdead_beef)
    input.after = .init(
      parentFrame: nil, childFrame: nil, parentMapCount: nil, childMapCount: nil,
      parentValue: 0xdead_beef, childValue: 0xcafe_babe)
    let svg = try ParsedSVG(try input.render().svg)
    let texts = svg.all("text").map(\.text)
    #expect(!texts.contains { $0.hasPrefix("frame 0x") })
    #expect(texts.count { $0 == "frame hidden" } == 4)
    #expect(texts.contains { $0.contains("CAP_SYS_ADMIN") })
  }
}

@Suite struct DemandPagingFigureTests {
  @Test func chartsValidate() throws {
    let figure = try DemandPagingFigure(samples: demandSamples, totalPages: 25_600).render()
    keepForInspection(figure, as: "demand-paging")
    let svg = try ParsedSVG(figure.svg)
    expectSafeStructure(svg)
    let texts = svg.all("text").map(\.text)
    // x ticks in thousands, RSS ticks in one IEC unit, up to and past the data.
    #expect(texts.contains("25,000"))
    #expect(texts.contains("0 MiB"))
    #expect(texts.contains("125 MiB"))  // 3.3 MiB + 25,600 × 4 KiB = 103.3 MiB
    #expect(svg.all("polyline", class: "series-rss").count == 1)
    #expect(svg.all("circle", class: "dot-minor").count == demandSamples.count)
  }

  @Test(arguments: [
    (103.0, false, [0.0, 25, 50, 75, 100, 125]),
    (7.0, true, [0.0, 2, 4, 6, 8]),
    (1.0, true, [0.0, 1]),
    (25_600.0, true, [0.0, 10000, 20000, 30000]),
    (0.0, true, [0.0, 1]),
  ])
  func niceTicks(maximum: Double, integral: Bool, expected: [Double]) {
    #expect(ChartAxis(maximum: maximum, target: 5, integral: integral).ticks == expected)
  }

  @Test func noSamples() throws {
    _ = try DemandPagingFigure(samples: [], totalPages: 0).render()
  }
}

@Suite struct SVGNumberTests {
  @Test(arguments: [
    (0.0, "0"), (12.0, "12"), (12.5, "12.5"), (0.25, "0.25"), (-3.1, "-3.1"), (1.006, "1.01"),
    (2.999, "3"), (-0.001, "0"), (1e20, "10000000000000"), (Double.nan, "0"),
  ])
  func format(value: Double, expected: String) {
    #expect(SVGNumber.format(value) == expected)
  }

  @Test func thousandsForAnyUInt64() {
    #expect(SVGNumber.thousands(0) == "0")
    #expect(SVGNumber.thousands(999) == "999")
    #expect(SVGNumber.thousands(1000) == "1,000")
    #expect(SVGNumber.thousands(UInt64.max) == "18,446,744,073,709,551,615")
  }
}

@Suite struct FigureStyleTests {
  static func allFigures() throws -> [ReportFigure] {
    [
      try AddressSpaceFigure(regions: sleepLikeRegions, userSpaceEnd: 1 << 47).render(),
      try AddressSpaceFigure(regions: sixtyThousandRegions).render(),
      try ResidencyFigure(strips: [ResidencyFigureTests.strip]).render(),
      try realCopyOnWrite.render(),
      try DemandPagingFigure(samples: demandSamples, totalPages: 25_600).render(),
    ]
  }

  /// Every class a figure uses has a rule in the stylesheet (nothing drawn in the default
  /// black), and nothing in the stylesheet could end the `<style>` element early.
  @Test func everyClassIsStyled() throws {
    let css = SVGStyle.css
    #expect(!css.contains("<") && !css.contains(">") && !css.contains("&"))
    for figure in try Self.allFigures() {
      let svg = try ParsedSVG(figure.svg)
      #expect(svg.all("style").first?.text == css)
      var classes = Set<Substring>()
      for element in svg.elements {
        for cls in (element.attributes["class"] ?? "").split(separator: " ") { classes.insert(cls) }
      }
      for cls in classes where cls != "vmfig" && cls != "gap" && cls != "strip" {
        #expect(
          css.contains(".\(cls){") || css.contains(".\(cls).") || css.contains(".\(cls) "),
          "\(figure.name): .\(cls)")
      }
    }
  }

  /// The same input gives the same bytes.
  @Test func renderingIsDeterministic() throws {
    let first = try Self.allFigures()
    let second = try Self.allFigures()
    #expect(first == second)
    #expect(Set(first.map(\.name)).count == 4)
  }
}
