import Foundation
import Testing

@testable import VMMapCore

@Suite struct SelfMapTests {
  @Test func classifiesOwnMap() throws {
    var map = try readMemoryMap(pid: getpid(), counters: true)
    let cache = ELFHeaderCache()
    Classifier.classify(&map, elf: LiveELFProvider(pid: getpid(), cache: cache))
    // One read per distinct file, however many regions map it.
    let files = Set(
      map.regions.filter { $0.mapping.inode != 0 && !$0.permissions.shared }.map {
        FileIdentity(mapping: $0.mapping)
      })
    #expect(cache.count <= files.count)
    #expect(cache.count > 5)
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
