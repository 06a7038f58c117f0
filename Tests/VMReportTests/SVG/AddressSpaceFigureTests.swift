import Foundation
import Testing
import VMMapCore

@testable import VMReport

/// A small map shaped like a real one (the regions of `sleep`, addresses from this machine).
let sleepLikeRegions: [AddressSpaceFigure.Region] = [
  .init(start: 0x5583_1c40_0000, end: 0x5583_1c40_2000, kind: .executable, label: "/usr/bin/sleep"),
  .init(start: 0x5583_1c40_2000, end: 0x5583_1c40_6000, kind: .executable, label: "/usr/bin/sleep"),
  .init(start: 0x5583_1c40_6000, end: 0x5583_1c40_8000, kind: .executable, label: "/usr/bin/sleep"),
  .init(start: 0x5583_1c40_9000, end: 0x5583_1c40_a000, kind: .executable, label: "/usr/bin/sleep"),
  .init(start: 0x5583_1d8b_3000, end: 0x5583_1d8d_4000, kind: .heap, label: "[heap]"),
  .init(
    start: 0x7f3a_4b60_0000, end: 0x7f3a_4b62_8000, kind: .sharedLibrary,
    label: "/usr/lib/x86_64-linux-gnu/libc.so.6"),
  .init(
    start: 0x7f3a_4b62_8000, end: 0x7f3a_4b7b_d000, kind: .sharedLibrary,
    label: "/usr/lib/x86_64-linux-gnu/libc.so.6"),
  .init(
    start: 0x7f3a_4b7b_d000, end: 0x7f3a_4b81_5000, kind: .sharedLibrary,
    label: "/usr/lib/x86_64-linux-gnu/libc.so.6"),
  .init(start: 0x7f3a_4b81_5000, end: 0x7f3a_4b82_2000, kind: .bss, label: "libc.so.6 .bss"),
  .init(start: 0x7ffd_9b6f_0000, end: 0x7ffd_9b71_1000, kind: .mainStack, label: "[stack]"),
  .init(start: 0x7ffd_9b7c_e000, end: 0x7ffd_9b7d_2000, kind: .vvar, label: "[vvar]"),
  .init(start: 0x7ffd_9b7d_2000, end: 0x7ffd_9b7d_4000, kind: .vdso, label: "[vdso]"),
  .init(
    start: 0xffff_ffff_ff60_0000, end: 0xffff_ffff_ff60_1000, kind: .vsyscall, label: "[vsyscall]"),
]

@Suite struct AddressSpaceFigureTests {
  @Test func validatesAndReparses() throws {
    let figure = try AddressSpaceFigure(regions: sleepLikeRegions, userSpaceEnd: 1 << 47).render()
    keepForInspection(figure, as: "address-space")
    #expect(figure.name == "address-space")
    let svg = try ParsedSVG(figure.svg)
    expectSafeStructure(svg)
    // Same input, same bytes.
    #expect(
      try AddressSpaceFigure(regions: sleepLikeRegions, userSpaceEnd: 1 << 47).render() == figure)
  }
}

/// 60,000 regions like a big real map: runs of thread stacks with their guard pages, small
/// anonymous mappings with distinct names, a few libraries, gaps of varied sizes between runs.
let sixtyThousandRegions: [AddressSpaceFigure.Region] = {
  var regions: [AddressSpaceFigure.Region] = []
  regions.reserveCapacity(60_000)
  var address: UInt64 = 0x5600_0000_0000
  var state: UInt64 = 0x9e37_79b9_7f4a_7c15
  func random(_ bound: UInt64) -> UInt64 {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return (state >> 33) % bound
  }
  while regions.count < 60_000 {
    let i = regions.count
    switch random(10) {
    case 0:
      regions.append(.init(start: address, end: address + 0x1000, kind: .guardPage, label: ""))
      address += 0x1000
      regions.append(
        .init(
          start: address, end: address + 0x80_0000, kind: .threadStack,
          label: "thread stack of TID \(1000 + i)"))
      address += 0x80_0000
    case 1:
      regions.append(
        .init(
          start: address, end: address + 0x20_0000, kind: .sharedLibrary,
          label: "/usr/lib/lib\(i % 97).so"))
      address += 0x20_0000
    default:
      let size = (1 + random(16)) * 0x1000
      regions.append(
        .init(start: address, end: address + size, kind: .anonymous, label: "[anon:block \(i)]"))
      address += size
    }
    if random(4) == 0 { address += (1 + random(1 << 20)) * 0x1000 }  // a gap up to 4 GiB
  }
  return Array(regions.prefix(60_000))
}()

