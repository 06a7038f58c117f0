import VMMapCore

/// Explains a demand-paging run from its numbers: what mmap did, what each fault did, where
/// any surplus came from, and the minor/major difference. Every figure in a sentence comes
/// from the report.
struct DemandExplainer {
  var report: DemandReport

  private var o: DemandOptions { report.options }
  private var f: DemandFaults { report.faults }
  private var before: DemandSnapshot { report.before }
  private var after: DemandSnapshot { report.after }
  private var pages: String { thousands(report.pages) }

  func explanation() -> [String] {
    [untouched(), touch(), surplus(), rss(), minorAndMajor()].compactMap { $0 }
  }

  func lesson() -> [String] {
    var lines = [
      "mmap() hands out address space, not memory: the region cost no RAM until it was touched.",
      "Memory arrives on first access, one fault per page (demand paging); the faulting access is then restarted.",
    ]
    if o.read && !o.file {
      lines.append(
        "Reading untouched anonymous memory maps the shared zero page: a fault each, but no new memory."
      )
    }
    if o.hugePages && f.hugeMappings > 0 {
      lines.append(
        "A \(SizeText.iec(report.thp.hugePageSize)) huge page turns \(report.thp.hugePageSize / report.pageSize) faults into one."
      )
    }
    if o.file {
      lines.append(
        "A page that must come from disk costs a major fault (the process sleeps on I/O); one already in memory, a minor fault."
      )
    }
    return lines
  }

  // MARK: Paragraphs

  func untouched() -> String {
    var s =
      "mmap() only reserved address space: the region is in the maps (Size: \(SizeText.iec(before.region.size))) but its Rss is \(before.region.rss / 1024) kB and pagemap shows \(thousands(before.region.presentPages)) of \(pages) pages present."
    if let file = report.file {
      s +=
        " Its file is not in the page cache either: mincore counted \(thousands(file.cachedAfterWrite)) cached pages after writing it and \(thousands(file.cachedAfterDrop)) after POSIX_FADV_DONTNEED."
    }
    return s
  }

  func touch() -> String {
    if o.file { return fileTouch() }
    if o.hugePages { return hugeTouch() }
    if o.read { return zeroPageTouch(huge: false) }
    return
      "Each first write to a page trapped into the kernel (a page fault: no page table entry yet). The kernel took a free frame, zeroed it, mapped it writable and restarted the write. No disk was involved, so each was a minor fault: \(thousands(f.minor)) new minor faults (getrusage) for \(pages) pages touched; pagemap now shows \(thousands(after.region.presentPages)) pages present."
  }

  func zeroPageTouch(huge: Bool) -> String {
    let zero = after.region.zeroPages.map {
      "kpageflags marks \(thousands($0)) of the \(thousands(after.region.presentPages)) present pages ZERO_PAGE"
    }
    let seen = zero ?? "frames are not visible here (kpageflags needs CAP_SYS_ADMIN)"
    let what =
      huge
      ? "With MADV_HUGEPAGE, a read fault in an untouched 2 MiB extent maps the huge zero page (use_zero_page is 1) with one PMD entry: one fault per 2 MiB (\(thousands(f.hugeMappings)) such mappings) and no memory"
      : "Reading an untouched anonymous page does not allocate memory: the fault maps the one shared, read-only zero page"
    return
      "\(what); \(seen). \(thousands(f.minor)) minor faults for \(pages) pages, yet the region's Rss is \(after.region.rss / 1024) kB: smaps and RSS do not count the zero page. A later write to such a page faults again and gets a private frame (copy-on-write from the zero page)."
  }

