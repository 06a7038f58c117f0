import FoundationEssentials
import VMExperiments
import VMMapCore

/// One side of `vmmap compare`: a report model, or one process's map.
public enum CompareInput: Sendable {
  case report(Report, source: String)
  case layout(Layout, source: String)

  /// What it was given as (`run-a.json`, `pid:1234`).
  public var source: String {
    switch self {
    case .report(_, let s), .layout(_, let s): s
    }
  }

  /// `report` or `map`.
  public var kindName: String {
    switch self {
    case .report: "report"
    case .layout: "map"
    }
  }

  /// Reads `argument`: `pid:N` is a live process (smaps and smaps_rollup); a file is a report
  /// model (JSON with `machine`), a map JSON (`vmmap --map PID --json`: `source` and `regions`),
  /// or a saved maps or smaps file. Anything else is bad data (65), a missing file 66.
  public static func load(_ argument: String) throws(VMMapError) -> CompareInput {
    if argument.hasPrefix("pid:") {
      let text = String(argument.dropFirst(4))
      guard let pid = Int32(text), pid > 0 else {
        throw VMMapError(
          .usage, what: "'\(argument)'", why: "not a process ID after pid:",
          fix: "write a live process as pid:1234")
      }
      let map = try MemoryMapLoader.live(pid: pid, counters: true)
      return .layout(Layout(map: map, label: argument), source: argument)
    }
    let bytes = try readInput(argument)
    guard let first = bytes.first(where: { $0 > 0x20 }) else {
      throw VMMapError(
        .badData, what: argument, why: "the file is empty",
        fix: "give a report (vmmap report --json), a map JSON or a saved maps or smaps file")
    }
    if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
      return try json(bytes, source: argument)
    }
    let map = try MemoryMapLoader.saved(path: argument, smaps: false)
    guard !map.regions.isEmpty else {
      throw VMMapError(
        .badData, what: argument, why: "no regions in it",
        fix: "give a saved copy of /proc/PID/maps or smaps")
    }
    return .layout(Layout(map: map, label: argument), source: argument)
  }

  static func readInput(_ path: String) throws(VMMapError) -> [UInt8] {
    do {
      return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      let code = (error as? CocoaError)?.code
      if code == .fileReadNoSuchFile {
        throw VMMapError(
          .noInput, what: path, why: "no such file",
          fix: "give a report, a map JSON, a maps or smaps file, or pid:PID")
      }
      if code == .fileReadNoPermission {
        throw VMMapError(
          .permissionDenied, what: path, why: "permission denied",
          fix: "check the file's permissions (ls -l)")
      }
      throw VMMapError(.ioError, what: path, why: "cannot read it (\(error))")
    }
  }

  /// Which JSON document this is, by its top-level fields.
  struct Shape: Decodable {
    var schemaVersion: Int?
    var machine: AnyKey?
    var source: AnyKey?
    var regions: AnyKey?
    var watch: AnyKey?
    struct AnyKey: Decodable {
      init(from decoder: any Decoder) throws {}
    }
  }

  static func json(_ bytes: [UInt8], source: String) throws(VMMapError) -> CompareInput {
    if bytes.first(where: { $0 > 0x20 }) == UInt8(ascii: "[") {
      throw VMMapError(
        .badData, what: source, why: "a JSON array (several maps?)",
        fix: "give one map: vmmap --map PID --json with a single PID")
    }
    let shape: Shape
    do {
      shape = try JSONDecoder().decode(Shape.self, from: Data(bytes))
    } catch {
      throw VMMapError(
        .badData, what: source, why: "not valid JSON: \(ReportFile.brief(error))",
        fix: "give a report, a map JSON, or a saved maps or smaps file")
    }
    if shape.machine != nil {
      return .report(try ReportFile.decode(bytes, source: source), source: source)
    }
    if shape.source != nil, shape.regions != nil {
      return .layout(try MapJSON.decode(bytes, source: source), source: source)
    }
    if shape.watch != nil {
      throw VMMapError(
        .badData, what: source, why: "a watch timeline, which compare does not take",
        fix: "render it with vmmap render, or compare two reports or maps")
    }
    throw VMMapError(
      .badData, what: source, why: "JSON that is neither a vmmap report nor a map",
      fix: "give vmmap report --json or vmmap --map PID --json output")
  }
}

/// The map JSON of `vmmap --map PID --json` (docs/schema/map.schema.json), the fields a
/// layout needs.
enum MapJSON {
  struct Document: Decodable {
    var schemaVersion: Int
    var source: Source
    var process: Process?
    var summary: Summary
    var regions: [Region]
  }
  struct Source: Decodable {
    var kind: String
    var pid: Int32?
    var path: String?
  }
  struct Process: Decodable {
    var pid: Int32?
    var minorFaults: UInt64?
    var majorFaults: UInt64?
  }
  struct Summary: Decodable {
    var regions: Int
    var totalVirtual: UInt64
    var hasCounters: Bool
    var rss: UInt64?
    var pss: UInt64?
    var swap: UInt64?
  }
  struct Region: Decodable {
    var start: String
    var size: UInt64
    var permissions: String
    var name: String
    var path: String?
    var inode: UInt64
    var kind: RegionKind
    var segment: String?
    var owner: String?
    var counters: Counters?
  }
  struct Counters: Decodable {
    var rss: UInt64?
    var pss: UInt64?
    var swap: UInt64?
  }

  /// The newest map schema this reads.
  static let schemaVersion = 1

  static func decode(_ bytes: [UInt8], source: String) throws(VMMapError) -> Layout {
    struct Version: Decodable { var schemaVersion: Int }
    if let v = try? JSONDecoder().decode(Version.self, from: Data(bytes)),
      v.schemaVersion > schemaVersion
    {
      throw VMMapError(
        .badData, what: source,
        why:
          "map schemaVersion \(v.schemaVersion) is newer than this vmmap reads (\(schemaVersion))",
        fix: "compare it with a newer vmmap")
    }
    let d: Document
    do {
      d = try JSONDecoder().decode(Document.self, from: Data(bytes))
    } catch {
      throw VMMapError(
        .badData, what: source, why: "not a valid map JSON: \(ReportFile.brief(error))",
        fix: "give vmmap --map PID --json output")
    }
    var regions: [LayoutRegion] = []
    regions.reserveCapacity(d.regions.count)
    for r in d.regions {
      guard r.start.hasPrefix("0x"), let start = UInt64(r.start.dropFirst(2), radix: 16) else {
        throw VMMapError(
          .badData, what: source, why: "region start \(r.start) is not a 0x… address",
          fix: "give vmmap --map PID --json output")
      }
      regions.append(
        LayoutRegion(
          kind: r.kind, segment: r.segment,
          file: r.owner ?? (r.inode != 0 ? r.path : nil), name: r.name,
          permissions: r.permissions, start: start, size: r.size, rss: r.counters?.rss,
          pss: r.counters?.pss, swap: r.counters?.swap))
    }
    let s = d.summary
    return Layout(
      label: source, hasCounters: s.hasCounters, regions: regions,
      totals: LayoutTotals(
        regions: s.regions, virtual: s.totalVirtual, rss: s.hasCounters ? s.rss : nil,
        pss: s.hasCounters ? s.pss : nil, swap: s.hasCounters ? s.swap : nil,
        minorFaults: d.process?.minorFaults, majorFaults: d.process?.majorFaults))
  }
}
