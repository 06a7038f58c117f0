import Glibc
import VMMapCore

/// A process's memory map as a report keeps it: every region with its classification and
/// counters, the totals, the residency of the largest regions and a few pages followed down
/// to their physical frames. Taken in a sandboxed child (`vmmap __experiment snapshot-PID`).
public struct MapSnapshot: Codable, Hashable, Sendable {
  public var pid: Int32
  /// The command line, one readable string per argument (invalid UTF-8 shown as U+FFFD).
  public var command: [String]
  /// /proc/PID/comm.
  public var name: String
  /// /proc/PID/exe, readable.
  public var executable: String?
  public var threads: Int
  public var totals: SnapshotTotals
  /// Totals per kind, in `RegionKind` order, kinds present only.
  public var byKind: [KindTotals]
  /// Every region, in address order.
  public var regions: [SnapshotRegion]
  /// Page by page, the largest regions (pagemap).
  public var residency: [Residency]
  /// One resident page of a few interesting regions, followed to its frame.
  public var samplePages: [SamplePage]
  /// Page faults so far (/proc/PID/stat).
  public var minorFaults: UInt64?
  public var majorFaults: UInt64?
}

public struct SnapshotTotals: Codable, Hashable, Sendable {
  public var regions: Int
  /// Sum of region sizes.
  public var virtual: UInt64
  /// VmSize from status (the sum without `[vsyscall]`).
  public var vmSize: UInt64?
  public var rss: UInt64
  public var pss: UInt64
  /// "smaps_rollup" or "sum of regions".
  public var pssSource: String
  public var swap: UInt64
  public var anonymous: UInt64
  public var privateDirty: UInt64
  public var shared: UInt64
  /// VmHWM: the peak RSS.
  public var peakRSS: UInt64?
  public var gaps: Int
  public var largestGap: UInt64?
  /// Regions both writable and executable.
  public var writableExecutable: Int
}

public struct KindTotals: Codable, Hashable, Sendable {
  public var kind: RegionKind
  public var regions: Int
  public var size: UInt64
  public var rss: UInt64
  public var pss: UInt64
  public var swap: UInt64
}

/// One region. Addresses are `0x…` strings in JSON (`Address`).
public struct SnapshotRegion: Codable, Hashable, Sendable {
  public var start: Address
  public var end: Address
  public var permissions: String
  public var offset: UInt64
  /// `major:minor` in hex, as maps prints it.
  public var device: String
  public var inode: UInt64
  /// The mapping's name as maps prints it, readable (invalid UTF-8 shown as U+FFFD).
  public var name: String
  /// The name's bytes in hex, only when they are not valid UTF-8.
  public var nameBytes: String?
  public var kind: RegionKind
  public var segment: String?
  public var description: String
  /// "observed" or "inferred".
  public var certainty: String
  /// The file (or library) the region belongs to, readable.
  public var owner: String?
  public var threadID: Int32?
  public var size: UInt64
  public var rss: UInt64?
  public var pss: UInt64?
  public var swap: UInt64?
  public var privateDirty: UInt64?
  public var anonymous: UInt64?
  public var anonHugePages: UInt64?
}

/// The pages of one region: `map` is run-length encoded, `P` present, `S` swapped, `.` not
/// present (`P12.300S4`).
public struct Residency: Codable, Hashable, Sendable {
  public var start: Address
  public var end: Address
  public var kind: RegionKind
  public var label: String
  public var pages: Int
  public var present: Int
  public var swapped: Int
  public var map: String

  /// The page states, one per page: 0 not present, 1 present, 2 swapped.
  public var states: [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(pages)
    var state: UInt8 = 0
    var count = 0
    func flush() { out += repeatElement(state, count: count) }
    for c in map.utf8 {
      switch c {
      case UInt8(ascii: "P"), UInt8(ascii: "S"), UInt8(ascii: "."):
        flush()
        state = c == UInt8(ascii: "P") ? 1 : c == UInt8(ascii: "S") ? 2 : 0
        count = 0
      default:
        count = count * 10 + Int(c &- UInt8(ascii: "0"))
      }
    }
    flush()
    return out
  }

  static func encode(_ entries: [PagemapEntry]) -> (map: String, present: Int, swapped: Int) {
    var map = ""
    var present = 0
    var swapped = 0
    var last: Character?
    var run = 0
    func flush() { if let last { map += "\(last)\(run)" } }
    for e in entries {
      let c: Character = e.isPresent ? "P" : e.isSwapped ? "S" : "."
      if e.isPresent { present += 1 } else if e.isSwapped { swapped += 1 }
      if c == last {
        run += 1
      } else {
        flush()
        last = c
        run = 1
      }
    }
    flush()
    return (map, present, swapped)
  }
}

/// One virtual page followed through the page tables to its physical frame.
public struct SamplePage: Codable, Hashable, Sendable {
  /// What the page is (`heap`, `text of vmmap`, `main stack`).
  public var label: String
  public var kind: RegionKind
  public var address: Address
  public var present: Bool
  /// The page frame number; nil when not present or not visible.
  public var frame: Address?
  /// kpageflags names (`anon`, `mmap`, `zero_page`, `thp`, …).
  public var flags: [String]
  /// kpagecount: how many page-table entries map the frame.
  public var mapCount: UInt64?
  /// pagemap bit 56: only this process maps the page.
  public var exclusive: Bool
}

/// An address, written as a `0x…` string in JSON.
public struct Address: Codable, Hashable, Sendable, Comparable, CustomStringConvertible {
  public var value: UInt64
  public init(_ value: UInt64) { self.value = value }

