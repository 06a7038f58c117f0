/// One 64-bit entry of `/proc/PID/pagemap` (Documentation/admin-guide/mm/pagemap.rst).
public struct PagemapEntry: Hashable, Sendable {
  public var rawValue: UInt64
  public init(rawValue: UInt64) { self.rawValue = rawValue }

  /// Bit 63: the page is in RAM.
  public var isPresent: Bool { rawValue & (1 << 63) != 0 }
  /// Bit 62: the page is in swap.
  public var isSwapped: Bool { rawValue & (1 << 62) != 0 }
  /// Bit 61: a file page or shared anonymous page (since 3.5).
  public var isFileOrSharedAnonymous: Bool { rawValue & (1 << 61) != 0 }
  /// Bit 57: write-protected by userfaultfd.
  public var isUffdWriteProtected: Bool { rawValue & (1 << 57) != 0 }
  /// Bit 56: mapped by this process only (since 4.2).
  public var isExclusive: Bool { rawValue & (1 << 56) != 0 }
  /// Bit 55: soft-dirty (only with `CONFIG_MEM_SOFT_DIRTY`).
  public var isSoftDirty: Bool { rawValue & (1 << 55) != 0 }

  /// Bits 0–54 when present: the page frame number. Zero without `CAP_SYS_ADMIN` (since 4.2),
  /// which is why a frame of 0 is reported as unavailable, never as frame 0.
  public var frameNumber: UInt64? {
    guard isPresent else { return nil }
    let pfn = rawValue & ((1 << 55) - 1)
    return pfn == 0 ? nil : pfn
  }

  /// Bits 0–4 when swapped: the swap type (which swap area).
  public var swapType: UInt64? { isSwapped ? rawValue & 0x1f : nil }
  /// Bits 5–54 when swapped: the offset in that swap area.
  public var swapOffset: UInt64? { isSwapped ? (rawValue >> 5) & ((1 << 50) - 1) : nil }
}

/// Flags of one physical page, from `/proc/kpageflags` (include/uapi/linux/kernel-page-flags.h).
public struct PageFlags: OptionSet, Hashable, Sendable {
  public var rawValue: UInt64
  public init(rawValue: UInt64) { self.rawValue = rawValue }

  /// `KPF_LOCKED` (0).
  public static var locked: Self { Self(rawValue: 1 << 0) }
  /// `KPF_ERROR` (1).
  public static var error: Self { Self(rawValue: 1 << 1) }
  /// `KPF_REFERENCED` (2).
  public static var referenced: Self { Self(rawValue: 1 << 2) }
  /// `KPF_UPTODATE` (3).
  public static var uptodate: Self { Self(rawValue: 1 << 3) }
  /// `KPF_DIRTY` (4).
  public static var dirty: Self { Self(rawValue: 1 << 4) }
  /// `KPF_LRU` (5).
  public static var lru: Self { Self(rawValue: 1 << 5) }
  /// `KPF_ACTIVE` (6).
  public static var active: Self { Self(rawValue: 1 << 6) }
  /// `KPF_SLAB` (7).
  public static var slab: Self { Self(rawValue: 1 << 7) }
  /// `KPF_WRITEBACK` (8).
  public static var writeback: Self { Self(rawValue: 1 << 8) }
  /// `KPF_RECLAIM` (9).
  public static var reclaim: Self { Self(rawValue: 1 << 9) }
  /// `KPF_BUDDY` (10): free.
  public static var buddy: Self { Self(rawValue: 1 << 10) }
  /// `KPF_MMAP` (11): mapped into some process.
  public static var mmap: Self { Self(rawValue: 1 << 11) }
  /// `KPF_ANON` (12).
  public static var anonymous: Self { Self(rawValue: 1 << 12) }
  /// `KPF_SWAPCACHE` (13).
  public static var swapCache: Self { Self(rawValue: 1 << 13) }
  /// `KPF_SWAPBACKED` (14).
  public static var swapBacked: Self { Self(rawValue: 1 << 14) }
  /// `KPF_COMPOUND_HEAD` (15).
  public static var compoundHead: Self { Self(rawValue: 1 << 15) }
  /// `KPF_COMPOUND_TAIL` (16).
  public static var compoundTail: Self { Self(rawValue: 1 << 16) }
  /// `KPF_HUGE` (17): hugetlbfs.
  public static var huge: Self { Self(rawValue: 1 << 17) }
  /// `KPF_UNEVICTABLE` (18).
  public static var unevictable: Self { Self(rawValue: 1 << 18) }
  /// `KPF_HWPOISON` (19).
  public static var hwPoison: Self { Self(rawValue: 1 << 19) }
  /// `KPF_NOPAGE` (20): no page frame at this PFN.
  public static var noPage: Self { Self(rawValue: 1 << 20) }
  /// `KPF_KSM` (21): merged by KSM.
  public static var ksm: Self { Self(rawValue: 1 << 21) }
  /// `KPF_THP` (22): part of a transparent huge page.
  public static var transparentHuge: Self { Self(rawValue: 1 << 22) }
  /// `KPF_OFFLINE` (23).
  public static var offline: Self { Self(rawValue: 1 << 23) }
  /// `KPF_ZERO_PAGE` (24): the shared zero page (or huge zero page).
  public static var zeroPage: Self { Self(rawValue: 1 << 24) }
  /// `KPF_IDLE` (25).
  public static var idle: Self { Self(rawValue: 1 << 25) }
  /// `KPF_PGTABLE` (26).
  public static var pageTable: Self { Self(rawValue: 1 << 26) }

  /// The kernel names of the set bits, lowercase, in bit order (`anon`, `lru`, `thp`, …).
  public var names: [String] {
    let table = [
      "locked", "error", "referenced", "uptodate", "dirty", "lru", "active", "slab", "writeback",
      "reclaim", "buddy", "mmap", "anon", "swapcache", "swapbacked", "compound_head",
      "compound_tail", "huge", "unevictable", "hwpoison", "nopage", "ksm", "thp", "offline",
      "zero_page", "idle", "pgtable",
    ]
    return table.indices.filter { rawValue & (1 << UInt64($0)) != 0 }.map { table[$0] }
  }
}

/// What vmmap knows of one virtual page: its pagemap entry, and for a present page with a
/// visible frame, the frame's flags and map count.
public struct PageInfo: Hashable, Sendable {
  public var address: UInt64
  public var entry: PagemapEntry
  /// From `/proc/kpageflags`; nil when the frame is not visible or the file is unreadable.
  public var flags: PageFlags?
  /// From `/proc/kpagecount`: how many times the frame is mapped; nil as for `flags`.
  public var mapCount: UInt64?

  public init(address: UInt64, entry: PagemapEntry, flags: PageFlags?, mapCount: UInt64?) {
    self.address = address
    self.entry = entry
    self.flags = flags
    self.mapCount = mapCount
  }
}
