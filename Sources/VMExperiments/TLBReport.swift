/// What `vmmap --tlb` was asked to do.
public struct TLBOptions: Codable, Hashable, Sendable {
  /// The largest working set, in bytes (the curves go from one page up to it).
  public var maxWorkingSet: UInt64
  /// Rounds over every working set; each point is the median of its rounds.
  public var repeats: Int
  /// Working sets per doubling (4: each is 2^(1/4) times the one before).
  public var pointsPerOctave: Int
  /// The fewest timed accesses per measurement (a large working set gets one per page).
  public var minAccesses: Int

  /// The command's defaults: 1 GiB, 5 rounds, 4 points per octave, 2^18 accesses.
  public static let defaultMaxWorkingSet: UInt64 = 1 << 30

  public init(
    maxWorkingSet: UInt64 = defaultMaxWorkingSet, repeats: Int = 5, pointsPerOctave: Int = 4,
    minAccesses: Int = 1 << 18
  ) {
    self.maxWorkingSet = maxWorkingSet
    self.repeats = repeats
    self.pointsPerOctave = pointsPerOctave
    self.minAccesses = minAccesses
  }

  /// The child's command-line arguments (after the experiment's name).
  var arguments: [String] {
    [
      "--max", String(maxWorkingSet), "--repeats", String(repeats), "--points",
      String(pointsPerOctave), "--accesses", String(minAccesses),
    ]
  }

  /// Parses what `arguments` wrote; nil for anything else.
  init?(arguments: [String]) {
    guard arguments.count == 8, arguments[0] == "--max", arguments[2] == "--repeats",
      arguments[4] == "--points", arguments[6] == "--accesses",
      let max = UInt64(arguments[1]), let repeats = Int(arguments[3]),
      let points = Int(arguments[5]), let accesses = Int(arguments[7]),
      max >= 4096, (1...99).contains(repeats), (1...16).contains(points), accesses >= 1
    else { return nil }
    self.init(
      maxWorkingSet: max, repeats: repeats, pointsPerOctave: points, minAccesses: accesses)
  }
}

/// The result of `vmmap --tlb`: access time against working set, for 4 KiB pages and for
/// 2 MiB transparent huge pages, in random and in address order, with the knees found in each
/// curve and the TLB reach they imply. Measured in a sandboxed child pinned to one CPU.
public struct TLBReport: Codable, Hashable, Sendable {
  public var schemaVersion = 1
  public var options: TLBOptions
  /// The base page size: the stride of every curve (one access per page).
  public var pageSize: UInt64
  /// The PMD-mapped huge page size (`hpage_pmd_size`, 2 MiB on x86-64).
  public var hugePageSize: UInt64
  /// The CPU the child was pinned to (`sched_setaffinity`), nil when pinning failed.
  public var cpu: Int?
  /// Why pinning failed, when it did.
  public var pinError: String?
  /// `/proc/cpuinfo`'s `TLB size` line (AMD CPUs print it), as the kernel wrote it.
  public var reportedTLB: String?
  /// The two regions the curves ran over.
  public var regions: [TLBRegion]
  /// The hardware dTLB-miss counter: opened or not, and why.
  public var counter: TLBCounter
  /// The curves: 4 KiB random, sequential and packed (the data-cache control), then huge
  /// pages random and sequential.
  public var curves: [TLBCurve]
  /// What the 4 KiB random curve's knees are, told apart with the huge-page curve.
  public var reach: TLBReach
  /// What happened and why, one paragraph each, from the numbers above.
  public var explanation: [String]
  public var lesson: String
  /// The sandboxed child (set by the parent vmmap from `wait4`).
  public var sandbox: SandboxUsage?

  /// A curve by backing and order.
  public func curve(_ backing: TLBBacking, _ order: TLBOrder) -> TLBCurve? {
    curves.first { $0.backing == backing && $0.order == order }
  }
}

/// Which pages back a region.
public enum TLBBacking: String, Codable, Hashable, Sendable, CaseIterable {
  /// 4 KiB pages only (`MADV_NOHUGEPAGE`).
  case base = "4k"
  /// Transparent huge pages (`MADV_HUGEPAGE`).
  case huge = "thp"
}

/// The order in which the pages of a working set are visited.
public enum TLBOrder: String, Codable, Hashable, Sendable, CaseIterable {
  /// One random cycle through the pages: no prefetcher can guess the next one.
  case random
  /// Page after page, in address order.
  case sequential
  /// The control: as many cache lines as the random curve has pages, in random order, but
  /// packed 64 to a page, so 64 times fewer pages. Its knees are the data caches'.
  case packed
}

