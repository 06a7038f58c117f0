import VMExperiments
import VMMapCore

/// Everything `vmmap report` measured, as one Codable tree (docs/schema/report.schema.json).
/// `vmmap report --format json` writes it; `vmmap render` renders a saved one again. Every
/// step that ran in a child is a `Step`: its result, or the error that replaced it.
public struct Report: Codable, Sendable {
  /// The version of this model's shape. A reader refuses a newer one (exit 65); an older one
  /// is read as long as its fields still decode.
  public static let currentSchemaVersion = 1

  public var schemaVersion: Int
  public var generator: Generator
  public var options: Options
  public var machine: MachineFacts
  /// The specimen process (`vmmap __specimen`: one region of every kind).
  public var specimen: Step<MapSnapshot>?
  /// `--pid PID`: the process the report is about.
  public var process: Step<MapSnapshot>?
  /// One step per fault type, in `FaultType` order.
  public var faults: [Step<FaultReport>]
  /// The copy-on-write experiment.
  public var cow: Step<CowReport>?
  /// Demand paging: write, with THP, read, and a dropped file (`ReportCollector.demandVariants`).
  public var demand: [Step<DemandReport>]
  /// The page walk of the specimen's text, heap, stack and THP addresses (`vmmap --walk`).
  public var walk: Step<WalkReport>?
  /// The TLB sweep, short (`ReportCollector.tlbOptions`).
  public var tlb: Step<TLBReport>? = nil
  /// ASLR: the specimen started a few times with and without randomisation (`--aslr`, short).
  public var aslr: Step<AslrReport>?
  /// Wall time of the whole collection, seconds.
  public var seconds: Double
  /// `vmmap --sample`, short: `vmmap __touch 1024` with every page fault sampled.
  public var sample: Step<SampleReport>? = nil

  public struct Generator: Codable, Hashable, Sendable {
    /// `vmmap --version`'s first line.
    public var vmmap: String
    public var cmark: String
    public var libxml2: String

    public init(vmmap: String, cmark: String, libxml2: String) {
      self.vmmap = vmmap
      self.cmark = cmark
      self.libxml2 = libxml2
    }
  }

  public struct Options: Codable, Hashable, Sendable {
    public var experiments: Bool
    public var redacted: Bool
    public var pid: Int32?

    public init(experiments: Bool, redacted: Bool, pid: Int32?) {
      self.experiments = experiments
      self.redacted = redacted
      self.pid = pid
    }
  }

  /// The messages of the steps that failed (each names its step).
  public var failures: [String] {
    var out: [String] = []
    func add<T>(_ step: Step<T>?) {
      if let step, let e = step.error { out.append(e.message) }
    }
    add(specimen)
    add(process)
    faults.forEach(add)
    add(cow)
    demand.forEach(add)
    add(sample)
    add(walk)
    add(tlb)
    add(aslr)
    return out
  }

  /// `<host>-<kernel release>`, the default file name's stem (without characters a file name
  /// should not hold).
  public var defaultStem: String {
    let raw = machine.hostname + "-" + machine.kernel.release
    return String(
      raw.map { c -> Character in
        c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "." || c == "_") ? c : "_"
      })
  }
}

/// One step of a report: what it produced, or why it did not.
public struct Step<Result: Codable & Sendable>: Codable, Sendable {
  /// The child's experiment name (`fault-null`, `snapshot-1234`) or the step's own name.
  public var name: String
  public var result: Result?
  public var error: StepError?
  /// Wall time, seconds.
  public var seconds: Double
  /// What the child cost (wait4's rusage). `maxRSS` includes the re-executed vmmap's own
  /// runtime, not only the experiment.
  public var child: SandboxUsage?

  public init(
    name: String, result: Result?, error: StepError?, seconds: Double, child: SandboxUsage?
  ) {
    self.name = name
    self.result = result
    self.error = error
    self.seconds = seconds
    self.child = child
  }
}

public struct StepError: Codable, Hashable, Sendable {
  /// The one-line message, as vmmap prints it.
  public var message: String
  /// The exit code vmmap gives this error.
  public var exitCode: Int32

  public init(_ error: VMMapError) {
    message = error.description
    exitCode = error.exitCode
  }
}

extension Duration {
  /// As a Double number of seconds.
  public var seconds: Double {
    Double(components.seconds) + Double(components.attoseconds) / 1e18
  }
}
