import Foundation

/// Test support: runs `readelf` and parses the columns the ELF tests compare.
enum ReadelfOutput {
  struct Segment: Equatable {
    var type: String
    var offset: UInt64
    var virtualAddress: UInt64
    var fileSize: UInt64
    var memorySize: UInt64
    var flags: String
  }

  struct Section: Equatable {
    var name: String
    var address: UInt64
    var offset: UInt64
    var size: UInt64
  }

  static func run(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/readelf")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
  }

  static func hex(_ s: Substring) -> UInt64? {
    UInt64(s.hasPrefix("0x") ? s.dropFirst(2) : s, radix: 16)
  }

  /// `readelf -lW PATH`: the program header rows.
  static func segments(_ path: String) throws -> [Segment] {
    let text = try run(["-lW", path])
    var out: [Segment] = []
    var inTable = false
    for line in text.split(separator: "\n") {
      if line.contains("Type") && line.contains("Offset") {
        inTable = true
        continue
      }
      if line.contains("Section to Segment") { break }
      guard inTable else { continue }
      let words = line.split(separator: " ")
      guard words.count >= 7, let offset = hex(words[1]), let vaddr = hex(words[2]),
        let filesz = hex(words[4]), let memsz = hex(words[5])
      else { continue }
      // Flags are one to three words ("R", "R E", "RW") before the alignment.
      let flagWords = words[6..<(words.count - 1)].joined()
      let flags =
        (flagWords.contains("R") ? "R" : " ") + (flagWords.contains("W") ? "W" : " ")
        + (flagWords.contains("E") ? "E" : " ")
      out.append(
        Segment(
          type: String(words[0]), offset: offset, virtualAddress: vaddr, fileSize: filesz,
          memorySize: memsz, flags: flags))
    }
    return out
  }

  /// `readelf -SW PATH`: name, address, offset and size of each section.
  static func sections(_ path: String) throws -> [Section] {
    let text = try run(["-SW", path])
    var out: [Section] = []
    for line in text.split(separator: "\n") {
      guard let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]"),
        open < close,
        Int(line[line.index(after: open)..<close].trimmingCharacters(in: .whitespaces)) != nil
      else { continue }
      let rest = line[line.index(after: close)...]
      let words = rest.split(separator: " ")
      // Section 0 has no name: its first word is the type NULL.
      let named = words.count >= 6 && words[0] != "NULL"
      let base = named ? 1 : 0
      guard words.count >= base + 4, let addr = hex(words[base + 1]),
        let off = hex(words[base + 2]), let size = hex(words[base + 3])
      else { continue }
      out.append(
        Section(name: named ? String(words[0]) : "", address: addr, offset: off, size: size))
    }
    return out
  }
}
