/// One level of the x86-64 page-table tree, by the kernel's name (the Intel manual's in
/// `intelName`).
public enum PagingLevel: String, CaseIterable, Codable, Sendable {
  /// Page global directory: the root, whose physical address is in CR3.
  case pgd = "PGD"
  /// Page level-4 directory: a real level only with 5-level paging (folded into the PGD
  /// with 4 levels).
  case p4d = "P4D"
  /// Page upper directory; an entry may map a 1 GiB page.
  case pud = "PUD"
  /// Page middle directory; an entry may map a 2 MiB page (THP, hugetlb).
  case pmd = "PMD"
  /// Page table: its entries map 4 KiB pages.
  case pte = "PTE"

  /// The Intel SDM's name of the table at this level, for `levels` levels in use.
  public func intelName(levels: Int) -> String {
    switch self {
    case .pgd: levels == 5 ? "PML5" : "PML4"
    case .p4d: "PML4"
    case .pud: "PDPT"
    case .pmd: "PD"
    case .pte: "PT"
    }
  }

  /// The levels a walk visits, root first: PGD, (P4D,) PUD, PMD, PTE.
  public static func walked(levels: Int) -> [PagingLevel] {
    levels == 5 ? [.pgd, .p4d, .pud, .pmd, .pte] : [.pgd, .pud, .pmd, .pte]
  }
}

/// A virtual address cut into the indices the MMU uses at each level and the offset in the
/// page, with the bit ranges (the seed's figure, §2.3).
public struct AddressSplit: Hashable, Sendable {
  public struct Index: Hashable, Sendable {
    public var level: PagingLevel
    /// The table entry this address selects (0 … entries − 1).
    public var index: UInt64
    /// The address bits that give the index, inclusive: `highBit` down to `lowBit`.
    public var highBit: Int
    public var lowBit: Int
    /// Bytes of address space one entry at this level covers (2^lowBit).
    public var entrySpan: UInt64 { UInt64(1) << UInt64(lowBit) }
    /// Bytes one whole table at this level covers (2^(highBit + 1)).
    public var tableSpan: UInt64 { UInt64(1) << UInt64(highBit + 1) }
  }

  public var address: UInt64
  public var levels: Int
  /// Root first.
  public var indices: [Index]
  /// Offset in a base page: bits `offsetBits − 1` down to 0.
  public var offset: UInt64
  public var offsetBits: Int
  /// Bits 63 down to the top translated bit: they must all equal that bit (canonical form).
  public var signBits: (high: Int, low: Int) { (63, offsetBits + indexBits * levels) }
  /// The value of the sign-extension bits (0 or all ones when canonical).
  public var signValue: UInt64 { address >> UInt64(signBits.low) }
  public var isCanonical: Bool {
    let unused = UInt64(64 - signBits.low)
    return UInt64(bitPattern: Int64(bitPattern: address << unused) >> Int64(unused)) == address
  }
  /// Bits per index: log2(page size / 8-byte entries) = 9 on x86-64.
  public var indexBits: Int

  /// Splits `address` for `levels`-level paging with pages of `pageSize` bytes.
  public init(_ address: UInt64, levels: Int, pageSize: UInt64 = 4096) {
    precondition(levels == 4 || levels == 5, "x86-64 walks 4 or 5 levels")
    self.address = address
    self.levels = levels
    offsetBits = pageSize.trailingZeroBitCount
    indexBits = (pageSize / 8).trailingZeroBitCount
    offset = address & (pageSize - 1)
    let walked = PagingLevel.walked(levels: levels)
    var out: [Index] = []
    for (i, level) in walked.enumerated() {
      let low = offsetBits + indexBits * (walked.count - 1 - i)
      let index = (address >> UInt64(low)) & ((UInt64(1) << UInt64(indexBits)) - 1)
      out.append(Index(level: level, index: index, highBit: low + indexBits - 1, lowBit: low))
    }
    indices = out
  }

  /// The index at `level`; nil for the P4D of a 4-level walk.
  public subscript(level: PagingLevel) -> Index? { indices.first { $0.level == level } }

  public static func == (a: AddressSplit, b: AddressSplit) -> Bool {
    a.address == b.address && a.levels == b.levels && a.offsetBits == b.offsetBits
  }
  public func hash(into h: inout Hasher) {
    h.combine(address)
    h.combine(levels)
  }
}

extension AddressSpace {
  /// `address` split for this machine's paging.
  public func split(_ address: UInt64) -> AddressSplit {
    AddressSplit(address, levels: pagingLevels, pageSize: pageSize)
  }
}
