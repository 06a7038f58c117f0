import Foundation
import Testing
import VMMapCore

@testable import VMReport

/// A small hand-made map: an executable's segments, a heap, a library, a W+X region with a
/// hostile name, the stack, with gaps between some of them.
func sampleMap() -> MemoryMap {
  func region(
    _ start: UInt64, _ end: UInt64, _ perms: String, _ name: String, _ kind: RegionKind,
    _ description: String, owner: String? = nil, rss: UInt64 = 0, pss: UInt64 = 0, swap: UInt64 = 0
  ) -> Region {
    var c = SmapsCounters()
    c[.size] = end - start
    c[.rss] = rss
    c[.pss] = pss
    c[.swap] = swap
    c[.privateDirty] = rss / 2
    c[.anonymous] = name.isEmpty ? rss : 0
    return Region(
      mapping: Mapping(
        start: start, end: end, permissions: Permissions(perms)!, offset: 0, deviceMajor: 0,
        deviceMinor: 0, inode: name.hasPrefix("/") ? 7 : 0, rawName: PathBytes(Array(name.utf8))),
      counters: c,
      classification: Classification(
        kind: kind, description: description, certainty: .observed,
        owner: owner.map { PathBytes($0) }))
  }
  let regions = [
    region(
      0x5555_5555_4000, 0x5555_5555_5000, "r--p", "/usr/bin/demo", .executable, "ELF headers",
      owner: "/usr/bin/demo", rss: 4096, pss: 4096),
    region(
      0x5555_5555_5000, 0x5555_5555_7000, "r-xp", "/usr/bin/demo", .executable, ".text (code)",
      owner: "/usr/bin/demo", rss: 8192, pss: 8192),
    region(
      0x5555_5556_0000, 0x5555_5558_1000, "rw-p", "[heap]", .heap, "[heap]", rss: 12288, pss: 12288),
    region(
      0x7f00_0000_0000, 0x7f00_0000_2000, "r-xp", "/lib/libz.so.1", .sharedLibrary, ".text (code)",
      owner: "/lib/libz.so.1", rss: 8192, pss: 2048),
    region(
      0x7f00_0000_2000, 0x7f00_0000_3000, "rwxp", "/tmp/\u{1b}[31mevil\nname", .privateFile,
      "file /tmp/\u{1b}[31mevil\nname", rss: 4096, pss: 4096, swap: 4096),
    region(
      0x7ffd_0000_0000, 0x7ffd_0002_1000, "rw-p", "[stack]", .mainStack, "main stack", rss: 16384,
      pss: 16384),
  ]
  return MemoryMap(source: .live(pid: 4242), regions: regions, hasCounters: true)
}

@Suite struct MapRendererTests {
  @Test func summaryTotalsAreSums() {
    let map = sampleMap()
    let s = MapSummary(map)
    #expect(s.regionCount == 6)
    #expect(s.totalVirtual == map.regions.reduce(0) { $0 + $1.size })
    #expect(s.resident == 4096 + 8192 + 12288 + 8192 + 4096 + 16384)
    #expect(s.pss == 4096 + 8192 + 12288 + 2048 + 4096 + 16384)
    #expect(s.pssSource == .regions)
    #expect(s.swap == 4096)
    #expect(s.writableExecutable == [4])
    #expect(s.gapCount == 3)
    #expect(s.largestGap?.start == 0x5555_5558_1000)
    #expect(s.largestGap?.end == 0x7f00_0000_0000)
    #expect(s.byKind.first { $0.kind == .executable }?.totals.regions == 2)
  }

  @Test func rollupProvidesPssAndShared() {
    var map = sampleMap()
    var rollup = SmapsCounters()
    rollup[.pss] = 1234
    rollup[.sharedClean] = 100
    rollup[.pssAnon] = 1000
    map.rollup = rollup
    let s = MapSummary(map)
    #expect(s.pss == 1234)
    #expect(s.pssSource == .rollup)
    #expect(s.shared == 100)
    #expect(s.pssAnon == 1000)
  }

  @Test func groupedLayoutHasTheSeedsSectionsAndEscapesNames() {
    let text = MapTextRenderer().render(sampleMap())
    for title in [
      "SUMMARY", "EXECUTABLE", "HEAP:", "SHARED LIBRARIES:", "STACK:", "MAPPED FILES:", "GAPS",
    ] {
      #expect(text.contains(title), "missing \(title)")
    }
    #expect(text.contains("libz.so.1"))
    #expect(text.contains("[W+X]"))
    // The hostile name is shown escaped: no ESC byte, no raw newline inside a row.
    #expect(!text.contains("\u{1b}"))
    #expect(text.contains("\\x1b[31mevil\\nname"))
    #expect(text.hasSuffix("=== END MAP ===\n"))
  }

  @Test func tableLayoutIsInAddressOrderWithGaps() {
    let text = MapTextRenderer(layout: .table).render(sampleMap())
    let lines = text.split(separator: "\n")
    let rows = lines.filter { $0.hasPrefix("  0x") }
    #expect(rows.count == 6)
    #expect(rows.map { String($0.prefix(16)) } == rows.map { String($0.prefix(16)) }.sorted())
    #expect(lines.filter { $0.contains("gap (unmapped)") }.count == 3)
  }

  @Test func selectionNarrowsTheRowsNotTheSummary() {
    let map = sampleMap()
    let top = RegionSelection(top: 2)
    #expect(top.apply(to: map) == [5, 2])  // stack 16 KiB, heap 12 KiB: largest RSS first
    #expect(RegionSelection(kinds: [.executable]).apply(to: map) == [0, 1])
    #expect(RegionSelection(sort: .size).apply(to: map).first == 2)
    let text = MapTextRenderer(selection: top).render(map)
    #expect(text.contains("Showing 2 of 6 regions"))
    #expect(text.contains("Regions                  6"))
  }

  @Test func jsonFollowsTheSchemaShape() throws {
    let bytes = MapJSONRenderer(swapConfigured: false).render(sampleMap())
    let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    #expect(object["schemaVersion"] as? Int == 1)
    let regions = try #require(object["regions"] as? [[String: Any]])
    #expect(regions.count == 6)
    #expect(regions[0]["start"] as? String == "0x555555554000")
    #expect(regions[0]["size"] as? Int == 4096)
    #expect(regions[4]["writableExecutable"] as? Bool == true)
    #expect(regions[4]["name"] as? String == "/tmp/\u{1b}[31mevil\nname")
    let summary = try #require(object["summary"] as? [String: Any])
    #expect(summary["swapConfigured"] as? Bool == false)
    #expect(summary["rss"] as? Int == 53248)
    #expect((object["gaps"] as? [Any])?.count == 3)
  }
}
