/// One ELF64 program header (`Elf64_Phdr`).
public struct ProgramHeader: Hashable, Sendable {
  /// `p_type`; see the `PT_*` constants on `ProgramHeader`.
  public var type: UInt32
  /// `p_flags`: `PF_X` 1, `PF_W` 2, `PF_R` 4.
  public var flags: UInt32
  public var offset: UInt64
  public var virtualAddress: UInt64
  public var fileSize: UInt64
  public var memorySize: UInt64
  public var alignment: UInt64

  public init(
    type: UInt32, flags: UInt32, offset: UInt64, virtualAddress: UInt64, fileSize: UInt64,
    memorySize: UInt64, alignment: UInt64
  ) {
    self.type = type
    self.flags = flags
    self.offset = offset
    self.virtualAddress = virtualAddress
    self.fileSize = fileSize
    self.memorySize = memorySize
    self.alignment = alignment
  }

  /// `PT_LOAD`: a segment mapped from the file.
  public static let load: UInt32 = 1
  /// `PT_DYNAMIC`: the dynamic section.
  public static let dynamic: UInt32 = 2
  /// `PT_INTERP`: the path of the program interpreter (the dynamic loader).
  public static let interpreter: UInt32 = 3
  /// `PT_GNU_RELRO`: made read-only after relocation.
  public static let gnuRelro: UInt32 = 0x6474_e552

  public var isReadable: Bool { flags & 4 != 0 }
  public var isWritable: Bool { flags & 2 != 0 }
  public var isExecutable: Bool { flags & 1 != 0 }

  /// The flags as `readelf` prints them (`R E`, `RW `).
  public var flagString: String {
    (isReadable ? "R" : " ") + (isWritable ? "W" : " ") + (isExecutable ? "E" : " ")
  }

  /// End of the segment in memory (`p_vaddr + p_memsz`), saturating.
  public var memoryEnd: UInt64 {
    let (sum, overflow) = virtualAddress.addingReportingOverflow(memorySize)
    return overflow ? .max : sum
  }
}
