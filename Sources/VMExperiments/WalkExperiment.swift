import Glibc
import VMMapCore

/// What `--walk` reads: a process and the addresses to follow (with optional labels).
public struct WalkRequest: Hashable, Sendable {
  public var pid: Int32
  public var addresses: [UInt64]
  /// One per address, or empty.
  public var labels: [String]

  public init(pid: Int32, addresses: [UInt64], labels: [String] = []) {
    self.pid = pid
    self.addresses = addresses
    self.labels = labels
  }

  /// The child's command line after `walk`: `PID 0xADDR[=label] …`.
  var arguments: [String] {
    ["\(pid)"]
      + addresses.enumerated().map { i, a in
        "0x" + String(a, radix: 16) + (i < labels.count ? "=" + labels[i] : "")
      }
  }

  init?(arguments: [String]) {
    guard let first = arguments.first, let pid = Int32(first), pid > 0, arguments.count > 1
    else { return nil }
    var addresses: [UInt64] = []
    var labels: [String] = []
    for word in arguments.dropFirst() {
      let parts = word.split(separator: "=", maxSplits: 1)
      guard parts[0].hasPrefix("0x"), let a = UInt64(parts[0].dropFirst(2), radix: 16) else {
        return nil
      }
      addresses.append(a)
      if parts.count == 2 { labels.append(String(parts[1])) }
    }
    guard labels.isEmpty || labels.count == addresses.count else { return nil }
    self.init(pid: pid, addresses: addresses, labels: labels)
  }
}

/// Follows addresses of a live process through its page tables as far as user space sees:
/// the indices (computed), the region (smaps), the page (pagemap, kpageflags, kpagecount,
/// PAGEMAP_SCAN), and what its page tables cost.
public enum WalkExperiment {
  public static func run(_ request: WalkRequest) throws(VMMapError) -> WalkReport {
    let space = AddressSpace.current
    let pid = request.pid
    let map = try MemoryMapLoader.live(pid: pid, counters: true)
    let pagemap = try PagemapReader(pid: pid)
    let soft = SoftDirtySupport.detect(vmFlagsSeen: map.regions.compactMap(\.counters?.vmFlags))
    let thpSize =
      (try? readSmallFile("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"))
      .flatMap { UInt64($0.filter(\.isNumber)) } ?? 2 << 20

    var walks: [AddressWalk] = []
    for (i, address) in request.addresses.enumerated() {
      walks.append(
        try walk(
          address, label: i < request.labels.count ? request.labels[i] : nil, map: map,
          pagemap: pagemap, space: space, softDirty: soft.supported, thpSize: thpSize))
    }
    return WalkReport(
      schemaVersion: 1, pid: pid, command: map.status?.name ?? "", levels: space.pagingLevels,
      cpuHasLA57: space.cpuHasLA57, virtualAddressBits: space.virtualAddressBits,
      pageSize: space.pageSize, userTop: Address(space.userTop),
      softDirtySupported: soft.supported, softDirtySource: soft.source, walks: walks,
      pageTables: try cost(map: map, pid: pid, space: space), hidden: hidden(space), sandbox: nil)
  }

  static func hidden(_ space: AddressSpace) -> [String] {
    [
      "CR3 and the physical addresses of the \(space.pagingLevels) tables on the way: page tables live in kernel memory, which no /proc file shows.",
      "The entries' own bits (present, writable, user, accessed, dirty, NX, cache control): pagemap reports the frame and its own flags instead; the region's permissions say what the entries allow.",
      "Whether an entry points to a table when no page below it is present or swapped: the kernel keeps empty tables (after MADV_DONTNEED, say) and shows nothing of them.",
      "Which translations the TLB holds: that is hardware state, never visible from software.",
    ]
  }

