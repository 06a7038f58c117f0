/// One ELF64 section header (`Elf64_Shdr`), with its name from `.shstrtab`.
public struct SectionHeader: Hashable, Sendable {
  public var name: String
  /// `sh_type` (`SHT_NOBITS` 8 for `.bss`).
  public var type: UInt32
  /// `sh_flags` (`SHF_ALLOC` 2: occupies memory at run time).
  public var flags: UInt64
  public var address: UInt64
  public var offset: UInt64
  public var size: UInt64

  public init(
    name: String, type: UInt32, flags: UInt64, address: UInt64, offset: UInt64, size: UInt64
  ) {
    self.name = name
    self.type = type
    self.flags = flags
    self.address = address
    self.offset = offset
    self.size = size
  }

  /// `SHF_ALLOC`: the section is in memory when the object is loaded.
  public var isAllocated: Bool { flags & 2 != 0 }
  /// `SHT_NOBITS`: occupies memory but no file bytes (`.bss`, `.tbss`).
  public var isNoBits: Bool { type == 8 }

  /// End address (`sh_addr + sh_size`), saturating.
  public var addressEnd: UInt64 {
    let (sum, overflow) = address.addingReportingOverflow(size)
    return overflow ? .max : sum
  }
}
