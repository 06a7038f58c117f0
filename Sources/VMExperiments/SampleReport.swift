/// What `vmmap --sample CMD` measured: every page fault of the command, sampled with
/// `perf_event_open` (`PERF_COUNT_SW_PAGE_FAULTS`, period 1), attributed to the region it hit.
/// Codable: `--sample --json` writes it (`docs/schema/sample.schema.json`), and the report
/// embeds it.
public struct SampleReport: Codable, Hashable, Sendable {
  public static let currentSchemaVersion = 1

  public var schemaVersion: Int
  /// The command's words, as given (argv).
  public var command: [String]
  /// The file that was executed (after the PATH search).
  public var executable: String
  public var pid: Int32
  public var exit: CommandExit
  public var event: SampleEvent
  /// One row per region that took a fault, in first-touch order (by the time of its first
  /// fault).
  public var regions: [SampledRegion]
  /// Fault samples read from the ring buffers (every fault after the event was enabled).
  public var sampledFaults: UInt64
  /// Of them, also sampled by `PERF_COUNT_SW_PAGE_FAULTS_MAJ`: the page was read from disk.
  public var sampledMajor: UInt64
  /// Samples the kernel dropped because a ring buffer was full (`PERF_RECORD_LOST`).
  public var lostSamples: UInt64
  /// The events' own counts (`read(2)` on them after the run), lost samples included.
  public var eventCount: UInt64
  /// `wait4`'s `ru_minflt` and `ru_majflt`: the command, its threads and waited-for children.
  public var rusage: FaultCounts
  /// `/proc/PID/stat` at the command's first exec stop, when the event was enabled: faults
  /// of vmmap's starter between fork and exec and of execve loading the program. Counted by
  /// wait4, never sampled.
  public var beforeEnable: FaultCounts?
  /// wait4's minor + major minus `beforeEnable`: what the samples should add up to.
  public var expectedSamples: UInt64?
  /// `sampledFaults + lostSamples − expectedSamples`; see `differenceExplained`.
  public var difference: Int64?
  public var differenceExplained: String
  /// Where the regions came from: the maps read at the exec and exit stops, mmap2 records.
  public var mapSources: SampleMapSources
  /// From fork to reap.
  public var wallSeconds: Double

  public init(
    command: [String], executable: String, pid: Int32, exit: CommandExit, event: SampleEvent,
    regions: [SampledRegion], sampledFaults: UInt64, sampledMajor: UInt64, lostSamples: UInt64,
    eventCount: UInt64, rusage: FaultCounts, beforeEnable: FaultCounts?,
    mapSources: SampleMapSources, wallSeconds: Double
  ) {
    self.schemaVersion = Self.currentSchemaVersion
    self.command = command
    self.executable = executable
    self.pid = pid
    self.exit = exit
    self.event = event
    self.regions = regions
    self.sampledFaults = sampledFaults
    self.sampledMajor = sampledMajor
    self.lostSamples = lostSamples
    self.eventCount = eventCount
    self.rusage = rusage
    self.beforeEnable = beforeEnable
    self.mapSources = mapSources
    self.wallSeconds = wallSeconds
    if let before = beforeEnable {
      let total = rusage.minor + rusage.major
      let expected = total >= before.minor + before.major ? total - before.minor - before.major : 0
      self.expectedSamples = expected
      self.difference = Int64(sampledFaults + lostSamples) - Int64(expected)
    } else {
      self.expectedSamples = nil
      self.difference = nil
    }
    self.differenceExplained = Self.explain(difference, kernelExcluded: event.kernelExcluded)
  }

