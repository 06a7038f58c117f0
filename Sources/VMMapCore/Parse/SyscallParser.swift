/// What `/proc/PID/task/TID/syscall` says about a thread.
public enum ThreadSyscallState: Hashable, Sendable {
  /// `running`: on a CPU, no stack pointer to report.
  case running
  /// Blocked in system call `number` (`nr a1 … a6 sp pc`).
  case inSyscall(number: Int64, stackPointer: UInt64, programCounter: UInt64)
  /// Blocked outside a system call (`-1 sp pc`), for example stopped by a signal.
  case blocked(stackPointer: UInt64, programCounter: UInt64)

  /// The user stack pointer, when the thread is not running.
  public var stackPointer: UInt64? {
    switch self {
    case .running: nil
    case .inSyscall(_, let sp, _), .blocked(let sp, _): sp
    }
  }
}

/// Parses `/proc/PID/task/TID/syscall`: `running`, `-1 0xSP 0xPC`, or
/// `NR 0xA1 0xA2 0xA3 0xA4 0xA5 0xA6 0xSP 0xPC`.
public enum SyscallParser {
  public static func parse(_ bytes: [UInt8], source: String) throws(VMMapError)
    -> ThreadSyscallState
  {
    var text = bytes
    if text.last == Byte.newline { text.removeLast() }
    let words = text.split(separator: Byte.space, omittingEmptySubsequences: false)
    func fail(_ why: String) -> VMMapError {
      ParseFailure(why, excerpt: escapedExcerpt(bytes: bytes)).error(source: source, lineNumber: 1)
    }
    if words.count == 1, Array(words[0]) == Array("running".utf8) { return .running }
    guard words.count == 3 || words.count == 9 else {
      throw fail("expected 'running', '-1 sp pc' or 'nr a1 … a6 sp pc'")
    }
    let nrText = Array(words[0])
    let nr: Int64? = nrText.withUnsafeBufferPointer { b in
      var i = 0
      guard let v = b.scanSignedDecimal(&i), i == b.count else { return nil }
      return Int64(bitPattern: v)
    }
    guard let nr else { throw fail("expected a decimal system call number") }
    var values: [UInt64] = []
    for w in words.dropFirst() {
      let v: UInt64? = Array(w).withUnsafeBufferPointer { b in
        var i = 2
        guard b.count > 2, b[0] == Byte.zero, b[1] == UInt8(ascii: "x"),
          let v = b.scanHex(&i), i == b.count
        else { return nil }
        return v
      }
      guard let v else { throw fail("expected 0x-prefixed hex numbers") }
      values.append(v)
    }
    if words.count == 3 {
      guard nr == -1 else { throw fail("a 3-field line must start with -1") }
      return .blocked(stackPointer: values[0], programCounter: values[1])
    }
    return .inSyscall(number: nr, stackPointer: values[6], programCounter: values[7])
  }
}
