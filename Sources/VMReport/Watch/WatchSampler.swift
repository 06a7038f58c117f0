import Glibc
import VMMapCore

/// Takes `vmmap watch`'s samples of one process. Each sample reads maps and each region's RSS
/// and swap from the page tables (`PAGEMAP_SCAN`), smaps_rollup for PSS and stat for the fault
/// counters; with `smaps`, the full smaps instead (every counter, more expensive).
public final class WatchSampler {
  /// The most changed regions one sample keeps.
  public static let growthRows = 10

  public let pid: Int32
  public let smaps: Bool
  let reader: ProcessReader
  let elf: LiveELFProvider
  var previous: (seconds: Double, layout: [String: LayoutRegion], faults: UInt64)?
  var pageTablesWork = true

  public init(pid: Int32, smaps: Bool) throws(VMMapError) {
    self.pid = pid
    self.smaps = smaps
    reader = try ProcessReader(pid: pid)
    try reader.checkUserProcess(try reader.readStat())
    elf = LiveELFProvider(pid: pid)
  }

  /// The timeline's header, read once.
  public func info(interval: Double) -> WatchInfo {
    var u = utsname()
    uname(&u)
    func field<T>(_ value: T) -> String {
      withUnsafeBytes(of: value) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
    }
    return WatchInfo(
      pid: pid, name: reader.readComm()?.string ?? "",
      command: reader.readCommandLine().map(\.string), interval: interval,
      counterSource: smaps ? "smaps" : "page tables", hostname: field(u.nodename),
      kernel: field(u.release))
  }

  /// One sample at `seconds` since the first. Errors are the reader's: no such process (66),
  /// exited during the read (75), a zombie (69).
  public func sample(at seconds: Double) throws(VMMapError) -> WatchSample {
    var map = try reader.readMemoryMap(counters: smaps)
    if !smaps {
      if pageTablesWork {
        do throws(VMMapError) {
          try PageTableResidency.measure(pid: pid, &map)
        } catch {
          // A kernel without PAGEMAP_SCAN (before 6.7): fall back to smaps for good.
          guard error.errno == ENOTTY || error.errno == EINVAL else { throw error }
          pageTablesWork = false
        }
      }
      if !pageTablesWork { map = try reader.readMemoryMap(counters: true) }
    }
    let pss = map.rollup?.pss ?? (try? reader.readRollup())?.pss
    Classifier.classify(&map, elf: elf)
    let layout = Layout(map: map, label: "pid:\(pid)")

    var byKind: [RegionKind: WatchKind] = [:]
    var rss: UInt64 = 0
    var swap: UInt64 = 0
    var virtual: UInt64 = 0
    for r in layout.regions {
      var k = byKind[r.kind] ?? WatchKind(kind: r.kind, regions: 0, size: 0, rss: 0)
      k.regions += 1
      k.size += r.size
      k.rss += r.rss ?? 0
      byKind[r.kind] = k
      rss += r.rss ?? 0
      swap += r.swap ?? 0
      virtual += r.size
    }
    let minor = UInt64(map.stat?.minorFaults ?? 0)
    let major = UInt64(map.stat?.majorFaults ?? 0)
    var current: [String: LayoutRegion] = [:]
    for (identity, r) in layout.identified { current[identity] = r }

    var added: [String] = []
    var removed: [String] = []
    var changed: [WatchRegionChange] = []
    var perSecond: Double?
    if let p = previous {
      added = current.keys.filter { p.layout[$0] == nil }.sorted()
      removed = p.layout.keys.filter { current[$0] == nil }.sorted()
      for (identity, r) in current {
        guard let old = p.layout[identity] else { continue }
        let ds = Int64(r.size) - Int64(old.size)
        let dr = Int64(r.rss ?? 0) - Int64(old.rss ?? 0)
        if ds != 0 || dr != 0 {
          changed.append(WatchRegionChange(identity: identity, sizeDelta: ds, rssDelta: dr))
        }
      }
      changed.sort {
        ($0.rssDelta.magnitude, $0.sizeDelta.magnitude, $1.identity)
          > ($1.rssDelta.magnitude, $1.sizeDelta.magnitude, $0.identity)
      }
      if changed.count > Self.growthRows { changed.removeLast(changed.count - Self.growthRows) }
      let dt = seconds - p.seconds
      if dt > 0 { perSecond = Double(minor + major - min(p.faults, minor + major)) / dt }
    }
    previous = (seconds, current, minor + major)
    return WatchSample(
      seconds: seconds, regions: layout.regions.count, virtual: virtual, rss: rss, pss: pss,
      swap: swap, minorFaults: minor, majorFaults: major, faultsPerSecond: perSecond,
      byKind: RegionKind.allCases.compactMap { byKind[$0] }, added: added, removed: removed,
      changed: changed)
  }
}
