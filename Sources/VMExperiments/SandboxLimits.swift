/// The limits an experiment declares for itself: the child applies the rlimits first thing,
/// the parent enforces the wall-clock timeout.
public struct SandboxLimits: Hashable, Sendable {
  /// `RLIMIT_AS`: address space for the child's working set (the Swift runtime included).
  public var addressSpace: UInt64
  /// `RLIMIT_CPU` soft limit in seconds (SIGXCPU); the hard limit is one second more (SIGKILL).
  public var cpuSeconds: UInt64
  /// After this the parent kills the child's process group with SIGKILL.
  public var wallTimeout: Duration

  public init(addressSpace: UInt64, cpuSeconds: UInt64, wallTimeout: Duration) {
    self.addressSpace = addressSpace
    self.cpuSeconds = cpuSeconds
    self.wallTimeout = wallTimeout
  }
}

/// What the parent learns from `wait4` besides the status.
public struct ChildUsage: Hashable, Sendable {
  public var minorFaults: Int
  public var majorFaults: Int
  /// `ru_maxrss` in KiB.
  public var maxRSSKiB: Int
  public var wall: Duration
}

/// One run of a sandboxed child.
public struct SandboxRun<Result: Sendable>: Sendable {
  /// The child's PID (also its process group ID); reaped when `run` returns.
  public var pid: Int32
  public var outcome: ChildOutcome<Result>
  public var usage: ChildUsage?
}
