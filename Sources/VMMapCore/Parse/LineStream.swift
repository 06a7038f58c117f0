#if canImport(Glibc)
  import Glibc
#endif

/// Something that takes procfs text one complete line at a time.
protocol LineConsumer {
  /// Parses one line (without its newline); `number` is 1-based.
  mutating func consume(line: UnsafeBufferPointer<UInt8>, number: Int) throws(ParseFailure)
  /// Called once after the last line; `lines` is the number of lines seen.
  mutating func finish(lines: Int) throws(ParseFailure)
}

/// Cuts a byte stream that arrives in chunks of any size into lines for a `LineConsumer`.
///
/// Lines wholly inside a chunk are parsed in place; only a line that spans a chunk boundary
/// is copied (into `carry`). A last line without a newline is parsed by `finish()`.
struct LineStream<Consumer: LineConsumer> {
  var consumer: Consumer
  /// Names the input in errors: `/proc/123/smaps` or a file path.
  let source: String
  private(set) var lineNumber = 0
  private var carry: [UInt8] = []
  private var finished = false

  init(_ consumer: Consumer, source: String) {
    self.consumer = consumer
    self.source = source
  }

  /// Parses every complete line in `chunk`, keeping an incomplete last line for later.
  mutating func feed(_ chunk: UnsafeRawBufferPointer) throws(VMMapError) {
    guard let base = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self), chunk.count > 0
    else { return }
    let n = chunk.count
    var start = 0
    do {
      if !carry.isEmpty {
        guard let nl = memchr(base, Int32(Byte.newline), n) else {
          carry.append(contentsOf: UnsafeBufferPointer(start: base, count: n))
          return
        }
        let len = UnsafeRawPointer(nl) - UnsafeRawPointer(base)
        carry.append(contentsOf: UnsafeBufferPointer(start: base, count: len))
        lineNumber += 1
        try carry.withUnsafeBufferPointer { (line) throws(ParseFailure) in
          try consumer.consume(line: line, number: lineNumber)
        }
        carry.removeAll(keepingCapacity: true)
        start = len + 1
      }
      while start < n {
        guard let nl = memchr(base + start, Int32(Byte.newline), n - start) else {
          carry.append(contentsOf: UnsafeBufferPointer(start: base + start, count: n - start))
          return
        }
        let end = UnsafeRawPointer(nl) - UnsafeRawPointer(base)
        lineNumber += 1
        try consumer.consume(
          line: UnsafeBufferPointer(start: base + start, count: end - start), number: lineNumber)
        start = end + 1
      }
    } catch {
      throw error.error(source: source, lineNumber: lineNumber)
    }
  }

  /// Parses a last line that had no newline and lets the consumer check the whole input.
  mutating func finish() throws(VMMapError) {
    precondition(!finished, "LineStream.finish() called twice")
    finished = true
    do {
      if !carry.isEmpty {
        lineNumber += 1
        try carry.withUnsafeBufferPointer { (line) throws(ParseFailure) in
          try consumer.consume(line: line, number: lineNumber)
        }
        carry.removeAll()
      }
      try consumer.finish(lines: lineNumber)
    } catch {
      throw error.error(source: source, lineNumber: lineNumber)
    }
  }
}
