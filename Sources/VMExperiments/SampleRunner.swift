import CVMProbes
import Glibc
import VMMapCore

/// Runs a command for `vmmap --sample` and attributes every page fault it takes to a region.
///
/// The command is started as `--faults` starts it (`vmp_run_command`: fork, PTRACE_SEIZE,
/// exec, no shell). Before it may exec, one `PERF_COUNT_SW_PAGE_FAULTS` and one
/// `PERF_COUNT_SW_PAGE_FAULTS_MAJ` event per CPU are opened on it (period 1, inherited by its
/// threads and children); they are enabled at its exec stop, so the samples start at its
/// first instruction and `/proc/PID/stat` read at that stop counts exactly the faults before.
/// Its map is read at the exec stop and at its exit stop; mmap2 records cover the mappings
/// in between.
public enum SampleRunner {
  /// Data pages per CPU ring buffer (4 MiB: about 75,000 samples between two drains).
  public static let ringPages = 1024

  /// Runs `command` to its end. Throws when it could not be run (126, 127) or when perf
  /// events cannot be opened (77 with the sysctl named, or 70).
  public static func run(_ command: [String]) throws(VMMapError) -> SampleReport {
    guard let name = command.first else {
      throw VMMapError(
        .usage, what: "--sample", why: "no command given", fix: "vmmap --sample CMD [ARGS…]")
    }
    let path = try CommandPath.resolve(name, searchPath: getenv("PATH").map { String(cString: $0) })

    let run = UnsafeMutablePointer<vmp_command_run>.allocate(capacity: 1)
    run.initialize(to: vmp_command_run())
    let sample = UnsafeMutablePointer<vmp_sample_run>.allocate(capacity: 1)
    sample.initialize(to: vmp_sample_run())
    defer {
      vmp_sample_release(sample)
      sample.deinitialize(count: 1)
      sample.deallocate()
      run.deinitialize(count: 1)
      run.deallocate()
    }
    sample.pointee.ring_pages = ringPages
    let argv = command.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let rc = vmp_sample_command(path, argv, environ, run, sample)
    let r = run.pointee
    let s = sample.pointee
    let paranoid = vmp_perf_event_paranoid()
    if s.open_errno != 0 {
      throw openError(errno: s.open_errno, paranoid: paranoid == Int32.min ? nil : Int(paranoid))
    }
    if rc < 0 {
      throw VMMapError(
        .internalError, what: "--sample \(name)",
        why: "cannot start it: \(String(cString: strerror(-rc)))",
        fix: "check the process limit (ulimit -u) and free memory", errno: -rc)
    }
    if r.exec_errno != 0 {
      throw CommandPath.execError(name: name, path: path, errno: r.exec_errno)
    }

    let samples = (0..<s.sample_count).map { i -> FaultSample in
      let x = s.samples![i]  // swift-format-ignore: NeverForceUnwrap (count > 0 means allocated)
      return FaultSample(
        time: x.time, ip: x.ip, address: x.addr, pid: Int32(bitPattern: x.pid),
        tid: Int32(bitPattern: x.tid), isMajor: x.major != 0)
    }
    let records = (0..<s.mmap_count).map { i -> MmapRecord in
      var x = s.mmaps![i]  // swift-format-ignore: NeverForceUnwrap (count > 0 means allocated)
      let name = withUnsafeBytes(of: &x.name) { raw in
        PathBytes(Array(raw.prefix { $0 != 0 }))
      }
      return MmapRecord(
        time: x.time, pid: Int32(bitPattern: x.pid), start: x.start, length: x.length,
        permissions: Permissions(
          read: x.prot & UInt32(PROT_READ) != 0, write: x.prot & UInt32(PROT_WRITE) != 0,
          execute: x.prot & UInt32(PROT_EXEC) != 0, shared: x.flags & UInt32(MAP_SHARED) != 0),
        name: name)
    }
    let pid = r.pid
    let exitMap = maps(s.exit_maps, s.exit_maps_len, source: "/proc/\(pid)/maps at exit")
    let execMap = maps(s.exec_maps, s.exec_maps_len, source: "/proc/\(pid)/maps at exec")
    let execTimes = withUnsafeBytes(of: s.exec_times) { Array($0.bindMemory(to: UInt64.self)) }
    let execCount = Int(s.exec_count)
    let lastExec = execCount > 1 ? execTimes[min(execCount, execTimes.count) - 1] : nil
    let attribution = FaultAttribution(
      pid: pid, exitMap: exitMap ?? [], execMap: execMap ?? [], mmapRecords: records,
      lastExecTime: lastExec, enabledTime: s.enabled_time)

    let execStat = CommandRunner.bytes(of: r.exec_stat, count: r.exec_stat_len)
    let statAtExec = try? StatParser.parse(execStat, source: "/proc/\(pid)/stat")
    let event = SampleEvent(
      name: "PERF_COUNT_SW_PAGE_FAULTS", majorName: "PERF_COUNT_SW_PAGE_FAULTS_MAJ", period: 1,
      sampled: ["IDENTIFIER", "IP", "TID", "TIME", "ADDR", "CPU"], cpus: Int(s.cpus),
      kernelExcluded: s.kernel_excluded != 0,
      paranoid: paranoid == Int32.min ? nil : Int(paranoid),
      enabledAt: "the command's first exec stop (ptrace)")
    return SampleReport(
      command: command, executable: path, pid: pid, exit: CommandExit(waitStatus: r.status),
      event: event, regions: attribution.regions(samples),
      sampledFaults: UInt64(samples.count),
      sampledMajor: UInt64(samples.filter(\.isMajor).count), lostSamples: s.lost,
      eventCount: s.counted_faults,
      rusage: FaultCounts(
        minor: UInt64(max(r.usage.ru_minflt, 0)), major: UInt64(max(r.usage.ru_majflt, 0))),
      beforeEnable: s.enabled != 0
        ? statAtExec.map { FaultCounts(minor: $0.minorFaults, major: $0.majorFaults) } : nil,
      mapSources: SampleMapSources(
        exitMap: exitMap != nil, execMap: execMap != nil, mmapRecords: records.count,
        laterExecs: max(execCount - 1, 0)),
      wallSeconds: Double(r.wall_ns) / 1e9)
  }