  public var description: String { "0x" + String(value, radix: 16) }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard text.hasPrefix("0x"), let v = UInt64(text.dropFirst(2), radix: 16) else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "not a 0x… address: \(text)"))
    }
    value = v
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(description)
  }

  public static func < (a: Address, b: Address) -> Bool { a.value < b.value }
}

extension MapSnapshot {
  /// The regions whose residency a snapshot records: the largest, up to this many.
  static let residencyRegions = 4
  /// Regions with fewer pages are not worth a strip.
  static let residencyMinimumPages: UInt64 = 16
  /// Nor are those with more (a reservation of gigabytes reads megabytes of pagemap).
  static let residencyMaximumPages: UInt64 = 1 << 20

  /// Reads process `pid` (as the snapshot child does).
  public static func take(pid: Int32) throws(VMMapError) -> MapSnapshot {
    let map = try MemoryMapLoader.live(pid: pid, counters: true)
    let summary = MapSummary(map)
    let pagemap = try PagemapReader(pid: pid)

    var regions: [SnapshotRegion] = []
    regions.reserveCapacity(map.regions.count)
    for r in map.regions { regions.append(SnapshotRegion(r)) }

    var residency: [Residency] = []
    let candidates = map.regions.indices.filter {
      let pages = map.regions[$0].size / pagemap.pageSize
      let kind = map.regions[$0].classification.kind
      return pages >= residencyMinimumPages && pages <= residencyMaximumPages
        && kind != .vsyscall && kind != .vvar && kind != .guardPage
    }.sorted { map.regions[$0].size > map.regions[$1].size }.prefix(residencyRegions).sorted()
    for i in candidates {
      let r = map.regions[i]
      let entries = try pagemap.entries(at: r.start, count: Int(r.size / pagemap.pageSize))
      let encoded = Residency.encode(entries)
      residency.append(
        Residency(
          start: Address(r.start), end: Address(r.end), kind: r.classification.kind,
          label: label(r), pages: entries.count, present: encoded.present,
          swapped: encoded.swapped, map: encoded.map))
    }

    var samples: [SamplePage] = []
    let interesting: [(label: String, RegionKind, ELFSegmentRole?)] = [
      ("program text", .executable, .text), ("program data", .executable, .data),
      ("heap", .heap, nil), ("main stack", .mainStack, nil),
      ("library text", .sharedLibrary, .text), ("anonymous memory", .anonymous, nil),
    ]
    for (what, kind, segment) in interesting {
      for r in map.regions
      where r.classification.kind == kind && (segment == nil || r.classification.segment == segment)
      {
        let pages = Int(min(r.size / pagemap.pageSize, 4096))
        let entries = try pagemap.entries(at: r.start, count: pages)
        guard let k = entries.firstIndex(where: \.isPresent) else { continue }
        let page = try pagemap.page(at: r.start + UInt64(k) * pagemap.pageSize)
        samples.append(
          SamplePage(
            label: r.classification.owner.map { "\(what) (\($0.lastComponent.string))" } ?? what,
            kind: kind, address: Address(page.address),
            present: page.entry.isPresent, frame: page.entry.frameNumber.map(Address.init),
            flags: page.flags?.names ?? [], mapCount: page.mapCount,
            exclusive: page.entry.isExclusive))
        break
      }
    }

    let totals = SnapshotTotals(
      regions: summary.regionCount, virtual: summary.totalVirtual, vmSize: summary.vmSize,
      rss: summary.resident, pss: summary.pss, pssSource: summary.pssSource.rawValue,
      swap: summary.swap, anonymous: summary.anonymous, privateDirty: summary.privateDirty,
      shared: summary.shared, peakRSS: map.status?[memory: "VmHWM"], gaps: summary.gapCount,
      largestGap: summary.largestGap.map { $0.end - $0.start },
      writableExecutable: summary.writableExecutable.count)
    return MapSnapshot(
      pid: pid, command: map.commandLine.map(\.string),
      name: map.status?.name ?? "", executable: map.executable?.string,
      threads: map.threads.count, totals: totals,
      byKind: summary.byKind.map {
        KindTotals(
          kind: $0.kind, regions: $0.totals.regions, size: $0.totals.size, rss: $0.totals.rss,
          pss: $0.totals.pss, swap: $0.totals.swap)
      },
      regions: regions, residency: residency, samplePages: samples,
      minorFaults: map.stat.map { UInt64($0.minorFaults) },
      majorFaults: map.stat.map { UInt64($0.majorFaults) })
  }

  /// A short name for a region: its file's last component, or its kind.
  static func label(_ r: Region) -> String {
    if let owner = r.classification.owner { return owner.lastComponent.string }
    return r.classification.kind.rawValue
  }
}

extension SnapshotRegion {
  init(_ r: Region) {
    let m = r.mapping
    let c = r.counters
    self.init(
      start: Address(m.start), end: Address(m.end), permissions: m.permissions.description,
      offset: m.offset,
      device: Self.hex2(UInt64(m.deviceMajor)) + ":" + Self.hex2(UInt64(m.deviceMinor)),
      inode: m.inode, name: m.rawName.string,
      nameBytes: m.rawName.isValidUTF8
        ? nil : m.rawName.bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(),
      kind: r.classification.kind, segment: r.classification.segment?.rawValue,
      description: r.classification.description, certainty: r.classification.certainty.rawValue,
      owner: r.classification.owner?.string, threadID: r.classification.threadID,
      size: r.size, rss: c?.rss, pss: c?.pss, swap: c?.swap, privateDirty: c?.privateDirty,
      anonymous: c?.anonymous, anonHugePages: c?[.anonHugePages])
  }
}

extension SnapshotRegion {
  /// At least two hex digits, as maps prints device numbers.
  static func hex2(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return s.count < 2 ? "0" + s : s
  }
}
