/// The experiments a sandboxed child can run (`vmmap __experiment NAME`).
public enum Experiment: Hashable, Sendable {
  /// `vmmap --fault TYPE`: make one fault and report it.
  case fault(FaultType)
  /// `vmmap --demand`: map a region, touch every page, count the faults.
  case demand(DemandOptions)
  /// `vmmap --cow`: fill a private region, fork, let the child write one page, look at both.
  case copyOnWrite
  /// `vmmap --walk ADDR`: follow addresses of a process through its page tables.
  case walk(WalkRequest)
  /// `vmmap --tlb`: time one access per page over growing working sets, 4 KiB and huge pages.
  case tlb(TLBOptions)
  /// A report's snapshot of process PID: its map, classification, counters and residency.
  case snapshot(pid: Int32)
  /// `vmmap --sample`, short: `vmmap __touch` (1,024 pages) with every page fault sampled.
  case sample
  /// One run of `vmmap --aslr`: where the kernel put this process; with `noRandomize`, under
  /// the `ADDR_NO_RANDOMIZE` personality (the child sets it and executes itself again).
  case aslrSample(noRandomize: Bool)
  /// For the runner's tests only, all harmless: sleeps past a one-second timeout (with a
  /// `/bin/sleep` grandchild in its process group); kills itself
  /// with SIGSEGV outside any probe; writes something that is not JSON.
  case testSleep, testCrash, testGarbage
  /// For the runner's tests only: spins until its one-second CPU limit (RLIMIT_CPU) stops it;
  /// starts a `testWait` child in that child's own process group, says on stderr
  /// `grandchild PID ready` once it runs, and kills itself with SIGKILL (only
  /// PR_SET_PDEATHSIG can then stop the grandchild); writes `r` on stdout, then sleeps 30 s.
  case testSpin, testOrphan, testWait

  /// The name in messages and on the child's command line (`fault-null`).
  public var name: String {
    switch self {
    case .fault(let type): "fault-\(type.rawValue)"
    case .demand: "demand"
    case .copyOnWrite: "cow"
    case .walk: "walk"
    case .tlb: "tlb"
    case .snapshot(let pid): "snapshot-\(pid)"
    case .sample: "sample"
    case .aslrSample(let noRandomize): noRandomize ? "aslr-sample-norandom" : "aslr-sample"
    case .testSleep: "test-sleep"
    case .testCrash: "test-crash"
    case .testGarbage: "test-garbage"
    case .testSpin: "test-spin"
    case .testOrphan: "test-orphan"
    case .testWait: "test-wait"
    }
  }

  var arguments: [String] {
    switch self {
    case .demand(let options): options.arguments
    case .walk(let request): request.arguments
    case .tlb(let options): options.arguments
    default: []
    }
  }

  /// The experiment for a child's command line: its name and the arguments after it.
  public init?(name: String, arguments: [String]) {
    if name == "demand" {
      guard let options = DemandOptions(arguments: arguments) else { return nil }
      self = .demand(options)
      return
    }
    if name == "tlb" {
      guard let options = TLBOptions(arguments: arguments) else { return nil }
      self = .tlb(options)
      return
    }
    if name == "walk" {
      guard let request = WalkRequest(arguments: arguments) else { return nil }
      self = .walk(request)
      return
    }
    guard arguments.isEmpty else { return nil }
    self.init(name: name)
  }

  /// The experiment for a child's command-line name.
  public init?(name: String) {
    if name.hasPrefix("fault-"), let type = FaultType(rawValue: String(name.dropFirst(6))) {
      self = .fault(type)
      return
    }
    if name.hasPrefix("snapshot-"), let pid = Int32(name.dropFirst(9)), pid > 0 {
      self = .snapshot(pid: pid)
      return
    }
    switch name {
    case "cow": self = .copyOnWrite
    case "sample": self = .sample
    case "aslr-sample": self = .aslrSample(noRandomize: false)
    case "aslr-sample-norandom": self = .aslrSample(noRandomize: true)
    case "test-sleep": self = .testSleep
    case "test-crash": self = .testCrash
    case "test-garbage": self = .testGarbage
    case "test-spin": self = .testSpin
    case "test-orphan": self = .testOrphan
    case "test-wait": self = .testWait
    default: return nil
    }
  }

