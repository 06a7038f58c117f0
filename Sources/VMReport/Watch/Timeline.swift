import FoundationEssentials
import VMMapCore

/// What `vmmap watch` saw (docs/schema/watch.schema.json): one sample per interval, each with
/// the process's totals, its regions per kind, and what appeared, vanished or grew since the
/// sample before. `vmmap render` tells a timeline from a report by its `watch` field.
public struct Timeline: Codable, Sendable {
  public static let currentSchemaVersion = 1

  public var schemaVersion = Timeline.currentSchemaVersion
  public var watch: WatchInfo
  public var samples: [WatchSample]
  public var summary: WatchSummary?

  public init(watch: WatchInfo, samples: [WatchSample] = [], summary: WatchSummary? = nil) {
    self.watch = watch
    self.samples = samples
    self.summary = summary
  }
}

public struct WatchInfo: Codable, Hashable, Sendable {
  public var pid: Int32
  /// /proc/PID/comm.
  public var name: String
  /// The command line, one readable string per argument.
  public var command: [String]
  /// The interval asked for, seconds.
  public var interval: Double
  /// `smaps` (every interval, `--smaps`) or `page tables` (maps, PAGEMAP_SCAN for each
  /// region's RSS and swap, smaps_rollup for PSS).
  public var counterSource: String
  /// The host and kernel it ran on.
  public var hostname: String
  public var kernel: String
}

/// One sample.
public struct WatchSample: Codable, Hashable, Sendable {
  /// Seconds since the first sample (monotonic clock).
  public var seconds: Double
  public var regions: Int
  public var virtual: UInt64
  /// Sum of the regions' RSS (equal to smaps_rollup's for an idle process).
  public var rss: UInt64
  /// smaps_rollup's PSS.
  public var pss: UInt64?
  public var swap: UInt64
  public var minorFaults: UInt64
  public var majorFaults: UInt64
  /// Faults per second since the sample before (nil for the first).
  public var faultsPerSecond: Double?
  /// Per kind, kinds present only, in `RegionKind` order.
  public var byKind: [WatchKind]
  /// Region identities (as `compare` matches them) that appeared since the sample before.
  public var added: [String]
  /// Region identities that vanished.
  public var removed: [String]
  /// Regions whose size or RSS changed since the sample before, largest RSS change first (at
  /// most `WatchSampler.growthRows`).
  public var changed: [WatchRegionChange]
}

public struct WatchKind: Codable, Hashable, Sendable {
  public var kind: RegionKind
  public var regions: Int
  public var size: UInt64
  public var rss: UInt64
}

public struct WatchRegionChange: Codable, Hashable, Sendable {
  public var identity: String
  /// Bytes, signed.
  public var sizeDelta: Int64
  public var rssDelta: Int64
}

public struct WatchSummary: Codable, Hashable, Sendable {
  /// `count reached`, `process exited` or `interrupted`.
  public var ended: String
  /// The error that ended the watch when the process went away, as vmmap would print it.
  public var endMessage: String?
  public var samples: Int
  public var seconds: Double
  public var firstRSS: UInt64?
  public var lastRSS: UInt64?
  public var peakRSS: UInt64?
  public var regionsAdded: Int
  public var regionsRemoved: Int
  public var faults: UInt64
  /// The kinds whose RSS changed most from first to last sample, largest first.
  public var kindGrowth: [WatchKindGrowth]
}

public struct WatchKindGrowth: Codable, Hashable, Sendable {
  public var kind: RegionKind
  public var rssDelta: Int64
  public var sizeDelta: Int64
}

extension Timeline {
  /// The summary of the samples so far.
  public func summarize(ended: String, message: String? = nil) -> WatchSummary {
    let first = samples.first
    let last = samples.last
    var growth: [WatchKindGrowth] = []
    if let first, let last {
      for kind in RegionKind.allCases {
        let a = first.byKind.first { $0.kind == kind }
        let b = last.byKind.first { $0.kind == kind }
        guard a != nil || b != nil else { continue }
        let g = WatchKindGrowth(
          kind: kind, rssDelta: Int64(b?.rss ?? 0) - Int64(a?.rss ?? 0),
          sizeDelta: Int64(b?.size ?? 0) - Int64(a?.size ?? 0))
        if g.rssDelta != 0 || g.sizeDelta != 0 { growth.append(g) }
      }
    }
    growth.sort {
      ($0.rssDelta.magnitude, $0.sizeDelta.magnitude) > (
        $1.rssDelta.magnitude, $1.sizeDelta.magnitude
      )
    }
    return WatchSummary(
      ended: ended, endMessage: message, samples: samples.count,
      seconds: last.map(\.seconds) ?? 0, firstRSS: first?.rss, lastRSS: last?.rss,
      peakRSS: samples.map(\.rss).max(),
      regionsAdded: samples.dropFirst().map(\.added.count).reduce(0, +),
      regionsRemoved: samples.dropFirst().map(\.removed.count).reduce(0, +),
      faults: (last.map { $0.minorFaults + $0.majorFaults } ?? 0)
        - (first.map { $0.minorFaults + $0.majorFaults } ?? 0),
      kindGrowth: growth)
  }
}

/// A timeline as a JSON file: written by `vmmap watch -o`, read by `render`.
public enum TimelineFile {
  public static func encode(_ t: Timeline) throws(VMMapError) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do {
      return Array(try encoder.encode(t)) + [UInt8(ascii: "\n")]
    } catch {
      throw VMMapError(.internalError, what: "the watch timeline", why: "\(error)")
    }
  }

  /// Whether `bytes` are a timeline (a top-level `watch` field).
  public static func isTimeline(_ bytes: [UInt8]) -> Bool {
    struct Probe: Decodable {
      var watch: CompareInput.Shape.AnyKey?
    }
    return (try? JSONDecoder().decode(Probe.self, from: Data(bytes)))?.watch != nil
  }

  public static func decode(_ bytes: [UInt8], source: String) throws(VMMapError) -> Timeline {
    struct Version: Decodable { var schemaVersion: Int }
    guard let v = try? JSONDecoder().decode(Version.self, from: Data(bytes)) else {
      throw VMMapError(
        .badData, what: source, why: "a watch timeline without schemaVersion",
        fix: "give a file written by vmmap watch -o")
    }
    guard v.schemaVersion <= Timeline.currentSchemaVersion else {
      throw VMMapError(
        .badData, what: source,
        why:
          "timeline schemaVersion \(v.schemaVersion) is newer than this vmmap reads (\(Timeline.currentSchemaVersion))",
        fix: "render it with a newer vmmap")
    }
    do {
      return try JSONDecoder().decode(Timeline.self, from: Data(bytes))
    } catch {
      throw VMMapError(
        .badData, what: source, why: "not a valid watch timeline: \(ReportFile.brief(error))",
        fix: "give a file written by vmmap watch -o")
    }
  }
}
