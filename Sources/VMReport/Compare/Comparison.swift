import VMExperiments
import VMMapCore

/// What `vmmap compare A B` found (docs/schema/compare.schema.json): the machine facts that
/// differ, the experiments side by side, and the process layouts matched region by region.
/// Every list is in a stable order, so that the same inputs render to the same bytes.
public struct Comparison: Codable, Sendable {
  public static let currentSchemaVersion = 1

  public var schemaVersion = Comparison.currentSchemaVersion
  /// `report` or `map`.
  public var inputs: String
  public var a: Side
  public var b: Side
  /// Machine facts that differ (reports only; empty when they agree).
  public var machine: [FactChange]
  /// Every experiment present in either report, its measures side by side.
  public var experiments: [ExperimentComparison]
  /// One per process both sides have (a report's specimen and process, or the two maps).
  public var layouts: [LayoutComparison]
  /// The `--threshold`s and whether each was crossed.
  public var thresholds: [ThresholdCheck]
  /// How many differences there are in all (facts, measures beyond noise, regions added,
  /// removed or changed, kind totals that moved).
  public var differences: Int

  public struct Side: Codable, Hashable, Sendable {
    /// As given on the command line.
    public var source: String
    /// `Linux 6.18.0 on host` for a report, the map's label otherwise.
    public var description: String
  }

  /// True when thresholds were given and at least one was crossed.
  public var thresholdCrossed: Bool { thresholds.contains { $0.crossed } }
}

/// A machine fact, in both reports (nil where one has no such fact).
public struct FactChange: Codable, Hashable, Sendable {
  /// Its place in the model (`settings.thpEnabled`).
  public var key: String
  public var label: String
  public var a: String?
  public var b: String?
}

public struct ExperimentComparison: Codable, Hashable, Sendable {
  public var experiment: String
  /// Why a side has no results (its step failed, or the report lacks the experiment).
  public var aMissing: String?
  public var bMissing: String?
  public var measures: [MeasureChange]
}

public struct MeasureChange: Codable, Hashable, Sendable {
  public var key: String
  public var label: String
  public var unit: Measure.Unit
  public var metric: String?
  public var a: Double?
  public var b: Double?
  public var aText: String?
  public var bText: String?
  /// b − a.
  public var delta: Double?
  /// (b − a) / a, as a fraction; nil when a is 0 or missing.
  public var relative: Double?
  /// The noise a change must exceed: the larger spread of the two sides' repeats (0 without
  /// repeats: compared exactly).
  public var noise: Double
  /// The change is beyond the noise (for text: the words differ).
  public var changed: Bool
}

/// Two layouts of one process role, matched by identity.
public struct LayoutComparison: Codable, Hashable, Sendable {
  /// `specimen`, `process` or `map`.
  public var role: String
  public var aLabel: String
  public var bLabel: String
  public var hasCounters: Bool
  public var aTotals: LayoutTotals
  public var bTotals: LayoutTotals
  /// Per kind, only kinds whose totals changed: largest RSS change first.
  public var kinds: [KindChange]
  public var added: [RegionSide]
  public var removed: [RegionSide]
  /// Matched regions whose size, counters or permissions differ: largest RSS change first.
  public var changed: [RegionChange]
  /// Matched regions that are the same in every compared field.
  public var unchanged: Int
  /// Matched regions that became writable and executable.
  public var becameWritableExecutable: [String]
}

public struct KindChange: Codable, Hashable, Sendable {
  public var kind: RegionKind
  public var aRegions: Int
  public var bRegions: Int
  public var aSize: UInt64
  public var bSize: UInt64
  public var aRSS: UInt64?
  public var bRSS: UInt64?
  public var aPSS: UInt64?
  public var bPSS: UInt64?
  public var aSwap: UInt64?
  public var bSwap: UInt64?
}

/// A region present on one side only.
public struct RegionSide: Codable, Hashable, Sendable {
  public var identity: String
  public var kind: RegionKind
  public var permissions: String
  public var size: UInt64
  public var rss: UInt64?
}

public struct RegionChange: Codable, Hashable, Sendable {
  public var identity: String
  public var kind: RegionKind
  public var aPermissions: String
  public var bPermissions: String
  public var aSize: UInt64
  public var bSize: UInt64
  public var aRSS: UInt64?
  public var bRSS: UInt64?
  public var aPSS: UInt64?
  public var bPSS: UInt64?
  public var aSwap: UInt64?
  public var bSwap: UInt64?