@Suite struct AddressSpaceScaleTests {
  @Test func sixtyThousandRegionsStayUnderTheCaps() throws {
    let regions = sixtyThousandRegions
    #expect(regions.count == 60_000)
    let figure = try AddressSpaceFigure(regions: regions, userSpaceEnd: 1 << 47).render()
    keepForInspection(figure, as: "address-space-60k")
    #expect(figure.svg.count < 200_000)
    let svg = try ParsedSVG(figure.svg)
    expectSafeStructure(svg)
    let drawnBands = svg.all("rect", class: "band").count
    let drawnGaps = svg.all("g", class: "gap").count
    #expect(drawnBands + drawnGaps <= 120)
    #expect(drawnBands >= 50)

    // The layout accounts for every region and every byte.
    let layout = AddressSpaceLayout(regions: regions, maxRows: 120, highestAddress: 1 << 47)
    let bands = layout.items.compactMap { if case .band(let b) = $0 { b } else { nil } }
    #expect(bands.count == drawnBands)
    #expect(layout.items.count == drawnBands + drawnGaps)
    #expect(bands.map(\.regionCount).reduce(0, +) == 60_000)
    let mapped = regions.reduce(UInt64(0)) { $0 + $1.end - $1.start }
    #expect(bands.map(\.mappedBytes).reduce(0, +) == mapped)
    // Items tile [0, 2^47) without overlap.
    var cursor: UInt64 = 0
    for item in layout.items {
      switch item {
      case .band(let b):
        #expect(b.start == cursor)
        cursor = b.end
      case .gap(let g):
        #expect(g.start == cursor)
        cursor = g.end
      }
    }
    #expect(cursor == 1 << 47)
  }

  /// The benchmark specimen's shape (bench/specimen.c): 60,000 contiguous one-page anonymous
  /// regions, alternately r--p and rw-p, all unnamed. They are one band.
  @Test func specimenRunIsOneBand() throws {
    let regions = (0..<60_000).map { i in
      AddressSpaceFigure.Region(
        start: 0x7f00_0000_0000 + UInt64(i) * 0x1000,
        end: 0x7f00_0000_1000 + UInt64(i) * 0x1000, kind: .anonymous, label: "")
    }
    let figure = try AddressSpaceFigure(regions: regions).render()
    let svg = try ParsedSVG(figure.svg)
    #expect(svg.all("rect", class: "band").count == 1)
    // A tall band: name and size on two lines.
    let texts = svg.all("text").map(\.text)
    #expect(texts.contains("anonymous: 60,000 regions"))
    #expect(texts.contains("234 MiB"))
  }

  @Test func mergedBandsSayWhatTheyHold() throws {
    let regions: [AddressSpaceFigure.Region] = [
      .init(start: 0x1000, end: 0x2000, kind: .guardPage, label: ""),
      .init(start: 0x2000, end: 0x82000, kind: .threadStack, label: "stack of TID 1"),
      .init(start: 0x82000, end: 0x83000, kind: .guardPage, label: ""),
      .init(start: 0x83000, end: 0x103000, kind: .threadStack, label: "stack of TID 2"),
      .init(start: 0x1_0000_0000, end: 0x1_0000_1000, kind: .heap, label: "[heap]"),
    ]
    // Four rows: the gap below 0x1000, two bands, the gap between them.
    let layout = AddressSpaceLayout(regions: regions, maxRows: 4)
    let bands = layout.items.compactMap { if case .band(let b) = $0 { b } else { nil } }
    try #require(bands.count == 2)
    #expect(
      AddressSpaceFigure.label(bands[0])
        == "4 small regions: 2 thread-stack, 2 guard-page · 1 MiB")
    #expect(bands[0].dominantKind == .threadStack)
    #expect(AddressSpaceFigure.label(bands[1]) == "[heap] · 4 KiB")
  }

  @Test func regionsOutOfOrderAreABug() throws {
    let regions: [AddressSpaceFigure.Region] = [
      .init(start: 0x5000, end: 0x6000, kind: .heap, label: "b"),
      .init(start: 0x1000, end: 0x2000, kind: .heap, label: "a"),
    ]
    let error = try #require(throws: VMMapError.self) {
      _ = try AddressSpaceFigure(regions: regions).render()
    }
    #expect(error.code == .internalError)
    #expect(error.what == "figure address-space")
  }
}

