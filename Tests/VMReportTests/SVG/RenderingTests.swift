import Foundation
import Testing

@testable import VMReport

/// librsvg (Debian's librsvg2-bin, installed by Scripts/bootstrap) renders every figure: an
/// independent SVG implementation reads what libxml2 wrote.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/rsvg-convert")))
struct RenderingTests {
  static func figures() throws -> [ReportFigure] {
    [
      try AddressSpaceFigure(regions: sleepLikeRegions, userSpaceEnd: 1 << 47).render(),
      try ResidencyFigure(strips: [ResidencyFigureTests.strip]).render(),
      try realCopyOnWrite.render(),
      try DemandPagingFigure(samples: demandSamples, totalPages: 25_600).render(),
    ]
  }

  @Test func rsvgRendersEveryFigure() throws {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("vmmap-rsvg-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    for figure in try Self.figures() {
      let svg = dir.appendingPathComponent(figure.name + ".svg")
      let png = dir.appendingPathComponent(figure.name + ".png")
      try Data(figure.svg).write(to: svg)
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/rsvg-convert")
      process.arguments = ["--output", png.path, svg.path]
      // No pipes: nothing another test's child could inherit.
      process.standardInput = FileHandle.nullDevice
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      process.waitUntilExit()
      #expect(process.terminationStatus == 0, "\(figure.name)")
      // The PNG's IHDR says 960 pixels wide: the figure's width attribute.
      let bytes = [UInt8](try Data(contentsOf: png))
      #expect(bytes.count > 1000)
      #expect(Array(bytes.prefix(4)) == [0x89, 0x50, 0x4e, 0x47])
      let width = bytes[16..<20].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
      #expect(width == 960, "\(figure.name)")
    }
  }
}
