/// The totals of a memory map, each from the source that makes it exact.
///
/// Rss, Swap, Anonymous and Private_Dirty are sums over regions (for an idle process they equal
/// smaps_rollup exactly). Pss and the shared/clean splits come from smaps_rollup when it was read,
/// because the kernel rounds Pss per region and shared counts move as other processes map the
/// same files; `pssSource` says which was used.
public struct MapSummary: Sendable {
  public struct Totals: Hashable, Sendable {
    public var regions = 0
    public var size: UInt64 = 0
    public var rss: UInt64 = 0
    public var pss: UInt64 = 0
    public var swap: UInt64 = 0
    public var privateDirty: UInt64 = 0
    public var shared: UInt64 = 0
    public init() {}

    mutating func add(_ r: Region) {
      regions += 1
      size += r.size
      if let c = r.counters {
        rss += c.rss
        pss += c.pss
        swap += c.swap
        privateDirty += c.privateDirty
        shared += c.shared
      }
    }
  }

  public enum Source: String, Hashable, Sendable {
    /// From /proc/PID/smaps_rollup.
    case rollup = "smaps_rollup"
    /// Summed over the regions of smaps.
    case regions = "sum of regions"
  }

  public var regionCount: Int
  /// Sum of region sizes, `[vsyscall]` included.
  public var totalVirtual: UInt64
  /// The `[vsyscall]` page(s): listed in maps, above user space, not counted in VmSize.
  public var vsyscallSize: UInt64
  /// VmSize from status (live only).
  public var vmSize: UInt64?
  public var hasCounters: Bool
  public var resident: UInt64
  public var anonymous: UInt64
  public var privateDirty: UInt64
  public var swap: UInt64
  public var pss: UInt64
  public var pssSource: Source
  public var shared: UInt64
  public var sharedSource: Source
  /// From smaps_rollup only (it alone splits Pss by anon/file/shmem).
  public var pssAnon: UInt64?
  public var pssFile: UInt64?
  public var pssShmem: UInt64?
  /// The rollup's Rss, to show that the region sum matches it (nil when not read).
  public var rollupResident: UInt64?
  public var byKind: [(kind: RegionKind, totals: Totals)]
  public var byPermission: [(permissions: String, totals: Totals)]
  public var gapCount: Int
  public var largestGap: Gap?
  /// Indices of regions that are writable and executable at once.
  public var writableExecutable: [Int]

  public init(_ map: MemoryMap) {
    regionCount = map.regions.count
    hasCounters = map.hasCounters
    var total: UInt64 = 0
    var vsyscall: UInt64 = 0
    var sums = SmapsCounters()
    var kinds: [RegionKind: Totals] = [:]
    var perms: [String: Totals] = [:]
    var wx: [Int] = []
    for (i, r) in map.regions.enumerated() {
      total += r.size
      if r.mapping.name == .vsyscall { vsyscall += r.size }
      if let c = r.counters { sums.add(c) }
      kinds[r.classification.kind, default: Totals()].add(r)
      perms[r.permissions.description, default: Totals()].add(r)
      if r.permissions.isWritableAndExecutable { wx.append(i) }
    }
    totalVirtual = total
    vsyscallSize = vsyscall
    vmSize = map.status?[memory: "VmSize"]
    resident = sums.rss
    anonymous = sums.anonymous
    privateDirty = sums.privateDirty
    swap = sums.swap
    if let rollup = map.rollup {
      pss = rollup.pss
      pssSource = .rollup
      shared = rollup.shared
      sharedSource = .rollup
      pssAnon = rollup.has(.pssAnon) ? rollup[.pssAnon] : nil
      pssFile = rollup.has(.pssFile) ? rollup[.pssFile] : nil
      pssShmem = rollup.has(.pssShmem) ? rollup[.pssShmem] : nil
      rollupResident = rollup.rss
    } else {
      pss = sums.pss
      pssSource = .regions
      shared = sums.shared
      sharedSource = .regions
    }
    byKind = RegionKind.allCases.compactMap { k in kinds[k].map { (k, $0) } }
    byPermission = perms.keys.sorted().map { ($0, perms[$0]!) }
    let gaps = map.gaps
    gapCount = gaps.count
    largestGap = gaps.max { $0.size < $1.size }
    writableExecutable = wx
  }
}