  func hugeTouch() -> String {
    let thp = report.thp
    let perHuge = Int(thp.hugePageSize / report.pageSize)
    if thp.enabled == nil || thp.enabled == "never" || thp.advice == "none" {
      let why =
        thp.enabled == "never"
        ? "THP is off on this machine (transparent_hugepage/enabled: never)"
        : "this kernel has no transparent huge pages"
      let rest = o.read ? zeroPageTouch(huge: false) : "every 4 KiB page faulted on its own"
      return
        "\(why), so MADV_HUGEPAGE changed nothing: \(rest) (\(thousands(f.minor)) minor faults)."
    }
    if o.read && f.hugeMappings > 0 { return zeroPageTouch(huge: true) + depositNote }
    if o.read {
      let why =
        thp.useZeroPage == false
        ? "use_zero_page is 0, so read faults map the 4 KiB zero page instead"
        : "the kernel mapped the 4 KiB zero page instead of the huge one"
      return "\(why). " + zeroPageTouch(huge: false)
    }
    let defrag =
      "defrag: \(thp.defrag ?? "?"); a huge page needs \(perHuge) contiguous free frames, and the allocator did not find or make them"
    if f.hugeExtents == 0 {
      return
        "The region is smaller than one aligned \(SizeText.iec(thp.hugePageSize)) extent, so no huge page fits: \(thousands(f.minor)) minor faults for \(pages) pages of 4 KiB."
    }
    if f.hugeMappings == 0 {
      return
        "MADV_HUGEPAGE asked for huge pages, but the kernel gave none of the \(thousands(f.hugeExtents)) the region could hold (AnonHugePages \(after.region.anonHugePages / 1024) kB): every 4 KiB page faulted on its own, \(thousands(f.minor)) minor faults for \(pages) pages (\(defrag))."
    }
    var s =
      "With MADV_HUGEPAGE and THP in \(thp.enabled ?? "?") mode, the first write in each 2 MiB extent faulted once and the kernel mapped a whole \(SizeText.iec(thp.hugePageSize)) huge page with one PMD entry (no page table below it): \(thousands(f.minor)) minor faults for \(pages) base pages, \(thousands(f.hugeMappings)) huge pages. smaps says AnonHugePages \(SizeText.iec(after.region.anonHugePages))"
    if let t = after.region.thpPages, let heads = after.region.compoundHeads {
      s +=
        "; kpageflags marks \(thousands(t)) pages THP, \(thousands(heads)) of them compound heads"
    }
    s += "." + depositNote
    if f.hugeMappings < f.hugeExtents {
      let small = report.pages - f.hugeMappings * perHuge
      s +=
        " The kernel gave \(thousands(f.hugeMappings)) of the \(thousands(f.hugeExtents)) huge pages the region could hold: the other \(thousands(small)) pages came as 4 KiB pages, one fault each (\(defrag))."
    } else if report.pages > f.hugeExtents * perHuge {
      s +=
        " The last \(thousands(report.pages - f.hugeExtents * perHuge)) pages do not fill a 2 MiB extent: 4 KiB pages, one fault each."
    }
    return s
  }

  /// Why VmPTE grows under huge mappings too.
  var depositNote: String {
    " VmPTE still grows by 4 KiB per huge mapping: the kernel deposits a page table with each huge PMD, so that it can later split it into 4 KiB entries without allocating."
  }

  func fileTouch() -> String {
    let fs = report.file?.filesystem ?? "disk"
    let left = report.file?.cachedAfterDrop ?? 0
    let cache =
      left == 0
      ? "No page was in the page cache"
      : "\(thousands(left)) pages stayed in the page cache (a minor fault each); for the others"
    if o.read {
      return
        "\(cache), so each first read was a major fault: the kernel allocated a page-cache page, read 4 KiB from \(fs) and put the process to sleep until the I/O completed, then mapped the page: \(thousands(f.major)) major and \(thousands(f.minor)) minor faults for \(pages) pages. The pages are clean file pages: Rss grows as RssFile, and the kernel can drop them again without writing anything."
    }
    return
      "\(cache), and the mapping is private, so each first write was a major fault that read the page from \(fs) and, in the same fault, copied it into a new private anonymous page (copy-on-write): \(thousands(f.major)) major and \(thousands(f.minor)) minor faults for \(pages) pages. Rss grows as Anonymous (Private_Dirty); the page-cache copy stays unmapped."
  }

