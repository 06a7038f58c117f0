import VMMapCore

/// The `--json` form of a memory map (schema: docs/schema/map.schema.json).
///
/// Addresses are `"0x…"` strings, sizes are bytes, keys keep a fixed order, and regions come one
/// per line so that two snapshots diff well.
public struct MapJSONRenderer {
  public static let schemaVersion = 1

  public var selection: RegionSelection
  public var swapConfigured: Bool?

  public init(selection: RegionSelection = RegionSelection(), swapConfigured: Bool? = nil) {
    self.selection = selection
    self.swapConfigured = swapConfigured
  }

  public func render(_ map: MemoryMap) -> [UInt8] {
    var w = JSONWriter(prettyDepth: 2)
    write(map, into: &w)
    return w.bytes + [UInt8(ascii: "\n")]
  }

  /// Writes the map document as one JSON object (also used inside multi-process output).
  public func write(_ map: MemoryMap, into w: inout JSONWriter) {
    w.beginObject()
    w.field("schemaVersion", Self.schemaVersion)
    w.beginObject("source")
    switch map.source {
    case .live(let pid):
      w.field("kind", "live")
      w.field("pid", Int(pid))
    case .file(let path):
      w.field("kind", "file")
      w.field("path", path)
    }
    w.endObject()
    writeProcess(map, &w)
    writeSummary(map, &w)
    let shown = selection.apply(to: map)
    w.beginArray("regions")
    for i in shown { writeRegion(map.regions[i], index: i, &w) }
    w.endArray()
    w.beginArray("gaps")
    for g in map.gaps {
      w.element()
      w.beginObject()
      w.address("start", g.start)
      w.address("end", g.end)
      w.field("size", g.size)
      w.endObject()
    }
    w.endArray()
    w.endObject()
  }

  func writeProcess(_ map: MemoryMap, _ w: inout JSONWriter) {
    w.beginObject("process")
    if let pid = map.pid { w.field("pid", Int(pid)) }
    if let stat = map.stat {
      w.path("comm", stat.comm)
      w.field("state", String(UnicodeScalar(stat.state)))
      w.field("ppid", Int(stat.ppid))
      w.field("minorFaults", stat.minorFaults)
      w.field("majorFaults", stat.majorFaults)
      w.field("startTimeTicks", stat.startTime)
    }
    if let exe = map.executable { w.path("executable", exe) }
    w.beginArray("commandLine")
    for arg in map.commandLine {
      w.element()
      w.writeString(arg.string)
    }
    w.endArray()
    if map.commandLine.contains(where: { !$0.isValidUTF8 }) {
      w.beginArray("commandLineBytes")
      for arg in map.commandLine { w.value(arg.bytes.map { hex(UInt64($0), width: 2) }.joined()) }
      w.endArray()
    }
    if let status = map.status {
      w.beginObject("status")
      for (key, value) in status.memory.sorted(by: { $0.key < $1.key }) { w.field(key, value) }
      w.endObject()
    }
    w.beginArray("threads")
    for t in map.threads {
      w.element()
      w.beginObject()
      w.field("tid", Int(t.tid))
      w.path("comm", t.stat.comm)
      if let sp = t.stackPointer {
        w.address("stackPointer", sp)
        w.field("stackPointerSource", t.stackPointerSource ?? "")
      }
      w.endObject()
    }
    w.endArray()
    w.endObject()
  }

