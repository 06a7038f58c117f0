import VMExperiments
import Testing
import VMMapTestSupport

@testable import VMMapCore

/// Classifies the live map of `vmmap __specimen` and checks every kind it made.
@Suite(.serialized) struct SpecimenClassificationTests {
  /// Starts the specimen, reads and classifies its map, stops it (also on failure).
  static func classified() throws -> (SpecimenProcess, MemoryMap) {
    let specimen = try SpecimenProcess()
    do {
      var map = try readMemoryMap(pid: specimen.pid, counters: true)
      Classifier.classify(&map)
      return (specimen, map)
    } catch {
      specimen.stop()
      throw error
    }
  }

  static func region(_ map: MemoryMap, _ address: UInt64) throws -> Region {
    let i = try #require(map.regionIndex(containing: address), "no region at \(address)")
    return map.regions[i]
  }

  @Test func everyPrintedRegionHasItsKind() throws {
    let (specimen, map) = try Self.classified()
    defer { specimen.stop() }
    #expect(specimen.records.count >= 19)
    for record in specimen.records {
      let r = try Self.region(map, record.address)
      #expect(
        r.classification.kind == record.kind,
        "\(record.tag) \(record.note): \(r.classification.description)")
    }
  }

  @Test func executableSegmentsAndBSSTail() throws {
    let (specimen, map) = try Self.classified()
    defer { specimen.stop() }
    let exe = try #require(map.executable)
    let data = try Self.region(map, specimen.record("data").address)
    #expect(data.classification.segment == .data)
    #expect(data.classification.owner == exe)
    #expect(data.classification.certainty == .observed)
    let bss = try Self.region(map, specimen.record("bss").address)
    #expect(bss.classification.segment == .bss)
    #expect(bss.classification.owner == exe)
    #expect(bss.classification.sections.contains(".bss"))
    let text = try Self.region(map, specimen.record("text").address)
    #expect(text.classification.segment == .text)
    #expect(text.classification.sections.contains(".text"))
    let libc = try #require(specimen.records.first { $0.kind == .sharedLibrary })
    let libcText = try Self.region(map, libc.address)
    #expect(libcText.classification.segment == .text)
    #expect(libcText.classification.owner?.lastComponent == PathBytes("libc.so.6"))
    // libc's RELRO and the loader are found from headers too.
    #expect(
      map.regions.contains {
        $0.classification.segment == .relro
          && $0.classification.owner == libcText.classification.owner
      })
    #expect(
      map.regions.contains {
        $0.classification.kind == .sharedLibrary
          && $0.classification.owner?.lastComponent == PathBytes("ld-linux-x86-64.so.2")
      })
  }

  @Test func threadStackWithTIDAndGuard() throws {
    let (specimen, map) = try Self.classified()
    defer { specimen.stop() }
    let i = try #require(
      map.regionIndex(containing: specimen.record("tid=\(specimen.tid)").address))
    let stack = map.regions[i]
    #expect(stack.classification.kind == .threadStack)
    #expect(stack.classification.threadID == specimen.tid)
    #expect(stack.classification.certainty == .observed)
    #expect(stack.classification.evidence.contains { $0.contains("TID \(specimen.tid)") })
    let guardPage = map.regions[i - 1]
    #expect(guardPage.end == stack.start)
    #expect(guardPage.classification.kind == .guardPage)
    #expect(guardPage.classification.threadID == specimen.tid)
  }

  @Test func mallocArenaAndItsReservation() throws {
    let (specimen, map) = try Self.classified()
    defer { specimen.stop() }
    let block = try #require(specimen.records.first { $0.kind == .mallocArena })
    let i = try #require(map.regionIndex(containing: block.address))
    #expect(map.regions[i].classification.kind == .mallocArena)
    #expect(map.regions[i].start % (64 << 20) == 0)
    #expect(map.regions[i + 1].classification.kind == .reserved)
  }

  @Test func notesTHPDeletedRWXAndNames() throws {
    let (specimen, map) = try Self.classified()
    defer { specimen.stop() }
    let thp = try Self.region(map, specimen.record("thp").address)
    #expect(thp.classification.usesTHP, "\(thp.classification.evidence)")
    #expect(thp.classification.evidence.contains { $0.contains("MADV_HUGEPAGE") })
    let rwx = try Self.region(map, specimen.record("rwx").address)
    #expect(rwx.classification.description.contains("writable and executable"))
    let deleted = try Self.region(map, specimen.record("deleted").address)
    #expect(deleted.isDeleted)
    #expect(deleted.classification.description.contains("deleted"))
    let newline = try Self.region(map, specimen.record("newline").address)
    #expect(newline.filePath?.lastComponent == PathBytes("new\nline.dat"))
    let space = try Self.region(map, specimen.record("space").address)
    #expect(space.filePath?.lastComponent == PathBytes("with space.dat"))
    let memfd = try Self.region(map, specimen.record("memfd").address)
    #expect(memfd.classification.description.contains("vmmap-specimen"))
    #expect(map.regions.contains { $0.classification.kind == .vvar })
    #expect(map.regions.contains { $0.classification.kind == .vsyscall })
    let sysv = try #require(specimen.records.first { $0.kind == .sysvShm })
    let shm = try Self.region(map, sysv.address)
    #expect(shm.classification.description.contains("shmid \(sysv.tag.dropFirst(6))"))
  }
}
