import CVMProbes
import Glibc

/// How many page-table pages each level needs to cover some address ranges: one table per
/// distinct `tableSpan`-aligned block that a range touches (a PTE table covers 2 MiB, a PMD
/// table 1 GiB, a PUD table 512 GiB, a P4D table 256 TiB; the PGD is one table).
public enum PageTableCount {
  /// Tables per level (root first, as `PagingLevel.walked(levels:)`) for `ranges`, which must
  /// be sorted by start and disjoint; `skipPTE` ranges need no PTE table (hugetlb, mapped at
  /// the PMD or PUD).
  public static func tables(
    covering ranges: [(start: UInt64, end: UInt64, skipPTE: Bool)], levels: Int,
    pageSize: UInt64 = 4096
  ) -> [Int] {
    let split = AddressSplit(0, levels: levels, pageSize: pageSize)
    return split.indices.map { index in
      if index.level == .pgd { return ranges.isEmpty ? 0 : 1 }
      let span = index.entrySpan * (UInt64(1) << UInt64(split.indexBits))
      var count = 0
      var lastBlock: UInt64?
      for r in ranges where r.end > r.start && !(index.level == .pte && r.skipPTE) {
        let first = r.start / span
        let last = (r.end - 1) / span
        var blocks = Int(last - first) + 1
        if let lastBlock, lastBlock >= first { blocks -= Int(min(lastBlock, last) - first + 1) }
        count += max(0, blocks)
        lastBlock = max(lastBlock ?? 0, last)
      }
      return count
    }
  }

  /// The ranges of `pid`'s user address space below `top` whose pages are present or swapped
  /// (a page-table entry exists for each), from `PAGEMAP_SCAN` (Linux 6.7+), with whether the
  /// range is huge-page mapped (`PAGE_IS_HUGE`: a PMD-mapped THP or hugetlb).
  public static func mappedRanges(pid: Int32, below top: UInt64) throws(VMMapError) -> [(
    start: UInt64, end: UInt64, huge: Bool
  )] {
    let fd = try PagemapReader.openPagemap(pid: pid)
    defer { close(fd) }
    return try scan(fd: fd, pid: pid, from: 0, to: top)
  }

  /// `PAGEMAP_SCAN` over `start..<end` of an open pagemap: present or swapped ranges.
  static func scan(fd: Int32, pid: Int32, from start: UInt64, to end: UInt64) throws(VMMapError)
    -> [(start: UInt64, end: UInt64, huge: Bool)]
  {
    var out: [(start: UInt64, end: UInt64, huge: Bool)] = []
    var vector = [vmp_page_region](repeating: vmp_page_region(), count: 1024)
    var next = start
    while next < end {
      var arg = vmp_pm_scan_arg()
      arg.start = next
      arg.end = end
      arg.category_anyof_mask = UInt64(VMP_PAGE_IS_PRESENT | VMP_PAGE_IS_SWAPPED)
      arg.return_mask = UInt64(VMP_PAGE_IS_HUGE)
      let n = vector.withUnsafeMutableBufferPointer { v -> Int in
        arg.vec = UInt64(UInt(bitPattern: v.baseAddress))
        arg.vec_len = UInt64(v.count)
        return vmp_pagemap_scan(fd, &arg)
      }
      guard n >= 0 else {
        let e = Int32(-n)
        throw VMMapError(
          e == ESRCH ? .exitedDuringRead : .ioError, what: "PAGEMAP_SCAN on /proc/\(pid)/pagemap",
          why: e == ENOTTY || e == EINVAL
            ? "this kernel has no PAGEMAP_SCAN (Linux 6.7+)" : String(cString: strerror(e)),
          errno: e)
      }
      for r in vector.prefix(n) {
        out.append((r.start, r.end, r.categories & UInt64(VMP_PAGE_IS_HUGE) != 0))
      }
      guard arg.walk_end > next else { break }
      next = arg.walk_end
    }
    return out
  }

  /// Pages present or swapped in `start..<end`, and whether the first is huge-page mapped.
  public static func pagesMapped(pid: Int32, from start: UInt64, to end: UInt64)
    throws(VMMapError) -> (pages: UInt64, firstIsHuge: Bool?)
  {
    let fd = try PagemapReader.openPagemap(pid: pid)
    defer { close(fd) }
    let ranges = try scan(fd: fd, pid: pid, from: start, to: end)
    let page = AddressSpace.current.pageSize
    let total = ranges.reduce(UInt64(0)) { $0 + ($1.end - $1.start) / page }
    let first = ranges.first.flatMap { $0.start == start ? $0.huge : nil }
    return (total, first)
  }
}

/// Whether this kernel tracks soft-dirty bits (pagemap bit 55), and how vmmap knows.
public struct SoftDirtySupport: Hashable, Sendable {
  /// nil when nothing tells.
  public var supported: Bool?
  /// `CONFIG_MEM_SOFT_DIRTY` in /proc/config.gz, or the `sd` VmFlag seen in smaps.
  public var source: String

  /// The kernel configuration decides when it is readable; otherwise a region with the `sd`
  /// VmFlag proves support (new mappings start soft-dirty); no `sd` anywhere proves nothing.
  public static func detect(vmFlagsSeen: [VMFlags]) -> SoftDirtySupport {
    if let config = MachineFacts.readKernelConfig() {
      let options = MachineFacts.selectConfig(config)
      if let value = options["CONFIG_MEM_SOFT_DIRTY"] {
        return SoftDirtySupport(
          supported: value == "y",
          source: "CONFIG_MEM_SOFT_DIRTY=\(value) in /proc/config.gz")
      }
    }
    if vmFlagsSeen.contains(where: { $0.contains("sd") }) {
      return SoftDirtySupport(supported: true, source: "the sd VmFlag in smaps")
    }
    return SoftDirtySupport(
      supported: nil, source: "no kernel configuration and no sd VmFlag: cannot tell")
  }
}