  /// `grown`, `shrunk`, or `same size`.
  public var sizeChange: String {
    bSize > aSize ? "grown" : bSize < aSize ? "shrunk" : "same size"
  }
}

// MARK: comparing

extension Comparison {
  /// Compares two inputs of the same kind; a report against a map is a usage error (64).
  public static func compare(
    _ a: CompareInput, _ b: CompareInput, thresholds: [Threshold] = []
  ) throws(VMMapError) -> Comparison {
    var c: Comparison
    switch (a, b) {
    case (.report(let ra, let sa), .report(let rb, let sb)):
      c = Comparison(
        inputs: "report", a: Side(source: sa, description: describe(ra)),
        b: Side(source: sb, description: describe(rb)), machine: machine(ra.machine, rb.machine),
        experiments: experiments(ra, rb), layouts: [], thresholds: [], differences: 0)
      for (role, la, lb) in [
        ("specimen", ra.specimen?.result, rb.specimen?.result),
        ("process", ra.process?.result, rb.process?.result),
      ] {
        guard let la, let lb else { continue }
        c.layouts.append(
          layouts(
            role: role,
            Layout(snapshot: la, label: "\(role) in \(sa)", specimen: role == "specimen"),
            Layout(snapshot: lb, label: "\(role) in \(sb)", specimen: role == "specimen")))
      }
    case (.layout(let la, let sa), .layout(let lb, let sb)):
      c = Comparison(
        inputs: "map", a: Side(source: sa, description: la.label),
        b: Side(source: sb, description: lb.label), machine: [], experiments: [],
        layouts: [layouts(role: "map", la, lb)], thresholds: [], differences: 0)
    default:
      throw VMMapError(
        .usage, what: "compare \(a.source) \(b.source)",
        why: "a \(a.kindName) against a \(b.kindName)",
        fix: "compare two reports, or two maps (maps/smaps files, map JSON, pid:PID)")
    }
    c.differences = c.countDifferences()
    c.thresholds = thresholds.map { c.check($0) }
    return c
  }

  static func describe(_ r: Report) -> String {
    "Linux \(r.machine.kernel.release) on \(r.machine.hostname)"
  }

  func countDifferences() -> Int {
    var n = machine.count
    for e in experiments {
      n += e.measures.filter(\.changed).count
      if (e.aMissing == nil) != (e.bMissing == nil) { n += 1 }
    }
    for l in layouts {
      n += l.added.count + l.removed.count + l.changed.count
      // The totals, when they moved, count as one more difference.
      let a = l.aTotals
      let b = l.bTotals
      if (a.regions, a.virtual) != (b.regions, b.virtual)
        || l.hasCounters && (a.rss, a.pss, a.swap) != (b.rss, b.pss, b.swap)
      {
        n += 1
      }
    }
    return n
  }

  // MARK: machine facts

  /// Facts that change from one run to the next on the same machine: not facts.
  static let volatileFacts: Set<String> = ["memory.available"]

  static let factLabels: [String: String] = [
    "hostname": "Host", "kernel.release": "Kernel release", "kernel.version": "Kernel build",
    "kernel.architecture": "Architecture", "cpu.model": "CPU", "cpu.logicalCPUs": "Logical CPUs",
    "cpu.physicalAddressBits": "Physical address bits",
    "cpu.virtualAddressBits": "CPU virtual address bits", "cpu.tlbSize": "TLB",
    "cpu.vmFlags": "CPU VM features", "memory.total": "Memory", "memory.swapTotal": "Swap",
    "memory.swapAreas": "Swap areas", "paging.pageSize": "Page size",
    "paging.hugePageSizes": "Huge page sizes", "paging.hugePagesReserved": "Huge pages reserved",
    "paging.levels": "Paging levels", "paging.cpuHasLA57": "CPU has la57 (5-level paging)",
    "paging.virtualAddressBits": "Virtual address bits", "paging.userTop": "Top of user space",
    "settings.thpEnabled": "THP enabled", "settings.thpDefrag": "THP defrag",
    "settings.thpSize": "THP size", "settings.randomizeVASpace": "ASLR (randomize_va_space)",
    "settings.overcommitMemory": "Overcommit (overcommit_memory)",
    "settings.overcommitRatio": "Overcommit ratio", "settings.maxMapCount": "max_map_count",
    "settings.mmapMinAddress": "mmap_min_addr",
  ]

