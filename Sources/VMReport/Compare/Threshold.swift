import VMMapCore

/// `--threshold METRIC=LIMIT`: how much a metric may change before `--fail-on-change` fails.
/// LIMIT is a percentage of A's value (`rss=10%`) or an absolute amount (`rss=4M`, sizes read
/// as dd reads them; `faults=100`).
public struct Threshold: Codable, Hashable, Sendable {
  public enum Limit: Codable, Hashable, Sendable {
    /// A fraction of A's value (10% is 0.1).
    case relative(Double)
    case absolute(Double)
  }

  public var metric: String
  public var limit: Limit

  /// The metrics a threshold can name: layout totals and experiment measures' `metric`s.
  public static let metrics: [String: String] = [
    "rss": "resident memory: the layouts' total RSS, RSS growth and peak RSS of experiments",
    "pss": "proportional set size: layout totals and experiment measures",
    "swap": "swapped memory of the layouts",
    "virtual": "the layouts' total virtual size",
    "regions": "the layouts' region counts",
    "faults": "page faults: every experiment's fault counts and the processes' fault counters",
    "thp": "huge mappings and AnonHugePages of the demand experiments",
    "copies": "pages copied by copy-on-write",
    "time": "the demand experiments' touch time per page",
  ]

  public init(metric: String, limit: Limit) {
    self.metric = metric
    self.limit = limit
  }

  /// Parses `METRIC=LIMIT`; anything else is a usage error (64) naming the input.
  public init(parsing text: String) throws(VMMapError) {
    let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
      throw VMMapError(
        .usage, what: "--threshold '\(text)'", why: "not METRIC=LIMIT",
        fix: "for example --threshold rss=10% or --threshold faults=100")
    }
    guard Self.metrics[parts[0]] != nil else {
      throw VMMapError(
        .usage, what: "--threshold '\(text)'", why: "no metric named \(parts[0])",
        fix: "one of " + Self.metrics.keys.sorted().joined(separator: ", "))
    }
    metric = parts[0]
    let value = parts[1]
    if value.hasSuffix("%") {
      guard let p = Double(value.dropLast()), p >= 0, p.isFinite else {
        throw VMMapError(
          .usage, what: "--threshold '\(text)'", why: "\(value) is not a percentage",
          fix: "for example rss=10%")
      }
      limit = .relative(p / 100)
    } else if let n = Double(value), n >= 0, n.isFinite {
      limit = .absolute(n)
    } else {
      do {
        limit = .absolute(Double(try ByteSize.parse(value)))
      } catch {
        throw VMMapError(
          .usage, what: "--threshold '\(text)'",
          why: "\(value) is neither a percentage, a number nor a size",
          fix: "for example rss=10%, rss=4M or faults=100")
      }
    }
  }

  /// As given (`rss=10%`).
  public var description: String {
    switch limit {
    case .relative(let f): return "\(metric)=\(ComparisonFormat.number(f * 100))%"
    case .absolute(let n): return "\(metric)=\(ComparisonFormat.number(n))"
    }
  }

  /// Whether the change from `a` to `b` is beyond the limit.
  func crossed(_ a: Double, _ b: Double) -> Bool {
    let change = abs(b - a)
    switch limit {
    case .relative(let f): return a == 0 ? change > 0 : change / abs(a) > f
    case .absolute(let n): return change > n
    }
  }
}

/// One threshold, checked against everything it names.
public struct ThresholdCheck: Codable, Hashable, Sendable {
  public var threshold: String
  public var crossed: Bool
  /// Where it was crossed, one line each (`process: rss 10.0 MiB → 12.0 MiB (+20.0%)`).
  public var crossings: [String]
  /// How many values it was checked against.
  public var checked: Int
}

extension Comparison {
  func check(_ t: Threshold) -> ThresholdCheck {
    var crossings: [String] = []
    var checked = 0
    func test(_ what: String, _ a: Double?, _ b: Double?, bytes isBytes: Bool) {
      guard let a, let b else { return }
      checked += 1
      if t.crossed(a, b) {
        crossings.append(
          "\(what): \(ComparisonFormat.value(a, bytes: isBytes)) → \(ComparisonFormat.value(b, bytes: isBytes)) (\(ComparisonFormat.change(a, b, bytes: isBytes)))"
        )
      }
    }
    for l in layouts {
      let x = l.aTotals
      let y = l.bTotals
      switch t.metric {
      case "rss":
        test("\(l.role) RSS", x.rss.map { Double($0) }, y.rss.map { Double($0) }, bytes: true)
      case "pss":
        test("\(l.role) PSS", x.pss.map { Double($0) }, y.pss.map { Double($0) }, bytes: true)
      case "swap":
        test("\(l.role) swap", x.swap.map { Double($0) }, y.swap.map { Double($0) }, bytes: true)
      case "virtual": test("\(l.role) virtual", Double(x.virtual), Double(y.virtual), bytes: true)
      case "regions":
        test("\(l.role) regions", Double(x.regions), Double(y.regions), bytes: false)
      case "faults" where inputs == "map":
        test(
          "\(l.role) minor faults", x.minorFaults.map { Double($0) },
          y.minorFaults.map { Double($0) },
          bytes: false)
      default: break
      }
    }
    for e in experiments {
      for m in e.measures where m.metric == t.metric {
        guard let a = m.a, let b = m.b else { continue }
        // Within the experiment's own noise is no change, whatever the threshold.
        if abs(b - a) <= m.noise {
          checked += 1
          continue
        }
        test("\(e.experiment) \(m.label.lowercased())", a, b, bytes: m.unit == .bytes)
      }
    }
    return ThresholdCheck(
      threshold: t.description, crossed: !crossings.isEmpty, crossings: crossings,
      checked: checked)
  }
}
