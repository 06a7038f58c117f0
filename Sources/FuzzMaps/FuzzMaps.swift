import VMMapCore

/// libFuzzer entry point: every procfs parser over the same input. A parser may throw
/// `VMMapError`; it must never trap, and must give the same result (or the same error) however
/// the input is cut into chunks. Accepted maps and smaps must pass `checkInvariants()`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  let cuts = chunkCuts(bytes)

  let maps = outcome { () throws(VMMapError) in try MapsParser.parse(bytes, source: "fuzz") }
  let mapsChunked = outcome { () throws(VMMapError) in
    var p = MapsParser(source: "fuzz")
    try feed(bytes, cuts) { (c) throws(VMMapError) in try p.feed(c) }
    return try p.finish()
  }
  precondition(maps == mapsChunked, "maps: chunked parse differs")
  if case .success(let mappings) = maps {
    for m in mappings { _ = m.name.isAmbiguous }
    check(MemoryMap(source: .file(path: "fuzz"), regions: mappings.map { Region(mapping: $0) }))
  }

  let smaps = outcome { () throws(VMMapError) in try SmapsParser.parse(bytes, source: "fuzz") }
  let smapsChunked = outcome { () throws(VMMapError) in
    var p = SmapsParser(source: "fuzz")
    try feed(bytes, cuts) { (c) throws(VMMapError) in try p.feed(c) }
    return try p.finish()
  }
  precondition(smaps == smapsChunked, "smaps: chunked parse differs")
  if case .success(let regions) = smaps {
    check(MemoryMap(source: .file(path: "fuzz"), regions: regions, hasCounters: true))
  }

  _ = try? SmapsRollupParser.parse(bytes, source: "fuzz")
  _ = try? StatusParser.parse(bytes, source: "fuzz")
  _ = try? StatParser.parse(bytes, source: "fuzz")
  _ = try? SyscallParser.parse(bytes, source: "fuzz")
  _ = CommandLineParser.arguments(bytes)
  _ = MappingName(raw: PathBytes(bytes))
  return 0
}

private func outcome<T>(_ body: () throws(VMMapError) -> T) -> Result<T, VMMapError> {
  do { return .success(try body()) } catch { return .failure(error) }
}

private func check(_ map: MemoryMap) {
  do {
    try map.checkInvariants()
  } catch {
    preconditionFailure("parser accepted a map that breaks an invariant: \(error)")
  }
}

/// Chunk boundaries chosen from the input itself (deterministic, so a crash reproduces).
private func chunkCuts(_ bytes: [UInt8]) -> [Int] {
  var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(bytes.count)
  for b in bytes.prefix(64) { state = (state ^ UInt64(b)) &* 0x100_0000_01B3 }
  var cuts: [Int] = []
  var at = 0
  while true {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    at += 1 + Int((state >> 33) % 300)
    if at >= bytes.count { return cuts }
    cuts.append(at)
  }
}

private func feed(
  _ bytes: [UInt8], _ cuts: [Int], _ body: (UnsafeRawBufferPointer) throws(VMMapError) -> Void
) throws(VMMapError) {
  let result = bytes.withUnsafeBytes { (raw) -> VMMapError? in
    var last = 0
    do throws(VMMapError) {
      for cut in cuts + [bytes.count] {
        try body(UnsafeRawBufferPointer(rebasing: raw[last..<cut]))
        last = cut
      }
      return nil
    } catch { return error }
  }
  if let result { throw result }
}
