/// Parses `/proc/PID/stat` and `/proc/PID/task/TID/stat` (proc(5) field numbers).
///
/// `comm` (field 2) is everything between the first `(` and the last `)`: a task may name
/// itself with spaces, parentheses or newlines. The fields after it are space-separated
/// numbers; fields 3–39 must be present.
public enum StatParser {
  public static func parse(_ bytes: [UInt8], source: String) throws(VMMapError) -> ProcessStat {
    do {
      return try bytes.withUnsafeBufferPointer { (b) throws(ParseFailure) in try parse(b) }
    } catch {
      throw error.error(source: source, lineNumber: 1)
    }
  }

  static func parse(_ b: UnsafeBufferPointer<UInt8>) throws(ParseFailure) -> ProcessStat {
    guard let open = b.firstIndex(of: UInt8(ascii: "(")),
      let close = b.lastIndex(of: UInt8(ascii: ")")), open < close
    else { throw ParseFailure("expected 'PID (comm) …'", line: b) }
    var s = ProcessStat()
    var i = 0
    guard let pid = b.scanDecimal(&i), pid <= UInt64(Int32.max), b.expect(Byte.space, &i),
      i == open
    else { throw ParseFailure("expected the PID before '('", column: i + 1, line: b) }
    s.pid = Int32(pid)
    s.comm = PathBytes(Array(UnsafeBufferPointer(rebasing: b[(open + 1)..<close])))
    i = close + 1
    var end = b.count
    if end > i, b[end - 1] == Byte.newline { end -= 1 }
    let rest = UnsafeBufferPointer(rebasing: b[i..<end])
    i = 0
    guard rest.expect(Byte.space, &i), i < rest.count else {
      throw ParseFailure("expected the state after ')'", column: close + 2, line: b)
    }
    s.state = rest[i]
    i += 1
    // Fields 4 … : numbers, possibly negative (priority, nice, exit_code …).
    var fields: [UInt64] = []
    fields.reserveCapacity(50)
    while i < rest.count {
      guard rest.expect(Byte.space, &i), let v = rest.scanSignedDecimal(&i) else {
        throw ParseFailure(
          "expected a number for field \(fields.count + 4)", column: close + 2 + i, line: b)
      }
      fields.append(v)
    }
    guard fields.count >= 36 else {
      throw ParseFailure("only \(fields.count + 3) fields; expected at least 39", line: b)
    }
    func f(_ n: Int) -> UInt64 { fields[n - 4] }
    s.ppid = Int32(truncatingIfNeeded: Int64(bitPattern: f(4)))
    s.flags = f(9)
    s.minorFaults = f(10)
    s.childMinorFaults = f(11)
    s.majorFaults = f(12)
    s.childMajorFaults = f(13)
    s.userTicks = f(14)
    s.systemTicks = f(15)
    s.threads = Int64(bitPattern: f(20))
    s.startTime = f(22)
    s.virtualSize = f(23)
    s.residentPages = Int64(bitPattern: f(24))
    s.startStack = f(28)
    s.stackPointer = f(29)
    s.instructionPointer = f(30)
    s.processor = Int32(truncatingIfNeeded: Int64(bitPattern: f(39)))
    return s
  }
}

extension ProcessStat {
  /// `PF_EXITING` (0x4) in the flags: the task has begun to exit.
  static let exitingFlag: UInt64 = 0x4
}