  /// Every leaf of the two fact trees that differs, in key order. The facts are walked as
  /// their JSON, so a fact added to `MachineFacts` is compared without a change here.
  static func machine(_ a: MachineFacts, _ b: MachineFacts) -> [FactChange] {
    let fa = FactFlattener.flatten(a)
    let fb = FactFlattener.flatten(b)
    var out: [FactChange] = []
    for key in Set(fa.keys).union(fb.keys).sorted()
    where !volatileFacts.contains(key) && fa[key] != fb[key] {
      let label =
        factLabels[key]
        ?? (key.hasPrefix("kernelConfig.") ? String(key.dropFirst("kernelConfig.".count)) : key)
      out.append(FactChange(key: key, label: label, a: fa[key], b: fb[key]))
    }
    return out
  }

  // MARK: experiments

  static func experiments(_ a: Report, _ b: Report) -> [ExperimentComparison] {
    let ea = a.experimentMeasures
    let eb = b.experimentMeasures
    var names = ea.map(\.experiment)
    for e in eb where !names.contains(e.experiment) { names.append(e.experiment) }
    return names.map { name in
      let x = ea.first { $0.experiment == name }
      let y = eb.first { $0.experiment == name }
      func missing(_ e: ExperimentMeasures?) -> String? {
        guard let e else { return "not in this report" }
        return e.measures == nil ? "failed: \(e.error ?? "no result")" : nil
      }
      let ma = x?.measures ?? []
      let mb = y?.measures ?? []
      var keys = ma.map(\.key)
      for m in mb where !keys.contains(m.key) { keys.append(m.key) }
      let changes = keys.map { key in
        measure(ma.first { $0.key == key }, mb.first { $0.key == key })
      }
      return ExperimentComparison(
        experiment: name, aMissing: missing(x), bMissing: missing(y),
        measures: x?.measures == nil || y?.measures == nil ? changes.map(\.unpaired) : changes)
    }
  }

  static func measure(_ a: Measure?, _ b: Measure?) -> MeasureChange {
    // swift-format-ignore: NeverForceUnwrap
    let m = (a ?? b)!  // one of the two exists: the key came from one of them
    let noise = max(a?.spread ?? 0, b?.spread ?? 0)
    var c = MeasureChange(
      key: m.key, label: m.label, unit: m.unit, metric: m.metric, a: a?.value, b: b?.value,
      aText: a?.text, bText: b?.text, delta: nil, relative: nil, noise: noise, changed: false)
    if let x = a?.value, let y = b?.value {
      c.delta = y - x
      c.relative = x != 0 ? (y - x) / abs(x) : nil
      c.changed = abs(y - x) > noise
    } else {
      c.changed = a?.value != b?.value || a?.text != b?.text
    }
    return c
  }

  // MARK: layouts