  func writeSummary(_ map: MemoryMap, _ w: inout JSONWriter) {
    let s = MapSummary(map)
    let space = AddressSpace.current
    w.beginObject("summary")
    w.field("regions", s.regionCount)
    w.field("totalVirtual", s.totalVirtual)
    w.field("vsyscall", s.vsyscallSize)
    if let vm = s.vmSize { w.field("vmSize", vm) }
    w.field("hasCounters", s.hasCounters)
    if s.hasCounters {
      w.field("counterSource", s.countersFromPageTables ? "page-tables" : "smaps")
    }
    if s.hasCounters && s.countersFromPageTables {
      w.field("rss", s.resident)
      w.field("swap", s.swap)
    } else if s.hasCounters {
      w.field("rss", s.resident)
      w.field("pss", s.pss)
      w.field("pssSource", s.pssSource.rawValue)
      w.field("shared", s.shared)
      w.field("sharedSource", s.sharedSource.rawValue)
      w.field("privateDirty", s.privateDirty)
      w.field("anonymous", s.anonymous)
      w.field("swap", s.swap)
      if let v = s.pssAnon { w.field("pssAnon", v) }
      if let v = s.pssFile { w.field("pssFile", v) }
      if let v = s.pssShmem { w.field("pssShmem", v) }
    }
    if let swapConfigured { w.field("swapConfigured", swapConfigured) }
    w.field("gaps", s.gapCount)
    if let g = s.largestGap {
      w.beginObject("largestGap")
      w.address("start", g.start)
      w.address("end", g.end)
      w.field("size", g.size)
      w.endObject()
    }
    w.field("writableExecutable", s.writableExecutable.count)
    w.beginObject("addressSpace")
    w.field("pageSize", space.pageSize)
    w.field("pagingLevels", space.pagingLevels)
    w.address("userTop", space.userTop)
    w.endObject()
    w.beginArray("byKind")
    for (kind, t) in s.byKind {
      w.element()
      w.beginObject()
      w.field("kind", kind.rawValue)
      writeTotals(t, s.hasCounters, &w)
      w.endObject()
    }
    w.endArray()
    w.beginArray("byPermission")
    for (perms, t) in s.byPermission {
      w.element()
      w.beginObject()
      w.field("permissions", perms)
      writeTotals(t, s.hasCounters, &w)
      w.endObject()
    }
    w.endArray()
    w.endObject()
  }

  func writeTotals(_ t: MapSummary.Totals, _ counters: Bool, _ w: inout JSONWriter) {
    w.field("regions", t.regions)
    w.field("size", t.size)
    if counters {
      w.field("rss", t.rss)
      w.field("pss", t.pss)
      w.field("swap", t.swap)
    }
  }

  /// Writes one region object; `asElement` when it is an array element rather than a keyed value.
  func writeRegion(_ r: Region, index: Int, _ w: inout JSONWriter, asElement: Bool = true) {
    let m = r.mapping
    let c = r.classification
    if asElement { w.element() }
    w.beginObject()
    w.field("index", index)
    w.address("start", m.start)
    w.address("end", m.end)
    w.field("size", m.size)
    w.field("permissions", m.permissions.description)
    w.address("offset", m.offset)
    w.field(
      "device", hex(UInt64(m.deviceMajor), width: 2) + ":" + hex(UInt64(m.deviceMinor), width: 2))
    w.field("inode", m.inode)
    w.path("name", m.rawName)
    if let path = r.filePath { w.path("path", path) }
    w.field("deleted", r.isDeleted)
    if r.resolved == nil, m.name.isAmbiguous { w.field("nameAmbiguous", true) }
    w.field("kind", c.kind.rawValue)
    if let seg = c.segment { w.field("segment", seg.rawValue) }
    w.field("description", c.description)
    w.field("certainty", c.certainty.rawValue)
    if !c.evidence.isEmpty {
      w.beginArray("evidence")
      for e in c.evidence { w.value(e) }
      w.endArray()
    }
    if !c.sections.isEmpty {
      w.beginArray("sections")
      for e in c.sections { w.value(e) }
      w.endArray()
    }
    if let owner = c.owner { w.path("owner", owner) }
    if let tid = c.threadID { w.field("threadId", Int(tid)) }
    w.field("thp", c.usesTHP)
    w.field("writableExecutable", m.permissions.isWritableAndExecutable)
    if let counters = r.counters {
      w.beginObject("counters")
      for f in SmapsField.allCases where counters.has(f) { w.field(f.jsonKey, counters[f]) }
      for e in counters.extra { w.field(e.name, e.value) }
      w.endObject()
      if let flags = counters.vmFlags {
        w.beginArray("vmFlags")
        for code in flags.codeList { w.value(code) }
        w.endArray()
      }
    }
    w.endObject()
  }
}
