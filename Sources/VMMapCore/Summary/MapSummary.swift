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

    mutating func add(size: UInt64, _ c: Amounts) {
      regions += 1
      self.size += size
      rss += c.rss
      pss += c.pss
      swap += c.swap
      privateDirty += c.privateDirty
      shared += c.shared
    }
  }

  /// The amounts of one region that the totals add up.
  struct Amounts {
    var rss: UInt64 = 0
    var pss: UInt64 = 0
    var swap: UInt64 = 0
    var privateDirty: UInt64 = 0
    var shared: UInt64 = 0
    var anonymous: UInt64 = 0
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
  /// Counters from the page tables (`--fast`): RSS and swap are measured, Pss, shared,
  /// private dirty and anonymous are not.
  public var countersFromPageTables: Bool
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
  public var byKind: [(kind: RegionKind, totals: Totals)]
  public var byPermission: [(permissions: String, totals: Totals)]
  /// The gaps between regions, in address order.
  public var gaps: [Gap]
  public var gapCount: Int { gaps.count }
  public var largestGap: Gap?
  /// Indices of regions that are writable and executable at once.
  public var writableExecutable: [Int]

  public init(_ map: MemoryMap) {
    regionCount = map.regions.count
    hasCounters = map.hasCounters
    countersFromPageTables = map.countersFromPageTables
    var total: UInt64 = 0
    var vsyscall: UInt64 = 0
    var sums = Amounts()
    var kinds = [Totals?](repeating: nil, count: RegionKind.allCases.count)
    // Permissions as four bits, so a 60,000-region map builds no String per region.
    var perms = [Totals?](repeating: nil, count: 16)
    var wx: [Int] = []
    map.regions.withUnsafeBufferPointer { regions in
      for i in regions.indices {
        let size = regions[i].mapping.end - regions[i].mapping.start
        total += size
        let kind = regions[i].classification.kind
        if kind == .vsyscall { vsyscall += size }
        var a = Amounts()
        if let rss = regions[i].counters?.rss {
          a.rss = rss
          a.pss = regions[i].counters?.pss ?? 0
          a.swap = regions[i].counters?.swap ?? 0
          a.privateDirty = regions[i].counters?.privateDirty ?? 0
          a.shared = regions[i].counters?.shared ?? 0
          a.anonymous = regions[i].counters?.anonymous ?? 0
        }
        sums.rss += a.rss
        sums.pss += a.pss
        sums.swap += a.swap
        sums.privateDirty += a.privateDirty
        sums.shared += a.shared
        sums.anonymous += a.anonymous
        let k = kind.ordinal
        if kinds[k] == nil { kinds[k] = Totals() }
        kinds[k]!.add(size: size, a)
        let p = regions[i].mapping.permissions
        let bits = (p.read ? 8 : 0) | (p.write ? 4 : 0) | (p.execute ? 2 : 0) | (p.shared ? 1 : 0)
        if perms[bits] == nil { perms[bits] = Totals() }
        perms[bits]!.add(size: size, a)
        if p.write && p.execute { wx.append(i) }
      }
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
    } else {
      pss = sums.pss
      pssSource = .regions
      shared = sums.shared
      sharedSource = .regions
    }
    byKind = RegionKind.allCases.enumerated().compactMap { i, k in kinds[i].map { (k, $0) } }
    byPermission = (0..<16).compactMap { bits -> (String, Totals)? in
      guard let t = perms[bits] else { return nil }
      let p = Permissions(
        read: bits & 8 != 0, write: bits & 4 != 0, execute: bits & 2 != 0, shared: bits & 1 != 0)
      return (p.description, t)
    }.sorted { $0.0 < $1.0 }
    gaps = map.gaps
    largestGap = gaps.max { $0.size < $1.size }
    writableExecutable = wx
  }
}
