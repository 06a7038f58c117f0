import Testing

@testable import VMMapCore

/// Index splitting for 4- and 5-level paging against hand-computed addresses, and the
/// page-table counts per level against hand-counted ranges.
@Suite struct AddressSplitTests {
  func indices(_ s: AddressSplit) -> [UInt64] { s.indices.map(\.index) }

  @Test func fourLevels() {
    // (1 << 39) | (2 << 30) | (3 << 21) | (4 << 12) | 5, written out by hand.
    let s = AddressSplit(0x80_8060_4005, levels: 4)
    #expect(s.indices.map(\.level) == [.pgd, .pud, .pmd, .pte])
    #expect(indices(s) == [1, 2, 3, 4])
    #expect(s.offset == 5 && s.offsetBits == 12 && s.indexBits == 9)
    #expect(s.indices.map(\.highBit) == [47, 38, 29, 20])
    #expect(s.indices.map(\.lowBit) == [39, 30, 21, 12])
    #expect(s.indices.map(\.entrySpan) == [1 << 39, 1 << 30, 2 << 20, 4096])
    #expect(s.signBits == (63, 48) && s.signValue == 0 && s.isCanonical)
    // A stack address, split bit by bit on paper:
    // 0111 1111 1111 1111 1001 1001 1100 1110 0110 1110 1000 0000
    // = 011111111 | 111111110 | 011001110 | 011100110 | 1110 1000 0000
    let stack = AddressSplit(0x7fff_99ce_6e80, levels: 4)
    #expect(indices(stack) == [255, 510, 206, 230])
    #expect(stack.offset == 0xe80)
  }

  @Test func fiveLevels() {
    // (1 << 48) | (2 << 39) | (3 << 30) | (4 << 21) | (5 << 12) | 6.
    let s = AddressSplit(0x1_0100_c080_5006, levels: 5)
    #expect(s.indices.map(\.level) == [.pgd, .p4d, .pud, .pmd, .pte])
    #expect(indices(s) == [1, 2, 3, 4, 5])
    #expect(s.offset == 6)
    #expect(s.indices.map(\.highBit) == [56, 47, 38, 29, 20])
    #expect(s.signBits == (63, 57) && s.isCanonical)
    #expect(s[.p4d]?.index == 2 && AddressSplit(0, levels: 4)[.p4d] == nil)
    // The same stack address: the PGD index is now bits 56–48 (0), the old PGD index moves
    // to the P4D.
    #expect(indices(AddressSplit(0x7fff_99ce_6e80, levels: 5)) == [0, 255, 510, 206, 230])
    #expect(PagingLevel.pgd.intelName(levels: 5) == "PML5")
    #expect(PagingLevel.pgd.intelName(levels: 4) == "PML4")
  }

  @Test func canonicalForm() {
    // The vsyscall page: upper half, every sign bit set.
    let vsyscall = AddressSplit(0xffff_ffff_ff60_0000, levels: 4)
    #expect(vsyscall.isCanonical && vsyscall.signValue == 0xffff)
    #expect(indices(vsyscall) == [511, 511, 507, 0])
    // 2^47 is outside 4-level user space and not canonical; with 5 levels it is a user address.
    #expect(!AddressSplit(0x8000_0000_0000, levels: 4).isCanonical)
    #expect(AddressSplit(0x8000_0000_0000, levels: 5).isCanonical)
    #expect(!AddressSplit(0x0100_0000_0000_0000, levels: 5).isCanonical)
    #expect(AddressSplit(0xff00_0000_0000_0000, levels: 5).isCanonical)
  }

  @Test func tablesPerLevel() {
    func count(_ ranges: [(UInt64, UInt64, Bool)]) -> [Int] {
      PageTableCount.tables(
        covering: ranges.map { (start: $0.0, end: $0.1, skipPTE: $0.2) }, levels: 4)
    }
    #expect(count([]) == [0, 0, 0, 0])
    #expect(count([(0x1000, 0x3000, false)]) == [1, 1, 1, 1])
    // Two pages of one 2 MiB block: one PTE table.
    #expect(count([(0x1000, 0x2000, false), (0x3000, 0x4000, false)]) == [1, 1, 1, 1])
    // Two 2 MiB blocks of one GiB: two PTE tables, one PMD table.
    #expect(count([(0x1000, 0x2000, false), (0x20_0000, 0x20_1000, false)]) == [1, 1, 1, 2])
    // One range across a 2 MiB boundary.
    #expect(count([(0x1f_f000, 0x20_1000, false)]) == [1, 1, 1, 2])
    // Across the 512 GiB boundary at 0x80_0000_0000: every level below the PGD doubles.
    #expect(count([(0x7f_ffff_f000, 0x80_0000_1000, false)]) == [1, 2, 2, 2])
    // hugetlb mapped at the PMD: no PTE table.
    #expect(count([(0x4000_0000, 0x4040_0000, true)]) == [1, 1, 1, 0])
    // 5 levels: a P4D table too.
    #expect(
      PageTableCount.tables(covering: [(start: 0x1000, end: 0x2000, skipPTE: false)], levels: 5)
        == [1, 1, 1, 1, 1])
  }
}
