import Testing

@testable import VMMapCore

@Suite struct SavedFileTests {
  @Test func mapsFile() throws {
    let map = try readMemoryMap(mapsFile: TestSupport.fixturePath("maps-6.18-python.txt"))
    #expect(!map.hasCounters && map.regions.count == 124)
    #expect(map.source == .file(path: TestSupport.fixturePath("maps-6.18-python.txt")))
    try map.checkInvariants()
  }

  @Test func smapsFile() throws {
    let map = try readMemoryMap(smapsFile: TestSupport.fixturePath("smaps-6.18-python.txt"))
    #expect(map.hasCounters && map.regions.count == 124)
    try map.checkInvariants()
  }

  @Test func swappedFilesAreDetected() throws {
    let a = try readMemoryMap(mapsFile: TestSupport.fixturePath("smaps-6.18-sleep.txt"))
    #expect(a.hasCounters)
    let b = try readMemoryMap(smapsFile: TestSupport.fixturePath("maps-6.18-sleep.txt"))
    #expect(!b.hasCounters && b.regions.count == a.regions.count)
  }

  @Test func missingFileIsNoInput() throws {
    let error = try #require(throws: VMMapError.self) {
      try readMemoryMap(mapsFile: "/nonexistent/maps.txt")
    }
    #expect(error.code == .noInput && error.exitCode == 66)
    #expect(error.description.hasPrefix("/nonexistent/maps.txt: no such file"))
  }

  @Test func garbageIsBadData() throws {
    let error = try #require(throws: VMMapError.self) {
      try readMemoryMap(mapsFile: TestSupport.fixturePath("status-6.18-sleep.txt"))
    }
    #expect(error.code == .badData && error.what.hasSuffix("status-6.18-sleep.txt: line 1"))
    #expect(throws: VMMapError.self) { try readMemoryMap(mapsFile: TestSupport.fixturesDirectory) }
  }
}
