/// Parses `/proc/PID/status`: `Key:<tab>value` lines.
///
/// `Vm*`, `Rss*` and `HugetlbPages` (printed in kB) are stored in bytes; `Name` is unescaped
/// (the kernel writes a newline in it as `\n` and a backslash as `\\`); every line is kept.
public enum StatusParser {
  public static func parse(_ bytes: [UInt8], source: String) throws(VMMapError) -> ProcessStatus {
    var stream = LineStream(Consumer(), source: source)
    try withRawBytes(bytes) { (raw) throws(VMMapError) in try stream.feed(raw) }
    try stream.finish()
    return stream.consumer.status
  }

  struct Consumer: LineConsumer {
    var status = ProcessStatus()

    mutating func consume(line: UnsafeBufferPointer<UInt8>, number: Int) throws(ParseFailure) {
      guard let colon = line.firstIndex(of: Byte.colon), colon > 0 else {
        throw ParseFailure("expected 'Key:' at the start of the line", column: 1, line: line)
      }
      let key = String(decoding: UnsafeBufferPointer(rebasing: line[0..<colon]), as: UTF8.self)
      var i = colon + 1
      if key == "Name" {
        // "Name:\t%s": the value is everything after the tab, untrimmed.
        _ = line.expect(Byte.tab, &i)
        let name = unescapeName(UnsafeBufferPointer(rebasing: line[i...]))
        status.name = String(decoding: name, as: UTF8.self)
        status.lines.append((key, status.name))
        return
      }
      line.skipSpaces(&i, tabs: true)
      let valueStart = i
      var valueEnd = line.count
      while valueEnd > valueStart,
        line[valueEnd - 1] == Byte.space || line[valueEnd - 1] == Byte.tab
      {
        valueEnd -= 1
      }
      let valueBytes = UnsafeBufferPointer(rebasing: line[valueStart..<valueEnd])
      let value = String(decoding: valueBytes, as: UTF8.self)
      status.lines.append((key, value))
      switch key {
      case "State":
        guard let first = value.first else {
          throw ParseFailure("State is empty", line: line)
        }
        status.state = first
      case "Tgid": status.tgid = try int32(valueBytes, key, line)
      case "Pid": status.pid = try int32(valueBytes, key, line)
      case "PPid": status.ppid = try int32(valueBytes, key, line)
      case "Threads": status.threads = Int(try int32(valueBytes, key, line))
      default:
        if key.hasPrefix("Vm") || key.hasPrefix("Rss") || key == "HugetlbPages" {
          var j = 0
          guard let kB = valueBytes.scanDecimal(&j), valueBytes.restEquals(" kB", from: j) else {
            throw ParseFailure("expected '\(key): N kB'", line: line)
          }
          let (v, overflow) = kB.multipliedReportingOverflow(by: 1024)
          if overflow { throw ParseFailure("\(key) is too large", line: line) }
          status.memory[key] = v
        }
      }
    }

    mutating func finish(lines: Int) throws(ParseFailure) {}

    private func int32(
      _ v: UnsafeBufferPointer<UInt8>, _ key: String, _ line: UnsafeBufferPointer<UInt8>
    ) throws(ParseFailure) -> Int32 {
      var j = 0
      guard let n = v.scanDecimal(&j), j == v.count, n <= UInt64(Int32.max) else {
        throw ParseFailure("expected a number after \(key):", line: line)
      }
      return Int32(n)
    }
  }

  /// Undoes the kernel's escaping of a task name in status (`\n`, `\\`, and the other
  /// `string_escape` forms `\t \r \f \v \a \e \"` for older kernels); other bytes stay.
  static func unescapeName(_ b: UnsafeBufferPointer<UInt8>) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(b.count)
    var i = 0
    while i < b.count {
      if b[i] == UInt8(ascii: "\\"), i + 1 < b.count {
        let mapped: UInt8? =
          switch b[i + 1] {
          case UInt8(ascii: "n"): 0x0a
          case UInt8(ascii: "t"): 0x09
          case UInt8(ascii: "r"): 0x0d
          case UInt8(ascii: "f"): 0x0c
          case UInt8(ascii: "v"): 0x0b
          case UInt8(ascii: "a"): 0x07
          case UInt8(ascii: "e"): 0x1b
          case UInt8(ascii: "\\"): UInt8(ascii: "\\")
          case UInt8(ascii: "\""): UInt8(ascii: "\"")
          default: nil
          }
        if let mapped {
          out.append(mapped)
          i += 2
          continue
        }
      }
      out.append(b[i])
      i += 1
    }
    return out
  }
}
