import Testing

@testable import VMMapCore

@Suite struct MapsParserTests {
  @Test(arguments: ["maps-6.18-sleep.txt", "maps-6.18-python.txt", "maps-hostile.txt"])
  func parsesFixture(name: String) throws {
    let bytes = try TestSupport.fixture(name)
    let mappings = try MapsParser.parse(bytes, source: name)
    let lines = bytes.split(separator: 0x0a).count
    #expect(mappings.count == lines)
    let map = MemoryMap(source: .file(path: name), regions: mappings.map { Region(mapping: $0) })
    try map.checkInvariants()
  }

  @Test func vsyscallAndHighAddresses() throws {
    let mappings = try MapsParser.parse(try TestSupport.fixture("maps-hostile.txt"), source: "h")
    let vsyscall = try #require(mappings.first { $0.name == .vsyscall })
    #expect(vsyscall.start == 0xffff_ffff_ff60_0000)
    #expect(vsyscall.end == 0xffff_ffff_ff60_1000)
    #expect(vsyscall.permissions.description == "--xp")
    #expect(mappings.contains { $0.start == 0x8000_0000_0000_0000 })
    let last = try #require(mappings.last)
    #expect(last.end == 0xffff_ffff_ffff_f000)
    #expect(last.deviceMajor == 0x103 && last.deviceMinor == 2)
    #expect(last.inode == UInt64.max)
    #expect(last.name == .otherName(PathBytes("anon_inode:[perf_event]")))
  }

  @Test(
    arguments: [
      (
        "/opt/my app/bin with spaces",
        MappingName.file(path: PathBytes("/opt/my app/bin with spaces"), deleted: false)
      ),
      ("[anon:glibc malloc]", .namedAnonymous(PathBytes("glibc malloc"))),
      ("[anon_shmem:ring buffer]", .namedSharedAnonymous(PathBytes("ring buffer"))),
      ("/memfd:jit-code (deleted)", .file(path: PathBytes("/memfd:jit-code"), deleted: true)),
      ("/SYSV0000002a (deleted)", .file(path: PathBytes("/SYSV0000002a"), deleted: true)),
      ("/tmp/new\\012line", .file(path: PathBytes("/tmp/new\nline"), deleted: false)),
      ("/tmp/x (deleted) (deleted)", .file(path: PathBytes("/tmp/x (deleted)"), deleted: true)),
      ("/tmp/trailing space ", .file(path: PathBytes("/tmp/trailing space "), deleted: false)),
      ("[vvar]", .vvar), ("[vvar_vclock]", .vvarVclock), ("[vdso]", .vdso), ("[stack]", .stack),
      ("[vsyscall]", .vsyscall), ("[uprobes]", .uprobes), ("", .anonymous),
    ] as [(String, MappingName)])
  func namesKeptRawAndInterpreted(raw: String, expected: MappingName) throws {
    let mappings = try MapsParser.parse(try TestSupport.fixture("maps-hostile.txt"), source: "h")
    let m = try #require(mappings.first { $0.rawName == PathBytes(raw) }, "no line named \(raw)")
    #expect(m.name == expected)
  }

  @Test func invalidUTF8IsKeptAsBytes() throws {
    let mappings = try MapsParser.parse(try TestSupport.fixture("maps-hostile.txt"), source: "h")
    let m = try #require(mappings.first { $0.start == 0xa00000 })
    #expect(m.rawName.bytes == Array("/tmp/bad".utf8) + [0xff, 0xfe] + Array("utf8".utf8))
    #expect(!m.rawName.isValidUTF8)
  }

  @Test func lastLineWithoutNewline() throws {
    let text = Array("1000-2000 r--p 00000000 00:00 0\n3000-4000 rw-p 00001000 08:01 99 /x".utf8)
    let m = try MapsParser.parse(text, source: "t")
    #expect(m.count == 2)
    #expect(m[1].rawName == PathBytes("/x"))
    #expect(m[1].offset == 0x1000)
  }

  /// Every bad line throws `.badData` naming the right line (the bad one is always line 2).
  @Test(
    arguments: [
      ("1000-2000 r--p 00000000 00:00", "after the device"),
      ("1000-2000 r--p 00000000 00:00 0x", "space after the inode"),
      ("1000-2000 r-p 00000000 00:00 0", "permissions"),
      ("1000-2000 rwzp 00000000 00:00 0", "permissions"),
      ("1000_2000 r--p 00000000 00:00 0", "'-'"),
      ("-2000 r--p 00000000 00:00 0", "start address"),
      ("1000- r--p 00000000 00:00 0", "end address"),
      ("10000000000000000-10000000000001000 r--p 00000000 00:00 0", "start address"),
      ("1000-2000 r--p 00000000 0000 0", "':'"),
      ("1000-2000 r--p 00000000 00:00 99999999999999999999999", "inode"),
      ("2000-2000 r--p 00000000 00:00 0", "not below"),
      ("3000-2000 r--p 00000000 00:00 0", "not below"),
      ("1000-2001 r--p 00000000 00:00 0", "aligned"),
      ("1800-2000 r--p 00000000 00:00 0", "aligned"),
      ("0-1000 r--p 00000000 00:00 0", "line 1"),
      ("", "start address"),
      ("Size:   4 kB", "start address"),
      ("1000-2000 r--p 00000000 00:00 0\u{0}", "space after the inode"),
    ] as [(String, String)])
  func badLineThrowsWithLineNumber(bad: String, mentions: String) throws {
    let text = Array("0-1000 r--p 00000000 00:00 0\n\(bad)\n5000-6000 r--p 00000000 00:00 0\n".utf8)
    let error = try #require(throws: VMMapError.self) {
      try MapsParser.parse(text, source: "x.maps")
    }
    #expect(error.code == .badData)
    #expect(error.what == "x.maps: line 2")
    #expect(error.exitCode == 65)
    #expect(error.description.contains(mentions), "\(error)")
  }

  @Test func overlapAndDisorderNameBothLines() throws {
    let text = Array(
      "1000-3000 r--p 0 00:00 0\n3000-4000 r--p 0 00:00 0\n2000-5000 r--p 0 00:00 0\n".utf8)
    let error = try #require(throws: VMMapError.self) { try MapsParser.parse(text, source: "m") }
    #expect(error.what == "m: line 3")
    #expect(error.why.contains("line 2"))
  }

  @Test func excerptIsEscaped() throws {
    let text: [UInt8] = Array("zz\u{1b}[31m\"\\".utf8) + [0xff, 0x0a]
    let error = try #require(throws: VMMapError.self) { try MapsParser.parse(text, source: "m") }
    #expect(error.why.contains(#""zz\x1b[31m\"\\\xff""#), "\(error.why)")
  }

  /// Chunks cut anywhere give the same mappings as one piece.
  @Test func chunkBoundariesDoNotMatter() throws {
    let bytes = try TestSupport.fixture("maps-hostile.txt")
    let whole = try MapsParser.parse(bytes, source: "h")
    for step in [1, 2, 3, 7, 64, 100, 4096] {
      var parser = MapsParser(source: "h")
      try feedInChunks(
        bytes, cuts: Array(stride(from: step, to: bytes.count, by: step)), parser: &parser
      ) {
        (p, chunk) throws(VMMapError) in try p.feed(chunk)
      }
      #expect(try parser.finish() == whole, "step \(step)")
    }
  }
}