/// One region the curves ran over, as smaps saw it after every page was written.
public struct TLBRegion: Codable, Hashable, Sendable {
  public var backing: TLBBacking
  public var start: String
  public var end: String
  public var size: UInt64
  /// `madvise(MADV_HUGEPAGE)` or `madvise(MADV_NOHUGEPAGE)`, and whether it succeeded.
  public var advice: String
  /// smaps `AnonHugePages`: bytes of the region in transparent huge pages.
  public var anonHugePages: UInt64
  /// smaps `Rss`.
  public var rss: UInt64
}

/// The hardware counter `dTLB-load-misses`, through `perf_event_open`.
public struct TLBCounter: Codable, Hashable, Sendable {
  /// The event, as perf names it and as perf_event_open encodes it.
  public var event: String
  public var available: Bool
  /// Why it did not open (the errno and what it means here), when it did not.
  public var error: String?
  /// The performance-monitoring units the kernel exposes (`/sys/bus/event_source/devices`).
  public var eventSources: [String]
}

/// Median access time per working set, for one backing and order.
public struct TLBCurve: Codable, Hashable, Sendable {
  public var backing: TLBBacking
  public var order: TLBOrder
  public var points: [TLBPoint]
  /// Where the curve steps up: the working set that still fits, and the first that does not.
  public var knees: [TLBKnee]
}

/// One working set, measured `repeats` times.
public struct TLBPoint: Codable, Hashable, Sendable {
  /// The x axis: `lines` × the page size, the bytes the page curves span for this many lines
  /// (the packed control spans only `pages` pages).
  public var workingSet: UInt64
  /// Distinct cache lines visited (one per page, except in the packed control).
  public var lines: Int
  /// Distinct pages visited.
  public var pages: Int
  /// Timed dependent loads per measurement (at least one per page).
  public var accesses: Int
  /// The median of `samples`.
  public var nanosecondsPerAccess: Double
  /// Each round's nanoseconds per access, in round order: the chunks of 8,192 loads during
  /// which the thread kept its CPU (a context switch pollutes the TLB and stops the clock).
  public var samples: [Double]
  /// Chunks left out over all rounds because the thread was switched out during them.
  public var preemptedChunks: Int
  /// dTLB load misses per access (median over rounds), when the counter opened.
  public var missesPerAccess: Double?
}

/// A step in a curve, found by `KneeFinder`.
public struct TLBKnee: Codable, Hashable, Sendable {
  /// The largest working set still at the lower level: what fits.
  public var workingSet: UInt64
  /// The first working set clearly above it.
  public var nextWorkingSet: UInt64
  /// Nanoseconds per access on the plateau below and after the step.
  public var before: Double
  public var after: Double
  /// `tlb` (the packed control does not step there), `page-walk` (nor there, but past every
  /// TLB the CPU reports: the page tables fall out of a cache) or `cache` (the control steps
  /// there too).
  public var cause: String?
}

/// The 4 KiB random curve's knees, told apart: a TLB knee is one that the packed control
/// (the same cache lines on 64 times fewer pages) does not share.
public struct TLBReach: Codable, Hashable, Sendable {
  /// Working sets where 4 KiB pages run out of TLB entries (ascending).
  public var tlbKnees: [UInt64]
  /// `tlbKnees` in 4 KiB entries: the measured reach of each TLB level.
  public var entries: [Int]
  /// Translation knees past every TLB `/proc/cpuinfo` reports (more than 1.5 times its
  /// entries): page walks that start missing the caches.
  public var pageWalkKnees: [UInt64]
  /// The largest working set measured, and access time there with 4 KiB and with huge pages.
  public var largestWorkingSet: UInt64
  public var baseNanoseconds: Double?
  public var hugeNanoseconds: Double?
  /// Whether huge pages moved the TLB knees: true when the huge-page random curve has none of
  /// them (each entry maps 2 MiB), false when it steps at the same working sets (in a virtual
  /// machine whose host backs the guest with 4 KiB pages, the TLB caches 4 KiB translations
  /// whatever the guest's page size); nil without a TLB knee.
  public var hugePagesMoveKnees: Bool?
  /// Whether `/proc/cpuinfo` lists the `hypervisor` flag (a virtual machine).
  public var virtualMachine: Bool
  /// The TLB size `/proc/cpuinfo` reports, in bytes of 4 KiB pages, when it reports one.
  public var reportedReach: UInt64?
}
