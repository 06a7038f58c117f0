/// Parses `/proc/PID/smaps` text into `[Region]` (each with its `SmapsCounters`), streaming:
/// feed chunks of any size, then `finish()`.
///
/// An entry is a maps-style header line followed by `Name:  value [kB]` lines and a `VmFlags:`
/// line. Values in kB are stored in bytes; fields this code does not know go to `extra`. A field
/// before any header, a field printed twice in one entry, a header with no fields, or counters
/// that contradict each other (`Rss` above `Size` …) throw `VMMapError(.badData)` with the line.
public struct SmapsParser {
  private var stream: LineStream<Consumer>

  public init(source: String) {
    stream = LineStream(Consumer(), source: source)
  }

  /// Parses every complete line of `chunk`.
  public mutating func feed(_ chunk: UnsafeRawBufferPointer) throws(VMMapError) {
    try stream.feed(chunk)
  }

  /// Parses the last line and returns every region.
  public mutating func finish() throws(VMMapError) -> [Region] {
    try stream.finish()
    return stream.consumer.regions
  }

  /// Bytes-per-region estimate used to reserve the result array.
  public mutating func reserveCapacity(_ regions: Int) {
    stream.consumer.regions.reserveCapacity(regions)
  }

  /// Parses a whole smaps text at once.
  public static func parse(_ bytes: [UInt8], source: String) throws(VMMapError) -> [Region] {
    var parser = SmapsParser(source: source)
    try withRawBytes(bytes) { (raw) throws(VMMapError) in try parser.feed(raw) }
    return try parser.finish()
  }

  struct Consumer: LineConsumer {
    var regions: [Region] = []
    private var order = MappingOrder()
    private var current: Mapping?
    private var headerLine = 0
    private var counters = SmapsCounters()
    private var fieldLines = 0
    private var guess = 0
    private let table = SmapsKeyTable.shared

    mutating func consume(line: UnsafeBufferPointer<UInt8>, number: Int) throws(ParseFailure) {
      if MapsLine.looksLikeHeader(line) {
        try endEntry()
        let m = try MapsLine.parse(line)
        try order.check(m, line: number)
        current = m
        headerLine = number
        return
      }
      try field(line, number: number)
    }

    mutating func finish(lines: Int) throws(ParseFailure) {
      try endEntry()
    }

    private mutating func endEntry() throws(ParseFailure) {
      guard let m = current else { return }
      if fieldLines == 0 {
        var f = ParseFailure(
          "mapping \(MapsLine.hex(m.start))-\(MapsLine.hex(m.end)) has no smaps fields "
            + "(is this a maps file rather than smaps?)")
        f.lineNumber = headerLine
        throw f
      }
      if let why = counters.invariantViolation(mappingSize: m.size) {
        var f = ParseFailure(
          "inconsistent counters for \(MapsLine.hex(m.start))-\(MapsLine.hex(m.end)): \(why)")
        f.lineNumber = headerLine
        throw f
      }
      regions.append(Region(mapping: m, counters: counters))
      current = nil
      counters = SmapsCounters()
      fieldLines = 0
      guess = 0
    }

    /// One `Name: value [kB]` or `VmFlags: …` line.
    private mutating func field(_ line: UnsafeBufferPointer<UInt8>, number: Int)
      throws(ParseFailure)
    {
      // The key: up to the colon, packed for the table when it is 16 bytes or shorter.
      var i = 0
      var key = SmapsKeyTable.Key(lo: 0, hi: 0)
      while i < line.count {
        let b = line[i]
        if b == Byte.colon { break }
        guard b > 0x20, b < 0x7f else {
          throw ParseFailure(
            "expected a field name followed by ':' (or a mapping header)", column: i + 1, line: line
          )
        }
        if i < 8 {
          key.lo |= UInt64(b) &<< (8 &* UInt64(i))
        } else if i < 16 {
          key.hi |= UInt64(b) &<< (8 &* UInt64(i &- 8))
        }
        i += 1
      }
      guard i > 0, i < line.count else {
        throw ParseFailure(
          "expected a field name followed by ':' (or a mapping header)", column: i + 1, line: line)
      }
      let keyLength = i
      guard current != nil else {
        throw ParseFailure("a field line comes before any mapping header line", line: line)
      }
      fieldLines += 1
      i += 1  // the colon
      if keyLength == 7, key == table.vmFlagsKey {
        guard counters.vmFlags == nil else {
          throw ParseFailure("VmFlags appears twice in one entry", line: line)
        }
        counters.vmFlags = table.vmFlags(line, from: i)
        return
      }
      line.skipSpaces(&i)
      guard let value = line.scanDecimal(&i) else {
        throw ParseFailure("expected a decimal value", column: i + 1, line: line)
      }
      let kB: Bool
      if i == line.count {
        kB = false
      } else if line.count - i == 3, line[i] == Byte.space, line[i + 1] == UInt8(ascii: "k"),
        line[i + 2] == UInt8(ascii: "B")
      {
        kB = true
      } else {
        throw ParseFailure("expected ' kB' or the end of the line", column: i + 1, line: line)
      }
      let field = keyLength <= 16 ? table.field(for: key, guess: guess) : nil
      if let field {
        guard kB == field.isKilobytes else {
          throw ParseFailure(
            kB ? "\(field.kernelName) is a plain number, not kB" : "expected ' kB' after the value",
            column: i + 1, line: line)
        }
        guard !counters.has(field) else {
          throw ParseFailure("\(field.kernelName) appears twice in one entry", line: line)
        }
        counters[field] = try bytes(value, kB: kB, line: line)
        guess = field.rawValue + 1
      } else {
        let name = String(
          decoding: UnsafeBufferPointer(rebasing: line[0..<keyLength]), as: UTF8.self)
        counters.extra.append(
          SmapsCounters.ExtraField(
            name: name, value: try bytes(value, kB: kB, line: line), isKilobytes: kB))
      }
    }

    private func bytes(_ value: UInt64, kB: Bool, line: UnsafeBufferPointer<UInt8>)
      throws(ParseFailure) -> UInt64
    {
      guard kB else { return value }
      let (v, overflow) = value.multipliedReportingOverflow(by: 1024)
      if overflow { throw ParseFailure("the value is too large", line: line) }
      return v
    }
  }
}
