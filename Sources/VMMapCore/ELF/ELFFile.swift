/// The headers of one ELF64 little-endian file: type, program headers and (when present)
/// section headers with their names.
///
/// Parsing is defensive: every offset and count is checked against the file size, counts are
/// capped (`maxProgramHeaders`, `maxSections`), and nothing traps on a hostile file.
public struct ELFFile: Hashable, Sendable {
  /// `e_type`.
  public enum FileType: Hashable, Sendable {
    /// `ET_REL` (1): an object file, never mapped by the loader.
    case relocatable
    /// `ET_EXEC` (2): a position-dependent executable.
    case executable
    /// `ET_DYN` (3): a shared object, a PIE executable, or the dynamic loader.
    case sharedObject
    /// `ET_CORE` (4).
    case core
    case other(UInt16)

    init(raw: UInt16) {
      switch raw {
      case 1: self = .relocatable
      case 2: self = .executable
      case 3: self = .sharedObject
      case 4: self = .core
      default: self = .other(raw)
      }
    }

    /// The name `readelf -h` uses (`EXEC`, `DYN`).
    public var name: String {
      switch self {
      case .relocatable: "REL"
      case .executable: "EXEC"
      case .sharedObject: "DYN"
      case .core: "CORE"
      case .other(let v): "0x\(String(v, radix: 16))"
      }
    }
  }

  public static let maxProgramHeaders = 4096
  public static let maxSections = 65536

  public var type: FileType
  /// `e_machine` (62 is x86-64).
  public var machine: UInt16
  public var entry: UInt64
  public var programHeaders: [ProgramHeader]
  /// Empty when the file has no section headers (or they could not be read: see
  /// `sectionProblem`).
  public var sections: [SectionHeader]
  /// Why the section headers were not read, when the file has some but they are unusable.
  public var sectionProblem: String?
  /// The `PT_INTERP` path (`/lib64/ld-linux-x86-64.so.2`), when present and readable.
  public var interpreter: String?

  /// The `PT_LOAD` headers, in file order.
  public var loadSegments: [ProgramHeader] {
    programHeaders.filter { $0.type == ProgramHeader.load }
  }

  /// The `PT_GNU_RELRO` header, if any.
  public var relro: ProgramHeader? {
    programHeaders.first { $0.type == ProgramHeader.gnuRelro }
  }

  /// True when a `PT_DYNAMIC` header is present (dynamically linked).
  public var isDynamic: Bool { programHeaders.contains { $0.type == ProgramHeader.dynamic } }

  /// Parses headers through `read(offset, count)`, which returns at most `count` bytes at
  /// `offset` (fewer at the end of the file). `fileSize` bounds every table.
  public init(
    fileSize: UInt64, read: (UInt64, Int) throws(ELFError) -> [UInt8]
  ) throws(ELFError) {
    let header = try read(0, 64)
    guard header.count >= 4 else { throw ELFError(.tooShort) }
    guard header[0] == 0x7f, header[1] == 0x45, header[2] == 0x4c, header[3] == 0x46 else {
      throw ELFError(.notELF)
    }
    guard header.count >= 64 else { throw ELFError(.tooShort) }
    guard header[4] == 2, header[5] == 1 else { throw ELFError(.unsupportedFormat) }
    let h = LittleEndianBytes(header)
    type = FileType(raw: h.u16(16))
    machine = h.u16(18)
    entry = h.u64(24)
    let phoff = h.u64(32)
    let shoff = h.u64(40)
    let phentsize = Int(h.u16(54))
    var phnum = Int(h.u16(56))
    let shentsize = Int(h.u16(58))
    var shnum = Int(h.u16(60))
    var shstrndx = Int(h.u16(62))

    // Section 0 holds the real counts when they overflow 16 bits (PN_XNUM, SHN_XINDEX).
    var section0: LittleEndianBytes?
    if shoff != 0, shentsize == 64, shoff <= fileSize, fileSize - shoff >= 64 {
      let bytes = try read(shoff, 64)
      if bytes.count == 64 { section0 = LittleEndianBytes(bytes) }
    }
    if phnum == 0xffff, let s0 = section0 { phnum = Int(truncatingIfNeeded: s0.u32(44)) }
    if shnum == 0, let s0 = section0, shoff != 0 { shnum = Int(clamping: s0.u64(32)) }
    if shstrndx == 0xffff, let s0 = section0 { shstrndx = Int(s0.u32(40)) }

    programHeaders = try ELFFile.readProgramHeaders(
      offset: phoff, count: phnum, entrySize: phentsize, fileSize: fileSize, read: read)
    for (i, p) in programHeaders.enumerated() where p.type == ProgramHeader.load {
      guard p.offset <= fileSize, fileSize - p.offset >= p.fileSize else {
        throw ELFError(.malformed("PT_LOAD #\(i) ends past the end of the file (truncated?)"))
      }
    }
    interpreter = nil
    sections = []
    sectionProblem = nil
    if let interp = programHeaders.first(where: { $0.type == ProgramHeader.interpreter }),
      interp.fileSize > 0, interp.fileSize <= 4096, interp.offset <= fileSize,
      fileSize - interp.offset >= interp.fileSize
    {
      var bytes = try read(interp.offset, Int(interp.fileSize))
      if let nul = bytes.firstIndex(of: 0) { bytes.removeSubrange(nul...) }
      interpreter = String(decoding: bytes, as: UTF8.self)
    }
    if shoff != 0, shnum > 0 {
      do {
        sections = try ELFFile.readSections(
          offset: shoff, count: shnum, entrySize: shentsize, nameIndex: shstrndx,
          fileSize: fileSize, read: read)
      } catch {
        sectionProblem = error.description
      }
    }
  }