  static func walk(
    _ address: UInt64, label: String?, map: MemoryMap, pagemap: PagemapReader,
    space: AddressSpace, softDirty: Bool?, thpSize: UInt64
  ) throws(VMMapError) -> AddressWalk {
    let split = space.split(address)
    let user = address < space.userTop
    let index = map.regionIndex(containing: address)
    let region = index.map { map.regions[$0] }

    // The page: pagemap, frames, PAGEMAP_SCAN's huge bit.
    var page: WalkPage?
    var info: PageInfo?
    if user {
      let p = try pagemap.page(at: address)
      info = p
      let e = p.entry
      let pageStart = address & ~(space.pageSize - 1)
      let huge = try? PageTableCount.pagesMapped(
        pid: map.pid ?? pagemap.pid, from: pageStart, to: pageStart + space.pageSize
      ).firstIsHuge
      var note: String?
      if e.isPresent && e.frameNumber == nil {
        note =
          "pagemap shows frame 0: frame numbers need CAP_SYS_ADMIN (run as root, outside a user namespace)"
      } else if e.frameNumber != nil && p.flags == nil {
        note = "/proc/kpageflags and /proc/kpagecount are not readable (they need CAP_SYS_ADMIN)"
      }
      page = WalkPage(
        pagemap: Address(e.rawValue), present: e.isPresent, swapped: e.isSwapped,
        exclusive: e.isExclusive, fileOrShared: e.isFileOrSharedAnonymous,
        softDirty: softDirty == true ? e.isSoftDirty : nil,
        uffdWriteProtected: e.isUffdWriteProtected, frame: e.frameNumber.map(Address.init),
        physicalAddress: e.frameNumber.map { Address($0 * space.pageSize + split.offset) },
        swapType: e.swapType, swapOffset: e.swapOffset, flags: p.flags?.names,
        flagsRaw: p.flags.map { Address($0.rawValue) }, mapCount: p.mapCount,
        hugeMapped: e.isPresent ? (huge ?? nil) : nil, frameNote: note)
    }

    // The page size and the level that maps it.
    var size: UInt64?
    var source: String?
    var leaf: PagingLevel?
    if let region, let page {
      let kernelPage = region.counters?[.kernelPageSize] ?? 0
      let isHugetlb = region.counters?.vmFlags?.contains("ht") ?? false
      if isHugetlb || kernelPage > space.pageSize {
        size = kernelPage > 0 ? kernelPage : thpSize
        source = "smaps KernelPageSize \(sizeName(size!)): a hugetlb region"
      } else if page.hugeMapped == true {
        size = thpSize
        source =
          "PAGEMAP_SCAN reports PAGE_IS_HUGE: a transparent huge page mapped by one PMD entry"
          + ((page.flags?.contains("thp") ?? false) ? " (kpageflags: thp)" : "")
      } else if page.present, page.flags?.contains("thp") ?? false {
        size = space.pageSize
        source =
          "kpageflags says thp, but PAGEMAP_SCAN says the page is not PMD-mapped: a large folio mapped by \(sizeName(space.pageSize)) PTE entries"
      } else if page.present || page.swapped {
        size = space.pageSize
        source = "smaps KernelPageSize \(sizeName(kernelPage > 0 ? kernelPage : space.pageSize))"
      }
      if let size, page.present || page.swapped {
        leaf = size >= 1 << 30 ? .pud : size >= 2 << 20 ? .pmd : .pte
      }
    }

    // The levels, with what PAGEMAP_SCAN sees below each entry.
    let leafIndex = leaf.flatMap { l in split.indices.firstIndex { $0.level == l } }
    var steps: [WalkStep] = []
    for (i, s) in split.indices.enumerated() {
      let spanStart = address & ~(s.entrySpan - 1)
      let spanEnd = spanStart &+ s.entrySpan
      var below: UInt64?
      if user {
        below = try? PageTableCount.pagesMapped(
          pid: pagemap.pid, from: spanStart, to: min(spanEnd, space.userTop)
        ).pages
      }
      steps.append(
        WalkStep(
          level: s.level, intelName: s.level.intelName(levels: space.pagingLevels),
          index: s.index, bits: BitRange(high: s.highBit, low: s.lowBit, value: s.index),
          entrySpan: s.entrySpan, spanStart: Address(spanStart), spanEnd: Address(spanEnd),
          mappedPagesBelow: below, isLeaf: i == leafIndex,
          usedForThisAddress: leafIndex.map { i <= $0 } ?? true))
    }
    var leafOffset: BitRange?
    if let size {
      let bits = size.trailingZeroBitCount
      leafOffset = BitRange(high: bits - 1, low: 0, value: address & (size - 1))
    }

    let detail = AddressDetail(
      address: address, map: map, page: info, pageNote: nil, fileSize: nil, lookup: "smaps",
      space: space)
    let accesses = detail.outcomes.map { o -> WalkAccess in
      let result: String
      switch o.result {
      case .succeeds: result = "succeeds"
      case .growsStack: result = "grows the stack"
      case .signal(let name, let code): result = "\(name) (\(code))"
      }
      return WalkAccess(access: o.access.rawValue, result: result, fault: o.fault, reason: o.reason)
    }

    let sign = split.signBits
    return AddressWalk(
      address: Address(address), label: label, canonical: split.isCanonical, userSpace: user,
      signBits: BitRange(high: sign.high, low: sign.low, value: split.signValue), steps: steps,
      pageOffset: BitRange(high: split.offsetBits - 1, low: 0, value: split.offset),
      region: region.map(walkRegion),
      gap: region == nil && user
        ? detail.gap.map { WalkGap(start: Address($0.start), end: Address($0.end)) } : nil,
      mappedPageSize: size, pageSizeSource: source, leafLevel: leaf, leafOffset: leafOffset,
      page: page, accesses: accesses,
      conclusion: conclusion(
        split: split, user: user, region: region, page: page, leaf: leaf, size: size,
        accesses: accesses))
  }

