import Foundation
import Testing

@testable import VMMapCore

@Suite struct SelfMapTests {
  @Test func classifiesOwnMap() throws {
    var map = try TestMapsReader.read(pid: getpid())
    Classifier.classify(&map)
    var out = ""
    for r in map.regions {
      let c = r.classification
      print(
        String(r.start, radix: 16), r.permissions, c.kind.rawValue, c.segment?.rawValue ?? "-",
        c.certainty.rawValue, c.threadID.map { "tid=\($0)" } ?? "", c.description,
        r.mapping.rawName.string, separator: " ", to: &out)
    }
    if let path = getenv("VMMAP_DUMP") {
      try out.write(toFile: String(cString: path), atomically: true, encoding: .utf8)
    }
    #expect(map.regions.contains { $0.classification.kind == .executable })
  }
}