  static func explain(_ difference: Int64?, kernelExcluded: Bool) -> String {
    guard let d = difference else {
      return "no exec stop was seen, so the faults before the event was enabled are unknown"
    }
    var parts: [String] = []
    if d == 0 {
      parts.append("every fault counted by wait4 after the exec was sampled")
    } else if d > 0 {
      parts.append(
        "more samples than wait4 counts: the event fires on entry to the fault handler, so a "
          + "fault the kernel retried (it dropped the lock to wait for I/O) is sampled twice, "
          + "and an access that ends in SIGSEGV is sampled but never counted as a fault")
    } else {
      parts.append(
        "fewer samples than wait4 counts: faults taken by the kernel for the command without a "
          + "trap (get_user_pages: execve copying arguments, ptrace, O_DIRECT) count in rusage but "
          + "raise no event, and the exit's own faults after the last exit stop")
    }
    if kernelExcluded {
      parts.append(
        "only user-mode faults were sampled (perf_event_paranoid 2): faults the kernel took on "
          + "the command's buffers (read(2) into fresh memory) are missing")
    }
    return parts.joined(separator: "; ")
  }
}

/// The perf event, as opened.
public struct SampleEvent: Codable, Hashable, Sendable {
  /// `PERF_COUNT_SW_PAGE_FAULTS` (and `PERF_COUNT_SW_PAGE_FAULTS_MAJ` beside it).
  public var name: String
  public var majorName: String
  /// 1: every fault is a sample.
  public var period: Int
  /// The `PERF_SAMPLE_*` fields of each sample.
  public var sampled: [String]
  /// One event pair per CPU (inherited per-task events can be mmap'd only per CPU).
  public var cpus: Int
  /// True when only user-mode faults could be sampled (`exclude_kernel`).
  public var kernelExcluded: Bool
  /// `/proc/sys/kernel/perf_event_paranoid` at the time.
  public var paranoid: Int?
  /// When it was enabled: at the command's first exec stop (ptrace), so the program's first
  /// instruction is the first that can fault into a sample.
  public var enabledAt: String
}

/// Where the sampled addresses were looked up.
public struct SampleMapSources: Codable, Hashable, Sendable {
  /// `/proc/PID/maps` read at the last exit stop (the final map).
  public var exitMap: Bool
  /// `/proc/PID/maps` read at the (last) exec stop.
  public var execMap: Bool
  /// `PERF_RECORD_MMAP2` records: mappings made while the event was enabled.
  public var mmapRecords: Int
  /// Programs the command executed after its first (`env CMD`): faults before the last exec
  /// belong to an earlier program, whose map is gone.
  public var laterExecs: Int
}

/// One region and the faults it took.
public struct SampledRegion: Codable, Hashable, Sendable {
  /// Where the region was found for these faults.
  public enum Source: String, Codable, Hashable, Sendable {
    /// In /proc/PID/maps at the exit stop.
    case exitMap = "exit-map"
    /// In a PERF_RECORD_MMAP2 record only: mapped and unmapped again before the exit.
    case mmapRecord = "mmap-record"
    /// In /proc/PID/maps at the exec stop only.
    case execMap = "exec-map"
    /// An earlier program of the command (before its last exec).
    case earlierProgram = "earlier-program"
    /// A child process of the command (its own address space, not looked up).
    case childProcess = "child-process"
    /// In no map seen: an invalid access (SIGSEGV), or a region that came and went unseen.
    case unmapped
  }

  /// 1 for the region that faulted first.
  public var order: Int
  public var source: Source
  /// `"0x…"`; nil for the buckets without a region (earlier program, child, unmapped).
  public var start: String?
  public var end: String?
  public var permissions: String?
  /// The name column (a path, `[heap]`, `[stack]`, empty for anonymous memory), readable form.
  public var name: String
  /// The name's bytes when they are not valid UTF-8.
  public var nameBytes: [UInt8]?
  /// The child's PID for `child-process`.
  public var childPID: Int32?
  public var faults: UInt64
  public var major: UInt64
  /// Faults on an instruction fetch: the data address is on the instruction's page.
  public var instruction: UInt64
  /// Faults on a data access by the command's own code.
  public var data: UInt64
  /// Faults taken in kernel mode on the command's behalf (a system call writing its buffer).
  public var kernel: UInt64
  /// Distinct 4 KiB pages that faulted.
  public var pages: UInt64
  /// Seconds from the enable to its first fault.
  public var firstFaultSeconds: Double
  public var firstAddress: String
}