  func surplus() -> String {
    let perHuge = Int(report.thp.hugePageSize / report.pageSize)
    let unit =
      f.hugeMappings == 0
      ? "fault per page"
      : f.hugeMappings * perHuge == report.pages
        ? "fault per huge page" : "fault per huge page and per 4 KiB page outside them"
    let total = f.minor + f.major
    let tables = Int64(after.vmPTE) - Int64(before.vmPTE)
    let tableText =
      "the \(signedIEC(tables)) of new page tables (VmPTE \(before.vmPTE / 1024) → \(after.vmPTE / 1024) kB) were allocated inside these same faults, and the kernel's own accesses to them never fault"
    var s: String
    if f.surplus == 0 {
      s = "No surplus: \(thousands(total)) faults, exactly one \(unit); \(tableText)."
    } else if f.surplus > 0 {
      s =
        "Surplus: \(thousands(f.surplus)) fault\(f.surplus == 1 ? "" : "s") beyond the \(thousands(f.expected)) expected. A second pass over the same, now mapped, pages cost \(thousands(f.repeatPass)), so the loop itself (samples included) faults \(f.repeatPass == 0 ? "nowhere" : "there"); the rest are first touches of the child's own code, stack or heap (the loop was warmed up on a scratch buffer to keep them few). Page tables are not the cause: \(tableText)."
    } else {
      s =
        "\(thousands(-f.surplus)) fewer faults than the \(thousands(f.expected)) expected: some faults mapped more than one page (fault-around maps neighbours already in the page cache; large folios map several pages at once). Page tables: \(tableText)."
    }
    let statExtra = f.statMinor + f.statMajor - total
    s +=
      " /proc/self/stat, read just outside the getrusage calls, counts \(thousands(f.statMinor)) minor and \(thousands(f.statMajor)) major"
    s += statExtra == 0 ? ": the same." : " (\(signed(statExtra)): reading the files themselves)."
    return s
  }

  func rss() -> String {
    let grown = Int64(after.vmRSS) - Int64(before.vmRSS)
    let region = Int64(after.region.rss) - Int64(before.region.rss)
    var s =
      "VmRSS \(SizeText.iec(before.vmRSS)) → \(SizeText.iec(after.vmRSS)) (\(signedIEC(grown))); the region's Rss \(signedIEC(region))"
    if o.read && !o.file {
      s += ": the zero page is shared by everyone and counted nowhere."
    } else if o.file && o.read {
      s += ", as RssFile \(SizeText.iec(before.rssFile)) → \(SizeText.iec(after.rssFile))."
    } else {
      s +=
        ", \(thousands(Int(after.region.privateDirty / report.pageSize))) pages Private_Dirty: \(SizeText.iec(report.size)) asked for, \(SizeText.iec(after.region.rss)) resident."
    }
    return s
  }

  func minorAndMajor() -> String? {
    let faults = max(1, f.minor + f.major)
    let perFault = Double(report.touchNanoseconds) / Double(faults) / 1000
    let cost = "\(Int(perFault.rounded())) µs per fault on average here"
    if o.file {
      return
        "Minor or major: a minor fault finds the data already in memory (a zeroed frame, the zero page, a page in the page cache) and only fills in a page table entry; a major fault must first read the data from disk and sleeps until it arrives (\(cost), disk reads included). Running this again without dropping the cache would give minor faults only."
    }
    let which =
      f.major == 0
      ? "All of these were minor faults"
      : "\(thousands(f.minor)) were minor faults and \(thousands(f.major)) major (the child's own code or libraries read from disk)"
    return
      "\(which) (\(cost)): a minor fault finds the data already in memory (here a zeroed frame or the zero page) and only fills in a page table entry. A major fault must read from disk first: see vmmap --demand --file."
  }

  // MARK: Formatting

  func signedIEC(_ v: Int64) -> String {
    (v < 0 ? "-" : "+") + SizeText.iec(v.magnitude)
  }

  func signed(_ v: Int) -> String { (v < 0 ? "-" : "+") + thousands(abs(v)) }
}