  static func layouts(role: String, _ a: Layout, _ b: Layout) -> LayoutComparison {
    let ia = a.identified
    let ib = b.identified
    var indexB: [String: Int] = [:]
    for (k, e) in ib.enumerated() { indexB[e.identity] = k }
    var matchedB = Set<Int>()
    var removed: [RegionSide] = []
    var changed: [RegionChange] = []
    var unchanged = 0
    var wx: [String] = []
    // Counters are compared only when both sides have them (a maps file has none).
    let counters = a.hasCounters && b.hasCounters
    for (identity, var ra) in ia {
      if !counters { ra.dropCounters() }
      guard let k = indexB[identity] else {
        removed.append(side(identity, ra))
        continue
      }
      matchedB.insert(k)
      var rb = ib[k].region
      if !counters { rb.dropCounters() }
      if ra.size == rb.size && ra.permissions == rb.permissions && ra.rss == rb.rss
        && ra.pss == rb.pss && ra.swap == rb.swap
      {
        unchanged += 1
        continue
      }
      changed.append(
        RegionChange(
          identity: identity, kind: rb.kind, aPermissions: ra.permissions,
          bPermissions: rb.permissions, aSize: ra.size, bSize: rb.size, aRSS: ra.rss,
          bRSS: rb.rss, aPSS: ra.pss, bPSS: rb.pss, aSwap: ra.swap, bSwap: rb.swap))
      if isWX(rb.permissions) && !isWX(ra.permissions) { wx.append(identity) }
    }
    var added: [RegionSide] = []
    for (k, e) in ib.enumerated() where !matchedB.contains(k) {
      added.append(side(e.identity, e.region))
      if isWX(e.region.permissions) { wx.append(e.identity) }
    }
    func rssChange(_ c: RegionChange) -> UInt64 {
      let x = c.aRSS ?? 0
      let y = c.bRSS ?? 0
      return x > y ? x - y : y - x
    }
    func sizeChange(_ c: RegionChange) -> UInt64 {
      c.aSize > c.bSize ? c.aSize - c.bSize : c.bSize - c.aSize
    }
    changed.sort {
      (rssChange($0), sizeChange($0), $1.identity) > (rssChange($1), sizeChange($1), $0.identity)
    }
    let bySize: (RegionSide, RegionSide) -> Bool = {
      ($0.rss ?? 0, $0.size, $1.identity) > ($1.rss ?? 0, $1.size, $0.identity)
    }
    return LayoutComparison(
      role: role, aLabel: a.label, bLabel: b.label, hasCounters: a.hasCounters && b.hasCounters,
      aTotals: a.totals, bTotals: b.totals, kinds: kinds(a, b), added: added.sorted(by: bySize),
      removed: removed.sorted(by: bySize), changed: changed, unchanged: unchanged,
      becameWritableExecutable: wx)
  }

  static func isWX(_ p: String) -> Bool {
    let u = Array(p.utf8)
    return u.count >= 3 && u[1] == UInt8(ascii: "w") && u[2] == UInt8(ascii: "x")
  }

  static func side(_ identity: String, _ r: LayoutRegion) -> RegionSide {
    RegionSide(
      identity: identity, kind: r.kind, permissions: r.permissions, size: r.size, rss: r.rss)
  }

  /// Totals per kind on both sides, kinds whose totals differ only, in `RegionKind` order.
  static func kinds(_ a: Layout, _ b: Layout) -> [KindChange] {
    struct T: Equatable {
      var regions = 0
      var size: UInt64 = 0
      var rss: UInt64?
      var pss: UInt64?
      var swap: UInt64?
    }
    let counters = a.hasCounters && b.hasCounters
    func totals(_ l: Layout) -> [RegionKind: T] {
      var out: [RegionKind: T] = [:]
      for r in l.regions {
        var t = out[r.kind] ?? T()
        t.regions += 1
        t.size += r.size
        if counters {
          t.rss = (t.rss ?? 0) + (r.rss ?? 0)
          t.pss = (t.pss ?? 0) + (r.pss ?? 0)
          t.swap = (t.swap ?? 0) + (r.swap ?? 0)
        }
        out[r.kind] = t
      }
      return out
    }
    let ta = totals(a)
    let tb = totals(b)
    func moved(_ x: UInt64?, _ y: UInt64?) -> UInt64 {
      let a = x ?? 0
      let b = y ?? 0
      return a > b ? a - b : b - a
    }
    let changes = RegionKind.allCases.compactMap { kind -> KindChange? in
      let x = ta[kind] ?? T()
      let y = tb[kind] ?? T()
      guard x != y else { return nil }
      return KindChange(
        kind: kind, aRegions: x.regions, bRegions: y.regions, aSize: x.size, bSize: y.size,
        aRSS: x.rss, bRSS: y.rss, aPSS: x.pss, bPSS: y.pss, aSwap: x.swap, bSwap: y.swap)
    }
    // Largest RSS change first, then size; ties in RegionKind order (the sort is stable).
    return changes.enumerated().sorted {
      let a = (moved($0.element.aRSS, $0.element.bRSS), moved($0.element.aSize, $0.element.bSize))
      let b = (moved($1.element.aRSS, $1.element.bRSS), moved($1.element.aSize, $1.element.bSize))
      return a != b ? a > b : $0.offset < $1.offset
    }.map(\.element)
  }
}

extension LayoutRegion {
  mutating func dropCounters() {
    rss = nil
    pss = nil
    swap = nil
  }
}

extension MeasureChange {
  /// A measure one side lacks because its experiment failed: not a change of the measure.
  var unpaired: MeasureChange {
    var c = self
    c.changed = false
    return c
  }
}
