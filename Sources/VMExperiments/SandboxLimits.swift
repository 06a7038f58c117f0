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
  /// `ru_utime` and `ru_stime`.
  public var userCPU: Duration
  public var systemCPU: Duration
  public var wall: Duration
}

/// The sandboxed child that ran an experiment, as `wait4` saw it: added to an experiment's
/// result by the parent vmmap (the child cannot know its own end).
///
/// The kernel adds the usage of children the child reaped (the fork of `--cow`). `maxRSS` is
/// the peak of a whole re-executed vmmap (the Swift runtime and Foundation), and `exec` carries
/// over the high-water mark of the vmmap that spawned it: it is not the experiment's working set.
public struct SandboxUsage: Codable, Hashable, Sendable {
  public var pid: Int32
  public var minorFaults: Int
  public var majorFaults: Int
  /// `ru_maxrss`, in bytes.
  public var maxRSS: UInt64
  public var userCPUSeconds: Double
  public var systemCPUSeconds: Double
  /// From spawn to reap.
  public var wallSeconds: Double

  public init(pid: Int32, usage: ChildUsage) {
    self.pid = pid
    minorFaults = usage.minorFaults
    majorFaults = usage.majorFaults
    maxRSS = UInt64(max(usage.maxRSSKiB, 0)) * 1024
    userCPUSeconds = Self.seconds(usage.userCPU)
    systemCPUSeconds = Self.seconds(usage.systemCPU)
    wallSeconds = Self.seconds(usage.wall)
  }

  /// Microsecond precision, as rusage has.
  static func seconds(_ d: Duration) -> Double {
    let (s, attoseconds) = d.components
    return Double(s) + Double(attoseconds / 1_000_000_000_000) / 1_000_000
  }
}

/// One run of a sandboxed child.
public struct SandboxRun<Result: Sendable>: Sendable {
  /// The child's PID (also its process group ID); reaped when `run` returns.
  public var pid: Int32
  public var outcome: ChildOutcome<Result>
  public var usage: ChildUsage?

  /// The usage as experiment results carry it (`sandbox` in their JSON).
  public var sandboxUsage: SandboxUsage? { usage.map { SandboxUsage(pid: pid, usage: $0) } }
}

/// A result the parent stamps with what its sandboxed child cost (`wait4`).
public protocol SandboxStamped: Codable, Sendable {
  var sandbox: SandboxUsage? { get set }
}

extension CowReport: SandboxStamped {}
extension TLBReport: SandboxStamped {}
extension WalkReport: SandboxStamped {}
extension FaultReport: SandboxStamped {}
