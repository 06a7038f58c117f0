import VMExperiments
import VMMapCore

/// One process's regions as `compare` matches them: what each region is (its identity), never
/// where it is. Built from a report's snapshot, a live or saved map, or a map JSON file.
public struct Layout: Sendable {
  /// What the layout is, for people (`the specimen`, `pid:1234`, `maps-a.txt`).
  public var label: String
  /// True when per-region counters (RSS, PSS, swap) were read.
  public var hasCounters: Bool
  /// In address order.
  public var regions: [LayoutRegion]
  /// Totals from the source itself (smaps_rollup's PSS where it was read); nil fields were
  /// not measured.
  public var totals: LayoutTotals

  public init(label: String, hasCounters: Bool, regions: [LayoutRegion], totals: LayoutTotals) {
    self.label = label
    self.hasCounters = hasCounters
    self.regions = regions
    self.totals = totals
  }
}

/// A layout's totals, bytes (faults: counts).
public struct LayoutTotals: Codable, Hashable, Sendable {
  public var regions: Int
  public var virtual: UInt64
  public var rss: UInt64?
  public var pss: UInt64?
  public var swap: UInt64?
  public var minorFaults: UInt64?
  public var majorFaults: UInt64?

  public init(
    regions: Int, virtual: UInt64, rss: UInt64? = nil, pss: UInt64? = nil, swap: UInt64? = nil,
    minorFaults: UInt64? = nil, majorFaults: UInt64? = nil
  ) {
    self.regions = regions
    self.virtual = virtual
    self.rss = rss
    self.pss = pss
    self.swap = swap
    self.minorFaults = minorFaults
    self.majorFaults = majorFaults
  }
}

/// One region, with what identifies it across runs.
public struct LayoutRegion: Hashable, Sendable {
  public var kind: RegionKind
  /// The ELF segment role (`text`, `data`, …), when known.
  public var segment: String?
  /// The file or object the region belongs to, readable; nil for anonymous memory.
  public var file: String?
  /// The name column of maps, readable (`[heap]`, `[anon:cache]`, a path).
  public var name: String
  public var permissions: String
  public var start: UInt64
  public var size: UInt64
  public var rss: UInt64?
  public var pss: UInt64?
  public var swap: UInt64?

  public init(
    kind: RegionKind, segment: String?, file: String?, name: String, permissions: String,
    start: UInt64, size: UInt64, rss: UInt64? = nil, pss: UInt64? = nil, swap: UInt64? = nil
  ) {
    self.kind = kind
    self.segment = segment
    self.file = file
    self.name = name
    self.permissions = permissions
    self.start = start
    self.size = size
    self.rss = rss
    self.pss = pss
    self.swap = swap
  }

  /// What the region is, without its address: the file and its segment for a file-backed
  /// region (`/usr/lib/libc.so.6 text`), the kind and the name for named memory
  /// (`heap [heap]`, `anonymous [anon:cache]`), the kind alone for unnamed anonymous memory.
  /// `Layout.identified` adds an ordinal when several regions share one.
  public var baseIdentity: String {
    if let file, !file.isEmpty {
      return file + " " + (segment ?? kind.rawValue)
    }
    if !name.isEmpty { return kind.rawValue + " " + name }
    return kind.rawValue
  }
}

extension Layout {
  /// Every region with its identity: the base identity, then ` #N` for the Nth region (in
  /// address order) sharing it, from the second on.
  public var identified: [(identity: String, region: LayoutRegion)] {
    var seen: [String: Int] = [:]
    var out: [(identity: String, region: LayoutRegion)] = []
    out.reserveCapacity(regions.count)
    for r in regions {
      let base = r.baseIdentity
      let n = (seen[base] ?? 0) + 1
      seen[base] = n
      out.append((n == 1 ? base : base + " #\(n)", r))
    }
    return out
  }

  /// A report's snapshot. The specimen's files live in a fresh `mkdtemp` directory each run
  /// (`/tmp/vmmap-specimen.HTHqMr`): with `specimen`, that directory's random part reads
  /// `XXXXXX`, so that the same file of two runs is one identity.
  public init(snapshot s: MapSnapshot, label: String, specimen: Bool = false) {
    let hasCounters = s.regions.contains { $0.rss != nil }
    let fix = { (path: String) in specimen ? Self.specimenDirectory(path) : path }
    self.init(
      label: label, hasCounters: hasCounters,
      regions: s.regions.map {
        LayoutRegion(
          kind: $0.kind, segment: $0.segment,
          file: ($0.owner ?? ($0.name.hasPrefix("/") && $0.inode != 0 ? $0.name : nil)).map(fix),
          name: fix($0.name), permissions: $0.permissions, start: $0.start.value, size: $0.size,
          rss: $0.rss, pss: $0.pss, swap: $0.swap)
      },
      totals: LayoutTotals(
        regions: s.totals.regions, virtual: s.totals.virtual,
        rss: hasCounters ? s.totals.rss : nil, pss: hasCounters ? s.totals.pss : nil,
        swap: hasCounters ? s.totals.swap : nil, minorFaults: s.minorFaults,
        majorFaults: s.majorFaults))
  }

  /// `/tmp/vmmap-specimen.HTHqMr/x` → `/tmp/vmmap-specimen.XXXXXX/x`.
  static func specimenDirectory(_ path: String) -> String {
    let marker = "/vmmap-specimen."
    guard let r = path.firstRange(of: marker) else { return path }
    let rest = path[r.upperBound...]
    let random = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber) }
    guard random.count == 6 else { return path }
    return String(path[..<r.upperBound]) + "XXXXXX" + rest.dropFirst(6)
  }

  /// A map read by vmmap (live or saved), classified.
  public init(map: MemoryMap, label: String) {
    let summary = MapSummary(map)
    self.init(
      label: label, hasCounters: map.hasCounters,
      regions: map.regions.map { r in
        let file =
          r.classification.owner?.string
          ?? (r.mapping.inode != 0 ? r.filePath?.string : nil)
        return LayoutRegion(
          kind: r.classification.kind, segment: r.classification.segment?.rawValue, file: file,
          name: r.mapping.rawName.string, permissions: r.permissions.description, start: r.start,
          size: r.size, rss: r.counters?.rss, pss: r.counters?.pss, swap: r.counters?.swap)
      },
      totals: LayoutTotals(
        regions: summary.regionCount, virtual: summary.totalVirtual,
        rss: map.hasCounters ? summary.resident : nil, pss: map.hasCounters ? summary.pss : nil,
        swap: map.hasCounters ? summary.swap : nil,
        minorFaults: map.stat.map { UInt64($0.minorFaults) },
        majorFaults: map.stat.map { UInt64($0.majorFaults) }))
  }
}
