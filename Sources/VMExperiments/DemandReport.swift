/// What `vmmap --demand` was asked to do.
public struct DemandOptions: Codable, Hashable, Sendable {
  /// The size asked for, in bytes (the region is this rounded up to whole pages).
  public var size: UInt64
  /// `--thp`: `madvise(MADV_HUGEPAGE)` instead of `MADV_NOHUGEPAGE`.
  public var hugePages: Bool
  /// `--read`: read one byte per page instead of writing one.
  public var read: Bool
  /// `--file`: map a file whose pages were dropped from the page cache, not anonymous memory.
  public var file: Bool

  /// The default size: 100 MiB, as in the handout.
  public static let defaultSize: UInt64 = 100 << 20

  public init(
    size: UInt64 = defaultSize, hugePages: Bool = false, read: Bool = false, file: Bool = false
  ) {
    self.size = size
    self.hugePages = hugePages
    self.read = read
    self.file = file
  }

  /// `read` or `write`.
  public var access: String { read ? "read" : "write" }

  /// The child's command-line arguments (after the experiment's name).
  var arguments: [String] {
    ["--size", String(size)] + (hugePages ? ["--thp"] : []) + (read ? ["--read"] : [])
      + (file ? ["--file"] : [])
  }

  /// Parses what `arguments` wrote; nil for anything else.
  init?(arguments: [String]) {
    self.init()
    var i = 0
    var sawSize = false
    while i < arguments.count {
      switch arguments[i] {
      case "--size":
        guard i + 1 < arguments.count, let v = UInt64(arguments[i + 1]) else { return nil }
        size = v
        sawSize = true
        i += 1
      case "--thp": hugePages = true
      case "--read": read = true
      case "--file": file = true
      default: return nil
      }
      i += 1
    }
    guard sawSize else { return nil }
  }
}

/// One run of the demand-paging experiment, measured from inside the sandboxed child that
/// mapped and touched the region. Sizes are bytes, addresses `0x…` strings, fault counts are
/// the kernel's (`getrusage(RUSAGE_SELF)` and `/proc/self/stat`).
public struct DemandReport: Codable, Hashable, Sendable {
  public var schemaVersion = 1
  public var options: DemandOptions
  /// `read` or `write`.
  public var access: String
  /// The base page size (`sysconf(_SC_PAGESIZE)`).
  public var pageSize: UInt64
  /// The region's size: `options.size` rounded up to whole pages.
  public var size: UInt64
  /// Pages in the region, each touched once.
  public var pages: Int
  /// The `mmap` call that made the region, as C.
  public var mmapCall: String
  /// What was done before the touch, in order, one sentence each.
  public var setup: [String]
  /// The kernel's transparent huge page settings, and the advice given.
  public var thp: DemandTHP
  /// `--file`: the file behind the region.
  public var file: DemandFile?
  /// Right after `mmap` (and, for `--file`, the cache drop), before any access.
  public var before: DemandSnapshot
  /// Right after the touch loop.
  public var after: DemandSnapshot
  /// The faults the touch loop took, and what they are made of.
  public var faults: DemandFaults
  /// About 32 evenly spaced points of the touch loop, the first before any access.
  public var samples: [DemandSample]
  /// Wall time of the touch loop (samples included), nanoseconds.
  public var touchNanoseconds: UInt64
  /// What happened and why, one paragraph each, from the numbers above.
  public var explanation: [String]
  /// The lesson, in a few lines.
  public var lesson: [String]
}

/// The transparent huge page settings (`/sys/kernel/mm/transparent_hugepage/`).
public struct DemandTHP: Codable, Hashable, Sendable {
  /// `enabled`'s selected value: `always`, `madvise` or `never`; nil when THP is absent.
  public var enabled: String?
  /// `defrag`'s selected value.
  public var defrag: String?
  /// `use_zero_page`: whether a read fault may map the huge zero page.
  public var useZeroPage: Bool?
  /// `hpage_pmd_size`: the PMD-mapped huge page size (2 MiB on x86-64).
  public var hugePageSize: UInt64
  /// `MADV_HUGEPAGE` (`--thp`) or `MADV_NOHUGEPAGE`.
  public var advice: String
}

