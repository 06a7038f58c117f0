import VMExperiments
import VMMapCore

/// One comparable result of an experiment: a number (or a word, such as a signal's name)
/// with what it means. `compare` pairs measures by experiment and key.
public struct Measure: Codable, Hashable, Sendable {
  public enum Unit: String, Codable, Hashable, Sendable {
    case count, bytes, faults, ratio, nanoseconds, text
  }

  /// Stable within its experiment (`faults-per-page`).
  public var key: String
  /// For people (`Faults per page`).
  public var label: String
  public var unit: Unit
  /// The number; nil for a text measure or one not measured.
  public var value: Double?
  /// The word, for a text measure (`SIGSEGV SEGV_ACCERR`).
  public var text: String?
  /// The experiment's own repeats of this measure, when it records any: their spread is the
  /// noise a change must exceed. Without repeats a change is any difference.
  public var repeats: [Double]?
  /// What `--threshold NAME=…` this measure answers to (`faults`, `rss`, `thp`, `copies`).
  public var metric: String?

  public init(
    _ key: String, _ label: String, _ unit: Unit, _ value: Double?, repeats: [Double]? = nil,
    metric: String? = nil
  ) {
    self.key = key
    self.label = label
    self.unit = unit
    self.value = value
    self.repeats = repeats
    self.metric = metric
  }

  public init(_ key: String, _ label: String, text: String) {
    self.key = key
    self.label = label
    self.unit = .text
    self.text = text
  }

  /// The spread of the repeats (max − min), 0 without two or more.
  public var spread: Double {
    guard let r = repeats, r.count >= 2, let lo = r.min(), let hi = r.max() else { return 0 }
    return hi - lo
  }
}

/// An experiment's result that `compare` can set side by side with another run's: a table of
/// scalar measures. A new experiment conforms with one small function and adds one line to
/// `Report.experimentMeasures`.
public protocol ComparableExperiment {
  var measures: [Measure] { get }
}

extension DemandReport: ComparableExperiment {
  public var measures: [Measure] {
    let touched = Double(faults.minor + faults.major)
    return [
      Measure("faults", "Faults of the touch loop", .faults, touched, metric: "faults"),
      Measure(
        "faults-per-page", "Faults per page", .ratio, pages > 0 ? touched / Double(pages) : nil,
        metric: "faults"),
      Measure("major-faults", "Major faults", .faults, Double(faults.major), metric: "faults"),
      Measure(
        "surplus", "Faults beyond one per page or huge page", .faults, Double(faults.surplus)),
      Measure(
        "huge-mappings", "Huge (2 MiB) mappings", .count, Double(faults.hugeMappings), metric: "thp"
      ),
      Measure(
        "anon-huge", "AnonHugePages of the region after the touch", .bytes,
        Double(after.region.anonHugePages), metric: "thp"),
      Measure(
        "rss-growth", "RSS growth of the process", .bytes,
        Double(after.vmRSS) - Double(before.vmRSS), metric: "rss"),
      Measure(
        "page-tables", "Page-table growth (VmPTE)", .bytes,
        Double(after.vmPTE) - Double(before.vmPTE)),
      Measure(
        "zero-pages", "Pages mapping a zero page", .count, after.region.zeroPages.map { Double($0) }
      ),
      Measure(
        "repeat-pass", "Faults of a second pass", .faults, Double(faults.repeatPass),
        metric: "faults"),
      Measure(
        "touch-time-per-page", "Touch time per page", .nanoseconds,
        pages > 0 ? Double(touchNanoseconds) / Double(pages) : nil, metric: "time"),
      Measure("thp-enabled", "THP enabled", text: thp.enabled ?? "absent"),
    ]
  }
}

extension CowReport: ComparableExperiment {
  public var measures: [Measure] {
    var m = [
      Measure(
        "child-write-faults", "Minor faults of the child's one write", .faults,
        Double(childWriteMinorFaults), metric: "faults"),
      Measure(
        "pages-copied", "Pages copied (frames differ)", .count, pagesCopied.map { Double($0) },
        metric: "copies"),
      Measure(
        "parent-write-faults", "Minor faults of the parent's write", .faults,
        Double(parentWrite.minorFaults), metric: "faults"),
      Measure(
        "frame-reused", "Parent's frame reused",
        text: parentWrite.reused.map { $0 ? "yes" : "no" } ?? "not visible"),
    ]
    if let after = stage(.afterFork), let child = after.child {
      m.append(
        Measure(
          "pss-after-fork", "Region PSS in the parent after fork", .bytes,
          Double(after.parent.region.pss), metric: "pss"))
      m.append(
        Measure(
          "child-rss-after-fork", "Region RSS in the child after fork", .bytes,
          Double(child.region.rss), metric: "rss"))
    }
    return m
  }
}

extension FaultReport: ComparableExperiment {
  public var measures: [Measure] {
    var m = [
      Measure("signal", "Signal and code", text: "\(signal) \(code)"),
      Measure("caught", "Caught and recovered", text: caught ? "yes" : "no"),
    ]
    if let predicted { m.append(Measure("predicted", "Predicted by --detail", text: predicted)) }
    if let depth { m.append(Measure("depth", "Recursion depth", .count, Double(depth))) }
    return m
  }
}

extension MapSnapshot: ComparableExperiment {
  /// The process's own counters; its regions are compared as a layout.
  public var measures: [Measure] {
    [
      Measure(
        "minor-faults", "Minor faults so far", .faults, minorFaults.map { Double($0) },
        metric: "faults"),
      Measure(
        "major-faults", "Major faults so far", .faults, majorFaults.map { Double($0) },
        metric: "faults"),
      Measure(
        "peak-rss", "Peak RSS (VmHWM)", .bytes, totals.peakRSS.map { Double($0) }, metric: "rss"),
      Measure("threads", "Threads", .count, Double(threads)),
      Measure(
        "writable-executable", "Writable and executable regions", .count,
        Double(totals.writableExecutable)),
    ]
  }
}

/// One experiment of a report, with its measures.
public struct ExperimentMeasures: Sendable {
  /// The step's name (`demand-write-nothp`, `fault-null`, `cow`).
  public var experiment: String
  /// Nil when the step failed (its error's message is in `error`).
  public var measures: [Measure]?
  public var error: String?
}

extension Report {
  /// Every experiment of the report in a stable order, with its measures: the table
  /// `compare` walks. A new experiment adds its step here.
  public var experimentMeasures: [ExperimentMeasures] {
    var out: [ExperimentMeasures] = []
    func add<T: ComparableExperiment>(_ step: Step<T>?, as name: String? = nil) {
      guard let step else { return }
      out.append(
        ExperimentMeasures(
          experiment: name ?? step.name, measures: step.result?.measures,
          error: step.error?.message))
    }
    // Snapshots are named by PID, which differs between runs: they go by their role.
    add(specimen, as: "specimen")
    add(process, as: "process")
    for step in demand {
      add(step, as: step.result.map { "demand-" + ReportCollector.variantName($0.options) })
    }
    add(cow, as: "cow")
    for step in faults { add(step, as: step.result.map { "fault-" + $0.type.rawValue }) }
    add(walk, as: "walk")
    add(tlb, as: "tlb")
    add(aslr, as: "aslr")
    add(sample, as: "sample")
    return out
  }
}