  /// Parses headers from bytes in memory (tests, fuzzing).
  public init(bytes: [UInt8]) throws(ELFError) {
    try self.init(fileSize: UInt64(bytes.count)) { (offset, count) throws(ELFError) in
      guard offset < UInt64(bytes.count), count > 0 else { return [] }
      let start = Int(offset)
      return Array(bytes[start..<(start + min(count, bytes.count - start))])
    }
  }

  private static func readProgramHeaders(
    offset: UInt64, count: Int, entrySize: Int, fileSize: UInt64,
    read: (UInt64, Int) throws(ELFError) -> [UInt8]
  ) throws(ELFError) -> [ProgramHeader] {
    guard count > 0 else { return [] }
    guard entrySize == 56 else { throw ELFError(.malformed("e_phentsize \(entrySize), not 56")) }
    guard count <= maxProgramHeaders else {
      throw ELFError(.malformed("\(count) program headers (more than \(maxProgramHeaders))"))
    }
    let total = UInt64(count * 56)
    guard offset <= fileSize, fileSize - offset >= total else {
      throw ELFError(.malformed("program header table past the end of the file"))
    }
    let bytes = try read(offset, Int(total))
    guard bytes.count == Int(total) else { throw ELFError(.malformed("short program headers")) }
    let b = LittleEndianBytes(bytes)
    return (0..<count).map { i in
      let o = i * 56
      return ProgramHeader(
        type: b.u32(o), flags: b.u32(o + 4), offset: b.u64(o + 8), virtualAddress: b.u64(o + 16),
        fileSize: b.u64(o + 32), memorySize: b.u64(o + 40), alignment: b.u64(o + 48))
    }
  }

  private static func readSections(
    offset: UInt64, count: Int, entrySize: Int, nameIndex: Int, fileSize: UInt64,
    read: (UInt64, Int) throws(ELFError) -> [UInt8]
  ) throws(ELFError) -> [SectionHeader] {
    guard entrySize == 64 else { throw ELFError(.malformed("e_shentsize \(entrySize), not 64")) }
    guard count <= maxSections else {
      throw ELFError(.malformed("\(count) sections (more than \(maxSections))"))
    }
    let total = UInt64(count) * 64
    guard offset <= fileSize, fileSize - offset >= total else {
      throw ELFError(.malformed("section header table past the end of the file"))
    }
    let bytes = try read(offset, Int(total))
    guard bytes.count == Int(total) else { throw ELFError(.malformed("short section headers")) }
    let b = LittleEndianBytes(bytes)
    var names: LittleEndianBytes?
    if nameIndex > 0, nameIndex < count {
      let o = nameIndex * 64
      let strOffset = b.u64(o + 24)
      let strSize = min(b.u64(o + 32), 1 << 24)
      if strSize > 0, strOffset <= fileSize, fileSize - strOffset >= strSize {
        names = LittleEndianBytes(try read(strOffset, Int(strSize)))
      }
    }
    return (0..<count).map { i in
      let o = i * 64
      return SectionHeader(
        name: names?.cString(at: Int(b.u32(o))) ?? "", type: b.u32(o + 4), flags: b.u64(o + 8),
        address: b.u64(o + 16), offset: b.u64(o + 24), size: b.u64(o + 32))
    }
  }
}
