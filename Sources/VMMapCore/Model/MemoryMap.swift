/// A process's address space as vmmap read it: regions in address order, plus the process facts.
public struct MemoryMap: Sendable {
  /// Where the data came from.
  public enum Source: Hashable, Sendable {
    case live(pid: Int32)
    /// A saved maps or smaps file.
    case file(path: String)
  }

  public var source: Source
  public var regions: [Region]
  /// `/proc/PID/smaps_rollup` (live and read with smaps), the source of the Pss total.
  public var rollup: SmapsCounters?
  public var status: ProcessStatus?
  public var stat: ProcessStat?
  public var threads: [ThreadInfo]
  /// `/proc/PID/cmdline` split at NULs.
  public var commandLine: [PathBytes]
  /// `readlink /proc/PID/exe`.
  public var executable: PathBytes?
  /// True when smaps (not only maps) was read, so per-region counters exist.
  public var hasCounters: Bool
  /// True when the counters come from the page tables (`--fast`, PAGEMAP_SCAN): Size, Rss and
  /// Swap only, no Pss or clean/dirty splits.
  public var countersFromPageTables = false

  public init(
    source: Source, regions: [Region], rollup: SmapsCounters? = nil, status: ProcessStatus? = nil,
    stat: ProcessStat? = nil, threads: [ThreadInfo] = [], commandLine: [PathBytes] = [],
    executable: PathBytes? = nil, hasCounters: Bool = false
  ) {
    self.source = source
    self.regions = regions
    self.rollup = rollup
    self.status = status
    self.stat = stat
    self.threads = threads
    self.commandLine = commandLine
    self.executable = executable
    self.hasCounters = hasCounters
  }

  public var pid: Int32? {
    if case .live(let pid) = source { return pid }
    return nil
  }

  /// Index of the region holding `address` (binary search), or nil.
  public func regionIndex(containing address: UInt64) -> Int? {
    var lo = 0
    var hi = regions.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if regions[mid].end <= address { lo = mid + 1 } else { hi = mid }
    }
    return lo < regions.count && regions[lo].start <= address ? lo : nil
  }
}
