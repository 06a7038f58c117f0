/// Parses `/proc/PID/maps` text into `[Mapping]`, streaming: feed chunks of any size.
///
///     var parser = MapsParser(source: "/proc/123/maps")
///     try parser.feed(chunk)          // as often as needed
///     let mappings = try parser.finish()
///
/// Any line that does not parse throws `VMMapError(.badData)` naming the line; nothing is
/// skipped. Lines must be in address order and disjoint, with page-aligned `start < end`.
public struct MapsParser {
  private var stream: LineStream<Consumer>

  public init(source: String) {
    stream = LineStream(Consumer(), source: source)
  }

  /// Parses every complete line of `chunk`.
  public mutating func feed(_ chunk: UnsafeRawBufferPointer) throws(VMMapError) {
    try stream.feed(chunk)
  }

  /// Parses the last line (a missing final newline is fine) and returns all mappings.
  public mutating func finish() throws(VMMapError) -> [Mapping] {
    try stream.finish()
    return stream.consumer.mappings
  }

  /// Parses a whole maps text at once.
  public static func parse(_ bytes: [UInt8], source: String) throws(VMMapError) -> [Mapping] {
    var parser = MapsParser(source: source)
    try withRawBytes(bytes) { (raw) throws(VMMapError) in try parser.feed(raw) }
    return try parser.finish()
  }

  struct Consumer: LineConsumer {
    var mappings: [Mapping] = []
    var order = MappingOrder()

    mutating func consume(line: UnsafeBufferPointer<UInt8>, number: Int) throws(ParseFailure) {
      let m = try MapsLine.parse(line)
      try order.check(m, line: number)
      mappings.append(m)
    }

    mutating func finish(lines: Int) throws(ParseFailure) {}
  }
}