  /// `4 KiB`, `2 MiB`, `1 GiB`: page sizes, whole units.
  static func sizeName(_ bytes: UInt64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
    var value = bytes
    var unit = 0
    while value >= 1024 && value % 1024 == 0 && unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    return "\(value) \(units[unit])"
  }

  static func walkRegion(_ r: Region) -> WalkRegion {
    let c = r.counters
    func field(_ f: SmapsField) -> UInt64? { c.map { $0[f] } }
    return WalkRegion(
      start: Address(r.start), end: Address(r.end), permissions: r.permissions.description,
      kind: r.classification.kind, description: r.classification.description,
      name: r.mapping.rawName.string, kernelPageSize: field(.kernelPageSize),
      mmuPageSize: field(.mmuPageSize), anonHugePages: field(.anonHugePages),
      filePmdMapped: field(.filePmdMapped), shmemPmdMapped: field(.shmemPmdMapped),
      rss: field(.rss), vmFlags: c?.vmFlags?.codeList ?? [])
  }

  static func conclusion(
    split: AddressSplit, user: Bool, region: Region?, page: WalkPage?, leaf: PagingLevel?,
    size: UInt64?, accesses: [WalkAccess]
  ) -> String {
    if !split.isCanonical {
      return
        "Not canonical: bits \(split.signBits.high)–\(split.signBits.low) must all equal bit \(split.signBits.low - 1). The CPU refuses the address before any walk (a general-protection fault, SIGSEGV in user space)."
    }
    if !user {
      if let region {
        return
          "Above user space, where maps still lists \(region.mapping.rawName.string) (\(region.classification.description)): pagemap covers user space only, so the walk stops at the split; the kernel's tables and entries here are its own."
      }
      return
        "In the kernel's half of the address space: the same tables hold it, but its entries are supervisor-only, so a user-mode access faults (SIGSEGV) and pagemap shows nothing."
    }
    guard let region else {
      let read = accesses.first { $0.access == "read" }
      return
        "No region holds this address: the kernel keeps no entries for it, and an access would \(read.map { $0.result == "succeeds" || $0.result == "grows the stack" ? $0.result : "raise " + $0.result } ?? "fault")."
    }
    guard let page else { return "No page data." }
    if page.present {
      let levelName = leaf?.rawValue ?? "PTE"
      let frame =
        page.frame.map { "frame \($0), physical address \(page.physicalAddress!)" }
        ?? "a frame this user may not see"
      return
        "Present: the \(levelName) entry maps a \(sizeName(size ?? 4096)) page at \(frame)."
    }
    if page.swapped {
      return
        "Not present but swapped: the entry holds a swap location (type \(page.swapType ?? 0), offset \(page.swapOffset ?? 0)); the first access is a major fault that reads it back."
    }
    let read = accesses.first { $0.access == "read" }
    let write = accesses.first { $0.access == "write" }
    var s =
      "Not present: no page is mapped here yet (the \(region.permissions.description) region is there, the entry is empty)."
    if let read {
      s += " A first read " + effect(read) + "."
    }
    if let write, write.fault != read?.fault || write.result != read?.result {
      s += " A first write " + effect(write) + "."
    }
    return s
  }

