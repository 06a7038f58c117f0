import Dispatch
import Glibc
import Synchronization
import VMExperiments
import VMMapCore

/// Collects a `Report`: the machine's facts in this process, then every snapshot and
/// experiment in its own sandboxed child, two at a time (this kind of machine has two cores).
/// A step that fails is recorded with its error; collection never throws.
public struct ReportCollector: Sendable {
  public var options: Report.Options
  public var generator: Report.Generator
  /// The binary to re-execute for children.
  public var executable: String
  /// How many children run at once.
  public var parallelism: Int

  public init(
    options: Report.Options, generator: Report.Generator,
    executable: String = "/proc/self/exe", parallelism: Int = 2
  ) {
    self.options = options
    self.generator = generator
    self.executable = executable
    self.parallelism = parallelism
  }

  public func collect() -> Report {
    let start = ContinuousClock.now
    let machine = MachineFacts.read()

    let specimen = Slot<Step<MapSnapshot>>()
    let process = Slot<Step<MapSnapshot>>()
    let faultTypes = options.experiments ? FaultType.allCases : []
    let faults = faultTypes.map { _ in Slot<Step<FaultReport>>() }
    let cow = Slot<Step<CowReport>>()
    let sample = Slot<Step<SampleReport>>()
    let variants = options.experiments ? Self.demandVariants : []
    let demand = variants.map { _ in Slot<Step<DemandReport>>() }
    let walk = Slot<Step<WalkReport>>()
    let tlb = Slot<Step<TLBReport>>()
    let aslr = Slot<Step<AslrReport>>()

    var jobs: [@Sendable () -> Void] = []
    if let pid = options.pid {
      jobs.append { process.value = self.run(.snapshot(pid: pid), as: MapSnapshot.self) }
    }
    if options.experiments {
      // The longest job first: many short children, one after another.
      jobs.append { aslr.value = self.runAslr() }
      jobs.append { specimen.value = self.snapshotOfSpecimen() }
      jobs.append { tlb.value = self.run(.tlb(Self.tlbOptions), as: TLBReport.self) }
      // The slowest first (the file variant writes, syncs and reads back its file).
      for (options, slot) in zip(variants, demand).reversed() {
        jobs.append { slot.value = self.runDemand(options) }
      }
      jobs.append { cow.value = self.run(.copyOnWrite, as: CowReport.self) }
      jobs.append { sample.value = self.run(.sample, as: SampleReport.self) }
      jobs.append { walk.value = self.walkOfSpecimen() }
      for (type, slot) in zip(faultTypes, faults) {
        jobs.append { slot.value = self.run(.fault(type), as: FaultReport.self) }
      }
    }
    Self.runAll(jobs, parallelism: parallelism)

    return Report(
      schemaVersion: Report.currentSchemaVersion, generator: generator, options: options,
      machine: machine, specimen: specimen.value, process: process.value,
      faults: faults.compactMap(\.value), cow: cow.value, demand: demand.compactMap(\.value),
      walk: walk.value, tlb: tlb.value, aslr: aslr.value,
      seconds: (ContinuousClock.now - start).seconds,
      sample: sample.value)
  }

  /// Runs one experiment in a sandboxed child and keeps its result or its error.
  func run<R: Codable & Sendable>(_ experiment: Experiment, as type: R.Type) -> Step<R> {
    let start = ContinuousClock.now
    do {
      let run = try Sandbox.run(experiment, as: R.self, executable: executable)
      let seconds = (ContinuousClock.now - start).seconds
      let cost = run.sandboxUsage
      if case .finished(let result) = run.outcome {
        return Step(
          name: experiment.name, result: result, error: nil, seconds: seconds, child: cost)
      }
      let error = run.error(experiment: experiment)
      if case .demand(let o) = experiment, o.file {
        // A killed child cannot remove its scratch file.
        removeDemandLeftovers(childPID: run.pid)
      }
      return Step(
        name: experiment.name, result: nil, error: error.map(StepError.init), seconds: seconds,
        child: cost)
    } catch {
      return Step(
        name: experiment.name, result: nil, error: StepError(error),
        seconds: (ContinuousClock.now - start).seconds, child: nil)
    }
  }

  /// The demand-paging experiments a report runs: 16 MiB each (4,096 pages, enough to show
  /// one fault per page, small enough for the time budget), written, with THP, read, and
  /// from a file dropped from the page cache.
  public static let demandVariants = [
    DemandOptions(size: 16 << 20),
    DemandOptions(size: 16 << 20, hugePages: true),
    DemandOptions(size: 16 << 20, read: true),
    DemandOptions(size: 16 << 20, file: true),
  ]

  func runDemand(_ options: DemandOptions) -> Step<DemandReport> {
    var step = run(.demand(options), as: DemandReport.self)
    step.name = "demand-" + Self.variantName(options)
    return step
  }

  /// `write`, `thp`, `read`, `file` (and combinations: `thp-read`).
  public static func variantName(_ o: DemandOptions) -> String {
    var words: [String] = []
    if o.hugePages { words.append("thp") }
    if o.file { words.append("file") }
    words.append(o.read ? "read" : "write")
    return words == ["write"] ? "write" : words.filter { $0 != "write" }.joined(separator: "-")
  }

  /// Starts `vmmap __specimen`, snapshots it from a sandboxed child, ends it.
  func snapshotOfSpecimen() -> Step<MapSnapshot> {
    withSpecimen(step: "specimen") { specimen in
      var step = run(.snapshot(pid: specimen.pid), as: MapSnapshot.self)
      step.name = "specimen"
      return step
    }
  }

  /// Starts `vmmap __specimen`, runs `body` on it, ends it; a specimen that does not start is
  /// the step's error. The step's time includes the specimen's start.
  func withSpecimen<R>(step name: String, _ body: (SpecimenProcess) -> Step<R>) -> Step<R> {
    let start = ContinuousClock.now
    let specimen: SpecimenProcess
    do {
      specimen = try SpecimenProcess(executable: executable)
    } catch {
      return Step(
        name: name, result: nil,
        error: StepError(
          VMMapError(
            .internalError, what: "the specimen process", why: "\(error)",
            fix: "run vmmap __specimen by hand to see why")),
        seconds: (ContinuousClock.now - start).seconds, child: nil)
    }
    defer { specimen.stop() }
    var step = body(specimen)
    step.seconds = (ContinuousClock.now - start).seconds
    return step
  }

  /// Runs `jobs` on `parallelism` threads and returns when all are done.
  static func runAll(_ jobs: [@Sendable () -> Void], parallelism: Int) {
    guard !jobs.isEmpty else { return }
    let next = Mutex(0)
    DispatchQueue.concurrentPerform(iterations: max(1, min(parallelism, jobs.count))) { _ in
      while true {
        let index = next.withLock { i in
          defer { i += 1 }
          return i
        }
        guard index < jobs.count else { return }
        jobs[index]()
      }
    }
  }
}

/// One result written by one job and read after all jobs finished (`concurrentPerform`
/// returns only then, which orders the write before the read).
final class Slot<T>: @unchecked Sendable {
  var value: T?
}

extension ReportCollector {
  /// The handout's short TLB sweep: up to 64 MiB, 2 points per octave, 3 rounds of at least
  /// 32,768 loads (about 0.4 s of CPU, most of it faulting in the two 64 MiB regions);
  /// `vmmap --tlb` runs the full one to 1 GiB.
  public static let tlbOptions = TLBOptions(
    maxWorkingSet: 64 << 20, repeats: 3, pointsPerOctave: 2, minAccesses: 1 << 15)
}
