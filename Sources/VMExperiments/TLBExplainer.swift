/// The paragraphs of a TLB report, written from its numbers.
struct TLBExplainer {
  let report: TLBReport

  func ns(_ v: Double?) -> String {
    guard let v else { return "?" }
    let tenths = Int((v * 10).rounded())
    return "\(tenths / 10).\(tenths % 10) ns"
  }

  func explanation() -> [String] {
    var out: [String] = []
    let r = report
    let page = SizeText.iec(r.pageSize)
    out.append(
      "Each point is a chain of dependent loads, one per \(page) page of the working set, each at its own cache line; a load cannot start before the one before it has its address, so the time per load is the latency of one access. Every point is the median of \(r.options.repeats) rounds, run on CPU \(r.cpu.map(String.init) ?? "(not pinned)")."
    )
    if let base = r.curve(.base, .random), let first = base.points.first {
      out.append(
        "With \(page) pages in random order, an access took \(ns(first.nanosecondsPerAccess)) while the working set was \(SizeText.iec(first.workingSet)) and \(ns(r.reach.baseNanoseconds)) at \(SizeText.iec(r.reach.largestWorkingSet)). With \(SizeText.iec(r.hugePageSize)) pages the same chase over \(SizeText.iec(r.reach.largestWorkingSet)) took \(ns(r.reach.hugeNanoseconds)): the data touched is the same, so the difference is what translating the addresses cost."
      )
    }
    if let packed = r.curve(.base, .packed), let last = packed.points.last {
      out.append(
        "The control touched as many cache lines in random order, packed \(r.pageSize / 64) to a page (\(last.pages) pages for \(last.lines) lines): \(ns(last.nanosecondsPerAccess)) per access at the end. Its knees are the data caches'; a knee of the page-stride curve that the control does not share is the TLB's."
      )
    }
    if r.reach.tlbKnees.isEmpty {
      out.append(
        "No knee of the \(page) curve was told apart from the caches' (the control steps at the same working sets, or the steps are smaller than 25 %): on this run, no TLB reach could be read from the timings."
      )
    } else {
      let parts = zip(r.reach.tlbKnees, r.reach.entries).map {
        "\(SizeText.iec($0)) (\($1) entries of \(page))"
      }
      out.append(
        "The \(page) curve steps up past \(parts.joined(separator: " and ")), where the control does not: that is where \(page) translations stop fitting in a TLB level, the measured TLB reach. Past it, each access needs a hit in a larger, slower TLB level or a page walk."
      )
    }
    if !r.reach.pageWalkKnees.isEmpty {
      out.append(
        "Past \(r.reach.pageWalkKnees.map { SizeText.iec($0) }.joined(separator: " and ")) the \(page) curve steps again where the control does not, beyond every TLB the CPU reports: each access already misses the TLB there, and now the page walk itself misses the caches, because the page tables (8 bytes per page, \(SizeText.iec(r.reach.pageWalkKnees[0] / r.pageSize * 8)) of last-level entries at that size) no longer stay in them."
      )
    }
    switch r.reach.hugePagesMoveKnees {
    case true?:
      out.append(
        "With \(SizeText.iec(r.hugePageSize)) pages those knees are gone: one entry maps \(r.hugePageSize / r.pageSize) times as much, so the whole sweep fits in the TLB."
      )
    case false?:
      out.append(
        "With \(SizeText.iec(r.hugePageSize)) pages the curve steps at the same working sets: the TLB still held one entry per \(page)."
          + (r.reach.virtualMachine
            ? " This is a virtual machine (the CPU flags list `hypervisor`): the TLB caches guest-virtual to host-physical translations, and an entry is no larger than the smaller of the guest's page and the host's page behind it. The host evidently backs this guest's memory with \(page) pages, which the guest cannot see. Huge pages still shorten the guest's own page walk by one level, which is what the curves differ by past the last knee."
            : " The kernel mapped the region with huge pages (AnonHugePages below), but the CPU split them into \(page) TLB entries.")
      )
    case nil:
      break
    }
    if let reported = r.reportedTLB {
      out.append(
        "/proc/cpuinfo reports \"TLB size: \(reported)\"\(r.reach.reportedReach.map { ", a reach of \(SizeText.iec($0))" } ?? ""). It does not say how the entries are split between levels or page sizes; the timing curve shows where each level runs out."
      )
    }
    if let seq = r.curve(.base, .sequential), let last = seq.points.last {
      out.append(
        "In address order, the same \(SizeText.iec(last.workingSet)) cost \(ns(last.nanosecondsPerAccess)) per access against \(ns(r.reach.baseNanoseconds)) in random order: the next page is predictable, so the hardware prefetches its line and the page walks stay in the caches."
      )
    }
    for region in r.regions where region.backing == .huge {
      out.append(
        "The huge-page region was \(SizeText.iec(region.size)), \(region.advice); smaps counted \(SizeText.iec(region.anonHugePages)) of it in transparent huge pages (AnonHugePages)."
      )
    }
    if r.counter.available {
      out.append(
        "The hardware counter dTLB-load-misses opened (perf_event_open): each point also carries misses per access."
      )
    } else {
      out.append(
        "The hardware counter dTLB-load-misses could not be used: \(r.counter.error ?? "unknown error"). The timing curve is the measurement."
      )
    }
    return out
  }

  func lesson() -> String {
    "A TLB holds a few thousand translations at most: with \(SizeText.iec(report.pageSize)) pages that covers a few MiB, so a program that touches more pages than that at random pays a page walk per access. Huge pages cover \(report.hugePageSize / report.pageSize) times as much with each entry."
  }
}