  static func maps(_ text: UnsafeMutablePointer<CChar>?, _ count: Int, source: String)
    -> [Mapping]?
  {
    guard let text, count > 0 else { return nil }
    let bytes = UnsafeRawBufferPointer(start: text, count: count)
    return try? MapsParser.parse(Array(bytes), source: source)
  }

  /// Why perf_event_open failed, with the sysctl that decides it.
  static func openError(errno e: Int32, paranoid: Int?) -> VMMapError {
    let what = "--sample: perf_event_open(PERF_COUNT_SW_PAGE_FAULTS)"
    switch e {
    case EACCES, EPERM:
      let level = paranoid.map { "kernel.perf_event_paranoid is \($0)" } ?? "perf events"
      return VMMapError(
        .permissionDenied, what: what,
        why:
          "\(String(cString: strerror(e))): \(level), which forbids sampling another process's page faults without CAP_PERFMON",
        fix:
          "sysctl kernel.perf_event_paranoid=1 (or 2 for user-mode faults only), or run as root or with CAP_PERFMON",
        errno: e)
    case ENOENT, ENOSYS, EOPNOTSUPP:
      return VMMapError(
        .internalError, what: what,
        why: "\(String(cString: strerror(e))): this kernel has no software perf events",
        fix: "a kernel with CONFIG_PERF_EVENTS, or use --faults CMD for the totals", errno: e)
    default:
      return VMMapError(
        .internalError, what: what, why: String(cString: strerror(e)),
        fix: "check ulimit -n and locked memory (perf_event_mlock_kb)", errno: e)
    }
  }
}