  /// `raises SIGSEGV (SEGV_ACCERR)`, `takes a minor fault: …`, `succeeds`.
  static func effect(_ a: WalkAccess) -> String {
    if a.result.hasPrefix("SIG") { return "raises " + a.result }
    return a.fault.map { "takes a \($0)" } ?? a.result
  }

  /// The page-table cost: VmPTE, and tables per level computed from the regions and from the
  /// present or swapped pages.
  static func cost(map: MemoryMap, pid: Int32, space: AddressSpace) throws(VMMapError)
    -> PageTableCost
  {
    let levels = space.pagingLevels
    let user = map.regions.filter { $0.start < space.userTop }
    let ranges = user.map {
      (
        start: $0.start, end: $0.end,
        skipPTE: $0.counters?.vmFlags?.contains("ht") ?? false
      )
    }
    let fromMap = PageTableCount.tables(covering: ranges, levels: levels, pageSize: space.pageSize)
    // Present and swapped pages: hugetlb ones (PAGE_IS_HUGE inside an `ht` region) need no PTE
    // table; a PMD-mapped THP does (the kernel deposits one for a later split).
    var fromPages: [Int]?
    if let mapped = try? PageTableCount.mappedRanges(pid: pid, below: space.userTop) {
      let hugetlb = user.filter { $0.counters?.vmFlags?.contains("ht") ?? false }
      let pageRanges = mapped.map { r in
        (
          start: r.start, end: r.end,
          skipPTE: r.huge && hugetlb.contains { $0.start <= r.start && r.start < $0.end }
        )
      }
      fromPages = PageTableCount.tables(
        covering: pageRanges, levels: levels, pageSize: space.pageSize)
    }
    let walked = PagingLevel.walked(levels: levels)
    let split = AddressSplit(0, levels: levels, pageSize: space.pageSize)
    let counted: Set<PagingLevel> = [.pud, .pmd, .pte]
    var out: [PageTableLevelCost] = []
    for (i, level) in walked.enumerated() {
      out.append(
        PageTableLevelCost(
          level: level, tableSpan: split.indices[i].tableSpan, fromMap: fromMap[i],
          fromPages: fromPages?[i], inVmPTE: counted.contains(level)))
    }
    func bytes(_ counts: [Int]) -> UInt64 {
      zip(walked, counts).filter { counted.contains($0.0) }.reduce(0) {
        $0 + UInt64($1.1) * space.pageSize
      }
    }
    return PageTableCost(
      vmPTE: map.status?[memory: "VmPTE"], levels: out, regions: user.count,
      fromMapBytes: bytes(fromMap), fromPagesBytes: fromPages.map(bytes),
      note:
        "Computed from the map: one table per distinct block of the table's span that a region touches (the tables needed if every page were touched), and the same for the present and swapped pages only (PAGEMAP_SCAN: the tables that must exist). VmPTE is the kernel's count of the PUD, PMD and PTE tables it allocated; it lies between the two unless tables were kept after their pages went (MADV_DONTNEED keeps them)."
    )
  }
}