@Suite struct GapCompressionTests {
  /// Every drawn gap is labelled with the real distance between the regions around it.
  @Test func gapLabelsAreTheRealSizes() throws {
    let regions = sleepLikeRegions
    var expected: [String] = []
    var previousEnd: UInt64 = 0
    for region in regions {
      if region.start > previousEnd {
        expected.append(SizeFormat.iec(region.start - previousEnd) + " unmapped")
      }
      previousEnd = region.end
    }
    // The figure draws from the top down; the gap below [vsyscall] reaches past 2^47.
    expected.reverse()
    expected[0] += " (includes the kernel's half)"
    let svg = try ParsedSVG(
      try AddressSpaceFigure(regions: regions, userSpaceEnd: 1 << 47).render().svg)
    let gapTexts = svg.all("g", class: "gap").flatMap { svg.children(of: $0) }
      .filter { $0.name == "text" }.map(\.text)
    #expect(gapTexts == expected)
    // Spot checks against sizes worked out by hand from the addresses.
    #expect(gapTexts.contains("4 KiB unmapped"))  // 0x55831c408000 to 0x55831c409000
    #expect(gapTexts.contains("20.7 MiB unmapped"))  // the executable's end to [heap]
    #expect(gapTexts.last == "85.5 TiB unmapped")  // 0 to 0x55831c400000
    // Tooltips carry the exact byte count.
    let tooltips = svg.all("g", class: "gap").flatMap { svg.children(of: $0) }
      .filter { $0.name == "title" }.map(\.text)
    #expect(
      tooltips.contains {
        $0.hasPrefix("unmapped 0x55831c408000-0x55831c409000: 4 KiB (4,096 bytes)")
      })
  }

  @Test func bandHeightsGrowWithSize() {
    #expect(AddressSpaceFigure.bandHeight(4096) == 14)
    #expect(AddressSpaceFigure.bandHeight(1) == 14)
    #expect(AddressSpaceFigure.bandHeight(8192) == 15.8)
    // 128 TiB is 2^35 pages: 14 + 35 × 1.8.
    #expect(AddressSpaceFigure.bandHeight(1 << 47) == 77)
  }
}

@Suite struct AddressSpaceFixtureTests {
  /// A real map captured on this machine (python, Linux 6.18), classified by VMMapCore; the gaps
  /// are worked out again here from the raw text, independently of the parser.
  @Test func realMapGapsMatchTheMapsText() throws {
    let path = svgRepositoryRoot + "/Tests/VMMapCoreTests/Fixtures/maps-6.18-python.txt"
    let map = try MemoryMapLoader.saved(path: path, smaps: false)
    let regions = map.regions.map(AddressSpaceFigure.Region.init)
    let figure = try AddressSpaceFigure(regions: regions, userSpaceEnd: 1 << 47).render()
    keepForInspection(figure, as: "address-space-python")

    let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    var ranges: [(UInt64, UInt64)] = []
    for line in text.split(separator: "\n") {
      let range = line.split(separator: " ")[0].split(separator: "-")
      ranges.append(
        (try #require(UInt64(range[0], radix: 16)), try #require(UInt64(range[1], radix: 16))))
    }
    #expect(ranges.count == regions.count)
    var expected: [String] = []
    var previousEnd: UInt64 = 0
    for (start, end) in ranges {
      if start > previousEnd { expected.append(SizeFormat.iec(start - previousEnd) + " unmapped") }
      previousEnd = end
    }
    if previousEnd < 1 << 47 {
      expected.append(SizeFormat.iec((1 << 47) - previousEnd) + " unmapped")
    }
    let svg = try ParsedSVG(figure.svg)
    expectSafeStructure(svg)
    let gapTexts = svg.all("g", class: "gap").flatMap { svg.children(of: $0) }
      .filter { $0.name == "text" }.map(\.text)
    #expect(
      gapTexts.map { $0.replacing(" (includes the kernel's half)", with: "") }
        == expected.reversed())
    // The interpreter's segments share one band; the heap is its own.
    let texts = svg.all("text").map(\.text)
    #expect(
      texts.contains { $0.hasPrefix("/root/.pyenv/versions/3.11.7/bin/python3.11: 5 regions") })
    #expect(
      svg.all("rect", class: "band").filter { $0.attributes["class"] == "band k-heap" }.count == 1)
  }
}