  /// What the experiment declares it needs. The Swift runtime and Foundation reserve a few
  /// hundred MiB of address space before any work; a fault probe adds a page or two, the stack
  /// overflow RLIMIT_STACK.
  public var limits: SandboxLimits {
    switch self {
    case .fault:
      SandboxLimits(addressSpace: 1 << 30, cpuSeconds: 5, wallTimeout: .seconds(10))
    case .demand(let options):
      // The runtime's 1 GiB, the region with its 2 MiB alignment slack and guard pages, and
      // (--file) a 1 MiB write buffer. An anonymous fault costs about a microsecond of CPU;
      // a dropped file page costs one 4 KiB disk read. So 10 s of CPU plus 1 s per 64 MiB,
      // and 30 s of wall time plus 1 s per 16 MiB (4,096 reads a second, a slow SSD).
      SandboxLimits(
        addressSpace: (1 << 30) + options.size + (8 << 20),
        cpuSeconds: 10 + options.size / (64 << 20),
        wallTimeout: .seconds(30 + Int64(options.size / (16 << 20))))
    case .copyOnWrite:
      // The region and its fork's page tables on top; smaps of both processes three times.
      SandboxLimits(addressSpace: (1 << 30) + (64 << 20), cpuSeconds: 5, wallTimeout: .seconds(20))
    case .walk:
      // The whole map with smaps (as a snapshot reads it), a few pagemap reads and scans.
      SandboxLimits(addressSpace: 4 << 30, cpuSeconds: 30, wallTimeout: .seconds(60))
    case .tlb(let options):
      // The runtime's 1 GiB, one region at a time with its 2 MiB alignment slack, the chain's
      // scratch (4 bytes a page). The sweep does about 2 x repeats x (2 x working set) page
      // visits, 2 x 1 GiB x 5 rounds takes ~40 s on a loaded 2-core machine: CPU 30 s + 1 s
      // per 16 MiB-round, wall twice that.
      SandboxLimits(
        addressSpace: (1 << 30) + options.maxWorkingSet + options.maxWorkingSet / 1024
          + (8 << 20),
        cpuSeconds: 30 + options.maxWorkingSet / (16 << 20) * UInt64(options.repeats),
        wallTimeout: .seconds(
          60 + 2 * Int64(options.maxWorkingSet / (16 << 20)) * Int64(options.repeats)))
    case .aslrSample:
      // The runtime's address space and one maps file: a start-up, a read and an exit.
      SandboxLimits(addressSpace: 1 << 30, cpuSeconds: 5, wallTimeout: .seconds(10))
    case .snapshot:
      // A 60,000-region map: the smaps text streams through, the model holds ~30 MB.
      SandboxLimits(addressSpace: 4 << 30, cpuSeconds: 30, wallTimeout: .seconds(60))
    case .sample:
      // The command inherits the limits: a second Swift runtime's reservations, 4 MiB touched.
      SandboxLimits(addressSpace: 2 << 30, cpuSeconds: 5, wallTimeout: .seconds(20))
    case .testSleep:
      SandboxLimits(addressSpace: 1 << 30, cpuSeconds: 5, wallTimeout: .seconds(1))
    case .testCrash, .testGarbage, .testOrphan, .testWait:
      SandboxLimits(addressSpace: 1 << 30, cpuSeconds: 5, wallTimeout: .seconds(10))
    case .testSpin:
      // The wall timeout is far away: RLIMIT_CPU must stop it first, even on a loaded machine.
      SandboxLimits(addressSpace: 1 << 30, cpuSeconds: 1, wallTimeout: .seconds(60))
    }
  }
}
