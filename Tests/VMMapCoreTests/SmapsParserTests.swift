import Testing

@testable import VMMapCore

@Suite struct SmapsParserTests {
  @Test(arguments: ["smaps-6.18-sleep.txt", "smaps-6.18-python.txt", "smaps-hostile.txt"])
  func matchesNaiveParse(name: String) throws {
    let bytes = try TestSupport.fixture(name)
    let regions = try SmapsParser.parse(bytes, source: name)
    let naive = TestSupport.naiveSmaps(String(decoding: bytes, as: UTF8.self))
    #expect(regions.count == naive.count)
    for (r, n) in zip(regions, naive) {
      #expect(r.start == n.start && r.end == n.end)
      let c = try #require(r.counters)
      for (key, value) in n.fields {
        if let f = SmapsField(kernelName: Array(key.utf8)) {
          #expect(c[f] == value, "\(key) of \(r.start)")
        } else {
          #expect(c.extra.contains { $0.name == key && $0.value == value }, "extra \(key)")
        }
      }
      let known = n.fields.keys.filter { SmapsField(kernelName: Array($0.utf8)) != nil }.count
      #expect(c.present.nonzeroBitCount == known)
      #expect(c.vmFlags != nil)
    }
    try MemoryMap(source: .file(path: name), regions: regions, hasCounters: true)
      .checkInvariants()
  }

  @Test func hostileFields() throws {
    let regions = try SmapsParser.parse(try TestSupport.fixture("smaps-hostile.txt"), source: "h")
    let first = try #require(regions.first?.counters)
    #expect(first.size == 4096 && first.rss == 4096 && first[.kernelPageSize] == 4096)
    #expect(first.has(.thpEligible) && first[.thpEligible] == 0)
    #expect(!first.has(.protectionKey))
    #expect(first.vmFlags?.contains("ex") == true && first.vmFlags?.contains("dw") == true)
    #expect(first.vmFlags?.contains("wr") == false)
    let withKey = try #require(regions[3].counters)
    #expect(withKey.has(.protectionKey) && withKey[.protectionKey] == 0)
    #expect(regions[1].counters?[.thpEligible] == 1)
    let flags = try #require(regions[1].counters?.vmFlags)
    #expect(flags.unknown == ["zz"])
    #expect(flags.contains("sd"))
    #expect(
      regions[5].counters?.extra == [
        .init(name: "NewCounter2030", value: 12 * 1024, isKilobytes: true)
      ]
    )
    #expect(
      regions[6].counters?.extra == [.init(name: "PlainCounter", value: 7, isKilobytes: false)])
    #expect(regions.last?.mapping.end == 0xffff_ffff_ffff_f000)
  }

  /// Chunks cut at every offset of a small input, and at random sizes of a large one, give the
  /// same regions as one piece.
  @Test func chunkBoundariesDoNotMatter() throws {
    let bytes = try TestSupport.fixture("smaps-hostile.txt")
    let whole = try SmapsParser.parse(bytes, source: "h")
    for cut in stride(from: 0, through: 2000, by: 1) {
      var parser = SmapsParser(source: "h")
      try feedInChunks(bytes, cuts: [cut], parser: &parser) { (p, c) throws(VMMapError) in
        try p.feed(c)
      }
      #expect(try parser.finish() == whole)
    }
    let big = try TestSupport.fixture("smaps-6.18-python.txt")
    let bigWhole = try SmapsParser.parse(big, source: "p")
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<20 {
      var cuts: [Int] = []
      var at = 0
      while at < big.count {
        at += Int.random(in: 1...5000, using: &rng)
        cuts.append(at)
      }
      var parser = SmapsParser(source: "p")
      try feedInChunks(big, cuts: cuts.filter { $0 < big.count }, parser: &parser) {
        (p, c) throws(VMMapError) in try p.feed(c)
      }
      #expect(try parser.finish() == bigWhole)
    }
  }

  static let header = "1000-3000 rw-p 00000000 00:00 0"

  @Test(
    arguments: [
      ("Size:  8 kB\n\(header)\nSize: 8 kB\n", 1, "before any mapping header"),
      ("\(header)\nSize: 8 kB\nRss: 4 kB\nRss: 4 kB\n", 4, "twice"),
      ("\(header)\nSize: 8 kB\nRss: 12 kB\n", 1, "Rss 12 kB exceeds Size 8 kB"),
      ("\(header)\nSize: 4 kB\n", 1, "differs from the mapping's size"),
      ("\(header)\nSize: 8 kB\nRss: 4 kB\nPss: 8 kB\n", 1, "Pss 8 kB exceeds Rss"),
      ("\(header)\nSize: 8 kB\nRss: 4\n", 3, "expected ' kB'"),
      ("\(header)\nSize: 8 kB\nTHPeligible: 1 kB\n", 3, "plain number"),
      ("\(header)\nSize: 8 kB\nRss: x kB\n", 3, "decimal value"),
      ("\(header)\nSize: 8 kB\nRss: 4 KB\n", 3, "' kB'"),
      ("\(header)\nSize: 8 kB\nRss 4 kB\n", 3, "field name"),
      ("\(header)\nSize: 8 kB\nRss: 18014398509481984 kB\n", 3, "too large"),
      ("\(header)\nSize: 8 kB\n\n", 3, "field name"),
      ("\(header)\n\(header)\nSize: 8 kB\n", 1, "no smaps fields"),
      ("\(header)\nSize: 8 kB\n1000-2000 r--p 00000000 00:00 0\nSize: 4 kB\n", 3, "starts below"),
      ("\(header)\nSize: 8 kB\nVmFlags: rd\nVmFlags: wr\n", 4, "twice"),
      ("\(header)\nSize: 8 kB\nRss: 4 kB", 1, "exceeds"),
    ] as [(String, Int, String)])
  func badInputThrowsWithLineNumber(text: String, line: Int, mentions: String) throws {
    var input = text
    if mentions == "exceeds" { input = "\(Self.header)\nSize: 8 kB\nRss: 40 kB" }
    let error = try #require(throws: VMMapError.self) {
      try SmapsParser.parse(Array(input.utf8), source: "s")
    }
    #expect(error.code == .badData)
    #expect(error.what == "s: line \(line)", "\(error)")
    #expect(error.description.contains(mentions), "\(error)")
  }

  @Test func rollup() throws {
    let c = try SmapsRollupParser.parse(
      try TestSupport.fixture("smaps_rollup-6.18-python.txt"), source: "r")
    #expect(c.has(.pssAnon) && c.has(.pssFile) && c.has(.pssShmem))
    #expect(!c.has(.size))
    #expect(c[.pssAnon] + c[.pssFile] + c[.pssShmem] <= c.pss + 3 * 1024)
    #expect(c.rss > 0 && c.rss % 1024 == 0)
    let error = try #require(throws: VMMapError.self) {
      try SmapsRollupParser.parse(try TestSupport.fixture("smaps-hostile.txt"), source: "r")
    }
    #expect(error.why.contains("exactly one"))
  }
}
