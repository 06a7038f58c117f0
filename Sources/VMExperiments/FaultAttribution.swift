import VMMapCore

/// One page-fault sample, as `perf_event_open` delivered it.
public struct FaultSample: Hashable, Sendable {
  /// CLOCK_MONOTONIC nanoseconds.
  public var time: UInt64
  public var ip: UInt64
  public var address: UInt64
  public var pid: Int32
  public var tid: Int32
  public var isMajor: Bool

  public init(time: UInt64, ip: UInt64, address: UInt64, pid: Int32, tid: Int32, isMajor: Bool) {
    self.time = time
    self.ip = ip
    self.address = address
    self.pid = pid
    self.tid = tid
    self.isMajor = isMajor
  }

  /// x86-64 kernel addresses are the upper half (canonical, bit 63 set).
  public var isKernelIP: Bool { ip >= 0xffff_8000_0000_0000 }
  /// The access was the fetch of the instruction itself (the address is within the up to
  /// 15 bytes of the instruction at `ip`).
  public var isInstructionFetch: Bool { !isKernelIP && address >= ip && address < ip &+ 16 }
}

/// A mapping seen in a `PERF_RECORD_MMAP2` record.
public struct MmapRecord: Hashable, Sendable {
  public var time: UInt64
  public var pid: Int32
  public var start: UInt64
  public var length: UInt64
  public var permissions: Permissions
  public var name: PathBytes

  public init(
    time: UInt64, pid: Int32, start: UInt64, length: UInt64, permissions: Permissions,
    name: PathBytes
  ) {
    self.time = time
    self.pid = pid
    self.start = start
    self.length = length
    self.permissions = permissions
    self.name = name
  }
}

/// Attributes fault samples to regions: the map at the exit stop first (the final layout,
/// with the heap and the grown stack), then the mmap2 records (regions unmapped before the
/// exit), then the map at the exec stop; faults of other processes (children) and of an
/// earlier program (before the last exec) get one bucket each, never a wrong region.
public struct FaultAttribution {
  public var pid: Int32
  public var exitMap: [Mapping]
  public var execMap: [Mapping]
  public var mmapRecords: [MmapRecord]
  /// Samples before this time belong to an earlier program (nil: one program only).
  public var lastExecTime: UInt64?
  /// Time zero for `firstFaultSeconds`.
  public var enabledTime: UInt64

  public init(
    pid: Int32, exitMap: [Mapping], execMap: [Mapping], mmapRecords: [MmapRecord],
    lastExecTime: UInt64?, enabledTime: UInt64
  ) {
    self.pid = pid
    self.exitMap = exitMap.sorted { $0.start < $1.start }
    self.execMap = execMap.sorted { $0.start < $1.start }
    self.mmapRecords = mmapRecords.sorted { $0.time < $1.time }
    self.lastExecTime = lastExecTime
    self.enabledTime = enabledTime
  }

  struct Key: Hashable {
    var source: SampledRegion.Source
    var start: UInt64
    var end: UInt64
    var permissions: String
    var name: PathBytes
    var child: Int32
  }

  /// The rows, in first-touch order. `samples` may come in any order.
  public func regions(_ samples: [FaultSample]) -> [SampledRegion] {
    var rows: [Key: SampledRegion] = [:]
    var pages: [Key: Set<UInt64>] = [:]
    var firstTime: [Key: UInt64] = [:]
    for s in samples.sorted(by: { $0.time < $1.time }) {
      let key = self.key(for: s)
      let seconds = Double(s.time &- min(s.time, enabledTime)) / 1e9
      var row =
        rows[key]
        ?? SampledRegion(
          order: 0, source: key.source,
          start: key.source.hasRegion ? hex(key.start) : nil,
          end: key.source.hasRegion ? hex(key.end) : nil,
          permissions: key.permissions.isEmpty ? nil : key.permissions, name: key.name.string,
          nameBytes: key.name.isValidUTF8 ? nil : key.name.bytes,
          childPID: key.source == .childProcess ? key.child : nil, faults: 0, major: 0,
          instruction: 0, data: 0, kernel: 0, pages: 0, firstFaultSeconds: seconds,
          firstAddress: hex(s.address))
      if firstTime[key] == nil { firstTime[key] = s.time }
      row.faults += 1
      if s.isMajor { row.major += 1 }
      if s.isKernelIP {
        row.kernel += 1
      } else if s.isInstructionFetch {
        row.instruction += 1
      } else {
        row.data += 1
      }
      pages[key, default: []].insert(s.address >> 12)
      rows[key] = row
    }
    let ordered = rows.sorted {
      (firstTime[$0.key] ?? 0, $0.key.start) < (firstTime[$1.key] ?? 0, $1.key.start)
    }
    return ordered.enumerated().map { i, entry in
      var row = entry.value
      row.order = i + 1
      row.pages = UInt64(pages[entry.key]?.count ?? 0)
      return row
    }
  }

  func key(for s: FaultSample) -> Key {
    if s.pid != pid {
      return Key(
        source: .childProcess, start: 0, end: 0, permissions: "", name: PathBytes(""), child: s.pid)
    }
    if let last = lastExecTime, s.time < last {
      return Key(
        source: .earlierProgram, start: 0, end: 0, permissions: "", name: PathBytes(""), child: 0)
    }
    if let m = Self.find(s.address, in: exitMap) {
      return Key(
        source: .exitMap, start: m.start, end: m.end, permissions: m.permissions.description,
        name: m.rawName, child: 0)
    }
    // The latest record made before the fault (and after the last exec) that covers it.
    if let r = mmapRecords.last(where: {
      $0.pid == pid && $0.time <= s.time && $0.start <= s.address
        && s.address < $0.start &+ $0.length && $0.time >= (lastExecTime ?? 0)
    }) {
      return Key(
        source: .mmapRecord, start: r.start, end: r.start &+ r.length,
        permissions: r.permissions.description, name: r.name, child: 0)
    }
    if let m = Self.find(s.address, in: execMap) {
      return Key(
        source: .execMap, start: m.start, end: m.end, permissions: m.permissions.description,
        name: m.rawName, child: 0)
    }
    return Key(source: .unmapped, start: 0, end: 0, permissions: "", name: PathBytes(""), child: 0)
  }

  /// Binary search over mappings sorted by start.
  static func find(_ address: UInt64, in map: [Mapping]) -> Mapping? {
    var low = 0
    var high = map.count
    while low < high {
      let mid = (low + high) / 2
      if map[mid].end <= address {
        low = mid + 1
      } else {
        high = mid
      }
    }
    return low < map.count && map[low].contains(address) ? map[low] : nil
  }
}

extension SampledRegion.Source {
  /// True for rows that are a region (not a bucket).
  public var hasRegion: Bool {
    switch self {
    case .exitMap, .mmapRecord, .execMap: true
    case .earlierProgram, .childProcess, .unmapped: false
    }
  }
}
