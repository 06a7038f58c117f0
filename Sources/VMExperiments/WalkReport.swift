import VMMapCore

/// What `vmmap --walk ADDR [--pid PID]` found (docs/schema/walk.schema.json): each address
/// split into its page-table indices and followed as far as user space can see, and what the
/// process's page tables cost.
public struct WalkReport: Codable, Hashable, Sendable {
  /// The version of this shape (docs/schema/walk.schema.json).
  public var schemaVersion = 1
  public var pid: Int32
  /// The process's name (`Name:` in status), as the kernel has it.
  public var command: String
  /// 4 or 5, from the CPU's `la57` and the highest address the kernel hands out.
  public var levels: Int
  public var cpuHasLA57: Bool
  public var virtualAddressBits: Int
  public var pageSize: UInt64
  /// One past the highest user address.
  public var userTop: Address
  /// Whether pagemap bit 55 (soft-dirty) means anything on this kernel.
  public var softDirtySupported: Bool?
  public var softDirtySource: String
  public var walks: [AddressWalk]
  public var pageTables: PageTableCost
  /// What the kernel keeps from user space on the way, said once.
  public var hidden: [String]
  /// The sandboxed child that did the reading (set by the parent).
  public var sandbox: SandboxUsage?
}

/// One address, followed.
public struct AddressWalk: Codable, Hashable, Sendable {
  public var address: Address
  /// What the caller called it (`text`, `heap`, …); nil from the command line.
  public var label: String?
  /// Bits 63 down to the top translated bit all equal that bit.
  public var canonical: Bool
  /// Below `userTop`: translated by this process's user page tables.
  public var userSpace: Bool
  /// Bits 63 … 48 (or 57) and their value.
  public var signBits: BitRange
  /// Root first.
  public var steps: [WalkStep]
  /// The offset in a base page (bits 11 … 0).
  public var pageOffset: BitRange
  /// The region holding the address; nil in a gap or outside user space.
  public var region: WalkRegion?
  /// The gap holding the address (user space, no region).
  public var gap: WalkGap?
  /// The size of the page that maps the address, and how vmmap knows it.
  public var mappedPageSize: UInt64?
  public var pageSizeSource: String?
  /// The level whose entry maps the page: `PTE`, `PMD` (2 MiB) or `PUD` (1 GiB).
  public var leafLevel: PagingLevel?
  /// The offset inside the mapped page: bits 11 … 0, or 20 … 0 for a 2 MiB page.
  public var leafOffset: BitRange?
  public var page: WalkPage?
  /// What a read, a write and an execute here would do (and the fault on the way).
  public var accesses: [WalkAccess]
  /// One sentence: where the walk ended and why.
  public var conclusion: String
}

/// Some bits of the address: `high` down to `low`, inclusive, and their value.
public struct BitRange: Codable, Hashable, Sendable {
  public var high: Int
  public var low: Int
  public var value: UInt64
}

/// One level of the walk.
public struct WalkStep: Codable, Hashable, Sendable {
  public var level: PagingLevel
  /// The Intel manual's name of the table (PML4, PDPT, PD, PT).
  public var intelName: String
  public var index: UInt64
  public var bits: BitRange
  /// Address space one entry at this level covers.
  public var entrySpan: UInt64
  /// The range the selected entry covers.
  public var spanStart: Address
  public var spanEnd: Address
  /// Pages present or swapped in that range (PAGEMAP_SCAN): when more than zero, the entry
  /// must point somewhere. nil above user space or when the scan is not available.
  public var mappedPagesBelow: UInt64?
  /// True for the level whose entry maps the page itself (a huge page ends the walk early);
  /// the levels below it are not used for this address.
  public var isLeaf: Bool
  public var usedForThisAddress: Bool
}

public struct WalkRegion: Codable, Hashable, Sendable {
  public var start: Address
  public var end: Address
  public var permissions: String
  public var kind: RegionKind
  public var description: String
  /// The name in maps (escaped by each renderer).
  public var name: String
  /// smaps `KernelPageSize` and `MMUPageSize`.
  public var kernelPageSize: UInt64?
  public var mmuPageSize: UInt64?
  /// smaps `AnonHugePages` (PMD-mapped THP), `FilePmdMapped`, `ShmemPmdMapped`.
  public var anonHugePages: UInt64?
  public var filePmdMapped: UInt64?
  public var shmemPmdMapped: UInt64?
  public var rss: UInt64?
  public var vmFlags: [String]
}

public struct WalkGap: Codable, Hashable, Sendable {
  public var start: Address
  public var end: Address
}

/// The leaf: the pagemap entry and, for a visible frame, kpageflags and kpagecount.
public struct WalkPage: Codable, Hashable, Sendable {
  /// The raw 64-bit pagemap entry.
  public var pagemap: Address
  public var present: Bool
  public var swapped: Bool
  /// Bit 56: mapped by this process only.
  public var exclusive: Bool
  /// Bit 61: a file page or shared anonymous page.
  public var fileOrShared: Bool
  /// Bit 55; nil when the kernel does not track soft-dirty (the bit is always 0 then).
  public var softDirty: Bool?
  /// Bit 57: write-protected by userfaultfd.
  public var uffdWriteProtected: Bool
  public var frame: Address?
  /// frame × page size + the offset in the page.
  public var physicalAddress: Address?
  public var swapType: UInt64?
  public var swapOffset: UInt64?
  /// kpageflags names (`anon`, `lru`, `thp`, `zero_page`, …); nil when not visible.
  public var flags: [String]?
  /// The raw kpageflags word.
  public var flagsRaw: Address?
  /// kpagecount.
  public var mapCount: UInt64?
  /// PAGEMAP_SCAN's PAGE_IS_HUGE for this page: a PMD-mapped THP or hugetlb page.
  public var hugeMapped: Bool?
  /// Why the frame is missing, when the page is present.
  public var frameNote: String?
}

public struct WalkAccess: Codable, Hashable, Sendable {
  /// `read`, `write`, `execute`.
  public var access: String
  /// `succeeds`, `grows the stack`, or the signal (`SIGSEGV (SEGV_ACCERR)`).
  public var result: String
  /// The page fault on the way, if any.
  public var fault: String?
  public var reason: String
}

/// What the process's page tables cost: the kernel's figure and two computed from the map.
public struct PageTableCost: Codable, Hashable, Sendable {
  /// `VmPTE` from /proc/PID/status: the PTE, PMD and PUD tables the kernel allocated, in bytes
  /// (the PGD and, with 5 levels, the P4D tables are not counted there).
  public var vmPTE: UInt64?
  public var levels: [PageTableLevelCost]
  /// Regions counted (below the top of user space: `[vsyscall]` is not in these tables).
  public var regions: Int
  /// The tables VmPTE counts (PUD, PMD, PTE), computed: every page of every region touched.
  public var fromMapBytes: UInt64
  /// The same for the present and swapped pages only: the tables that must exist.
  public var fromPagesBytes: UInt64?
  public var note: String
}

public struct PageTableLevelCost: Codable, Hashable, Sendable {
  public var level: PagingLevel
  /// Address space one table at this level covers.
  public var tableSpan: UInt64
  /// Tables needed to cover every region (distinct `tableSpan` blocks the regions touch).
  public var fromMap: Int
  /// Tables needed for the present and swapped pages only.
  public var fromPages: Int?
  /// Whether VmPTE counts this level's tables.
  public var inVmPTE: Bool
}
