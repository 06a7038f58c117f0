/// The experiments a sandboxed child can run (`vmmap __experiment NAME`).
public enum Experiment: Hashable, Sendable {
  /// `vmmap --fault TYPE`: make one fault and report it.
  case fault(FaultType)
  /// A report's snapshot of process PID: its map, classification, counters and residency.
  case snapshot(pid: Int32)
  /// For the runner's tests only, all harmless: sleeps past a one-second timeout (with a
  /// `/bin/sleep` grandchild in its process group); kills itself
  /// with SIGSEGV outside any probe; writes something that is not JSON.
  case testSleep, testCrash, testGarbage

  /// The name in messages and on the child's command line (`fault-null`).
  public var name: String {
    switch self {
    case .fault(let type): "fault-\(type.rawValue)"
    case .snapshot(let pid): "snapshot-\(pid)"
    case .testSleep: "test-sleep"
    case .testCrash: "test-crash"
    case .testGarbage: "test-garbage"
    }
  }

  var arguments: [String] { [] }

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
    case "test-sleep": self = .testSleep
    case "test-crash": self = .testCrash
    case "test-garbage": self = .testGarbage
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
    case .snapshot:
      // A 60,000-region map: the smaps text streams through, the model holds ~30 MB.
      SandboxLimits(addressSpace: 4 << 30, cpuSeconds: 30, wallTimeout: .seconds(60))
    case .testSleep:
      SandboxLimits(addressSpace: 1 << 30, cpuSeconds: 5, wallTimeout: .seconds(1))
    case .testCrash, .testGarbage:
      SandboxLimits(addressSpace: 1 << 30, cpuSeconds: 5, wallTimeout: .seconds(10))
    }
  }
}