/// The file behind a `--file` region.
public struct DemandFile: Codable, Hashable, Sendable {
  /// Where it was (removed when the experiment ended).
  public var path: String
  /// The filesystem holding it (`ext4`, `xfs`, …, from `statfs`).
  public var filesystem: String
  /// Bytes written, then `fsync`ed.
  public var bytesWritten: UInt64
  /// Pages of the file in the page cache after writing (`mincore`).
  public var cachedAfterWrite: Int
  /// Pages still in the page cache after `posix_fadvise(POSIX_FADV_DONTNEED)` (`mincore`).
  public var cachedAfterDrop: Int
  /// Pages in the page cache after the touch (`mincore`; for a private mapping that was
  /// written, the process's own copies count too).
  public var cachedAfterTouch: Int
}

/// The process and the region at one moment.
public struct DemandSnapshot: Codable, Hashable, Sendable {
  public var region: DemandRegion
  /// `VmRSS`, `RssAnon`, `RssFile` and `VmPTE` of `/proc/self/status`, in bytes.
  public var vmRSS: UInt64
  public var rssAnon: UInt64
  public var rssFile: UInt64
  public var vmPTE: UInt64
  /// The process's fault counters since it started.
  public var faults: DemandFaultCounts
}

/// Fault counters of the process, from two sources read back to back.
public struct DemandFaultCounts: Codable, Hashable, Sendable {
  /// `ru_minflt` and `ru_majflt` of `getrusage(RUSAGE_SELF)`.
  public var minor: Int
  public var major: Int
  /// Fields 10 (`minflt`) and 12 (`majflt`) of `/proc/self/stat`.
  public var statMinor: Int
  public var statMajor: Int
}

/// The region as smaps, pagemap, kpageflags and mincore show it.
public struct DemandRegion: Codable, Hashable, Sendable {
  public var start: String
  public var end: String
  public var permissions: String
  /// The region's entry of `/proc/self/smaps`, every line as the kernel printed it.
  public var smapsLines: [String]
  /// From those lines, in bytes.
  public var size: UInt64
  public var rss: UInt64
  public var pss: UInt64
  public var privateClean: UInt64
  public var privateDirty: UInt64
  public var anonymous: UInt64
  public var anonHugePages: UInt64
  /// `THPeligible`: 1 when the region may get huge pages.
  public var thpEligible: Bool?
  /// Pages whose pagemap entry says present.
  public var presentPages: Int
  /// True when frame numbers were visible (CAP_SYS_ADMIN), so that the kpageflags counts
  /// below exist.
  public var framesVisible: Bool
  /// Present pages mapping the shared zero page or the huge zero page (`KPF_ZERO_PAGE`).
  public var zeroPages: Int?
  /// Present pages that are part of a transparent huge page (`KPF_THP`).
  public var thpPages: Int?
  /// Present pages that are the head of a compound page (`KPF_COMPOUND_HEAD`): one per
  /// huge page mapped.
  public var compoundHeads: Int?
}

/// The faults of the touch loop (differences of the counters around it).
public struct DemandFaults: Codable, Hashable, Sendable {
  /// From `getrusage`, read right before and right after the loop.
  public var minor: Int
  public var major: Int
  /// From `/proc/self/stat`, read just outside the `getrusage` calls (so they include the
  /// faults, if any, of reading the files themselves).
  public var statMinor: Int
  public var statMajor: Int
  /// What the touch needs: one fault per base page, or one per huge page the kernel mapped
  /// whole (a PMD) plus one per base page outside them.
  public var expected: Int
  /// `minor` for anonymous memory, `major` for the file whose cache was dropped.
  public var expectedKind: String
  /// Huge mappings (2 MiB each) that served whole extents: THP pages allocated
  /// (`AnonHugePages`) plus huge zero page mappings.
  public var hugeMappings: Int
  /// How many 2 MiB extents lie wholly in the region (the most huge pages it can get).
  public var hugeExtents: Int
  /// `minor + major − expected`.
  public var surplus: Int
  /// Faults of a second pass over the same, now mapped, pages: the loop's own cost.
  public var repeatPass: Int
}

/// One point of the touch loop, for a chart.
public struct DemandSample: Codable, Hashable, Sendable {
  public var pagesTouched: Int
  /// Resident set size (`/proc/self/statm` field 2 × page size), bytes.
  public var rssBytes: UInt64
  /// Faults since the loop began (`getrusage`).
  public var minorFaults: Int
  public var majorFaults: Int
}
