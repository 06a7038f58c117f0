/// What `vmmap --faults CMD` measured about one run of a command: its exit, its page faults,
/// its own peak RSS and its times. Codable: `--faults --json` writes it
/// (`docs/schema/faults.schema.json`), and a report can embed it.
public struct CommandFaultsReport: Codable, Hashable, Sendable {
  public static let currentSchemaVersion = 1

  public var schemaVersion: Int
  /// The command's words, as given (argv).
  public var command: [String]
  /// The file that was executed (after the PATH search).
  public var executable: String
  public var pid: Int32
  public var exit: CommandExit
  /// Minor faults (`ru_minflt` of `wait4`): the page was in memory or needed none (first touch
  /// of anonymous memory, a page-cache hit, copy-on-write). Every thread of the command, its
  /// waited-for children, and the starter between fork and exec (`beforeExec`).
  public var minorFaults: UInt64
  /// Major faults (`ru_majflt`): the page had to be read from disk (file or swap) first.
  public var majorFaults: UInt64
  /// The counters at the command's exec (ptrace exec stop): faults of vmmap's starter between
  /// fork and exec, and of execve loading the program. Included in the totals above.
  public var beforeExec: FaultCounts?
  /// `/proc/PID/stat` read at the exit stop: the independent cross-check of the totals.
  public var procStatAtExit: ProcStatFaults?
  public var maxRSS: MaxRSS
  /// `ru_maxrss` of `wait4`, in bytes: the kernel carries the starter's peak across exec, so
  /// it is at least vmmap's own RSS at the fork.
  public var rusageMaxRSSBytes: UInt64
  public var userSeconds: Double
  public var systemSeconds: Double
  /// From fork to reap.
  public var wallSeconds: Double
  /// (minor + major faults) per MiB of max RSS; 256 is one fault per resident 4 KiB page.
  public var faultsPerMiB: Double?
  public var tracing: Tracing

  public init(
    command: [String], executable: String, pid: Int32, exit: CommandExit,
    minorFaults: UInt64, majorFaults: UInt64, beforeExec: FaultCounts?,
    procStatAtExit: ProcStatFaults?, maxRSS: MaxRSS, rusageMaxRSSBytes: UInt64,
    userSeconds: Double, systemSeconds: Double, wallSeconds: Double, tracing: Tracing
  ) {
    self.schemaVersion = Self.currentSchemaVersion
    self.command = command
    self.executable = executable
    self.pid = pid
    self.exit = exit
    self.minorFaults = minorFaults
    self.majorFaults = majorFaults
    self.beforeExec = beforeExec
    self.procStatAtExit = procStatAtExit
    self.maxRSS = maxRSS
    self.rusageMaxRSSBytes = rusageMaxRSSBytes
    self.userSeconds = userSeconds
    self.systemSeconds = systemSeconds
    self.wallSeconds = wallSeconds
    let mib = Double(maxRSS.bytes) / 1_048_576
    self.faultsPerMiB = mib > 0 ? Double(minorFaults + majorFaults) / mib : nil
    self.tracing = tracing
  }
}

/// How the command ended.
public struct CommandExit: Codable, Hashable, Sendable {
  /// The exit code when it exited.
  public var code: Int32?
  /// The signal that killed it.
  public var signal: Int32?
  /// `SIGTERM`, `SIGSEGV`, …
  public var signalName: String?
  public var coreDumped: Bool
  /// What vmmap exits with: the code, or 128 + the signal (as a shell reports it).
  public var status: Int32

  public init(waitStatus: Int32) {
    if waitStatus & 0x7f == 0 {
      code = (waitStatus >> 8) & 0xff
      signal = nil
      signalName = nil
      coreDumped = false
      status = (waitStatus >> 8) & 0xff
    } else {
      let s = waitStatus & 0x7f
      code = nil
      signal = s
      signalName = VMExperiments.signalName(s)
      coreDumped = waitStatus & 0x80 != 0
      status = 128 + s
    }
  }
}

public struct FaultCounts: Codable, Hashable, Sendable {
  public var minor: UInt64
  public var major: UInt64

  public init(minor: UInt64, major: UInt64) {
    self.minor = minor
    self.major = major
  }
}

/// Fields 10–13 of `/proc/PID/stat`: the process's own faults (all its threads) and those of
/// the children it has waited for.
public struct ProcStatFaults: Codable, Hashable, Sendable {
  public var minor: UInt64
  public var major: UInt64
  public var childrenMinor: UInt64
  public var childrenMajor: UInt64

  /// What `wait4` should report: own plus waited-for children.
  public var totalMinor: UInt64 { minor + childrenMinor }
  public var totalMajor: UInt64 { major + childrenMajor }
}

/// The peak resident set size and where it came from.
public struct MaxRSS: Codable, Hashable, Sendable {
  public enum Source: String, Codable, Hashable, Sendable {
    /// `VmHWM` of `/proc/PID/status` at the exit stop: the command's own peak.
    case vmHWMAtExit = "VmHWM"
    /// `ru_maxrss` of `wait4`: includes the starter's peak (vmmap's), an upper bound.
    case rusage = "ru_maxrss"
  }

  public var bytes: UInt64
  public var source: Source
  /// True when the figure may include memory that is not the command's (the starter's).
  public var isUpperBound: Bool
}

/// How the command was watched.
public struct Tracing: Codable, Hashable, Sendable {
  public enum Method: String, Codable, Hashable, Sendable {
    /// Seized with ptrace before exec, read at its exit stop.
    case ptrace
    /// wait4's rusage only.
    case rusage
  }

  public var method: Method
  /// Why it is not ptrace (not asked for, or the errno of PTRACE_SEIZE).
  public var reason: String?
  /// Threads the command started (PTRACE_EVENT_CLONE stops).
  public var threadsStarted: Int
  /// Signals delivered to the command through its tracer.
  public var signalsRelayed: Int
  /// Exit stops seen: one per thread that exited on its own, none for a thread killed with
  /// its group.
  public var exitStops: Int
  /// Programs the command itself executed after its own start (`env CMD`, `exec` in a
  /// script). VmHWM is then the last program's peak: an earlier one's is only in ru_maxrss.
  public var laterExecs: Int
}
