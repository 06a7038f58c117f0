import CVMProbes
import FoundationEssentials
import Glibc

/// The child side of `Sandbox` (`vmmap __experiment NAME`), dispatched before argument parsing.
public enum ExperimentChild {
  /// Applies the experiment's limits, runs it, writes its result as one JSON document on
  /// stdout and exits 0; on failure writes one line to stderr and exits 1. Never returns.
  public static func main(arguments: [String]) -> Never {
    // Die with the parent, however it ends; if it has already ended, no signal will come.
    _ = vmp_set_parent_death_signal(SIGKILL)
    if let parent = getenv(Sandbox.parentVariable), Int32(String(cString: parent)) != getppid() {
      fail("the parent vmmap is gone")
    }
    // Only for this process: what it starts has another parent.
    unsetenv(Sandbox.parentVariable)
    guard let name = arguments.first,
      let experiment = Experiment(name: name, arguments: Array(arguments.dropFirst()))
    else {
      fail("unknown experiment '\(arguments.joined(separator: " "))'")
    }
    let limits = experiment.limits
    setLimit(RLIMIT_CORE, soft: 0, hard: 0)
    setLimit(RLIMIT_CPU, soft: limits.cpuSeconds, hard: limits.cpuSeconds + 1)
    setLimit(RLIMIT_AS, soft: limits.addressSpace, hard: limits.addressSpace)

    let output: Data
    do {
      switch experiment {
      case .fault(let type):
        output = try encode(try FaultExperiment.run(type))
      case .demand(let options):
        output = try encode(try DemandExperiment.run(options, progressFD: progressFD))
      case .copyOnWrite:
        output = try encode(try CowExperiment.run())
      case .walk(let request):
        output = try encode(try WalkExperiment.run(request))
      case .tlb(let options):
        output = try encode(try TLBExperiment.run(options))
      case .snapshot(let pid):
        output = try encode(try MapSnapshot.take(pid: pid))
      case .sample:
        output = try encode(try SampleRunner.run(TouchProgram.reportCommand))
      case .aslrSample(let noRandomize):
        output = try encode(try AslrProbe.run(noRandomize: noRandomize))
      case .testSleep:
        // A grandchild in the same process group, which the parent must kill too.
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("sleep"), strdup("30"), nil]
        _ = posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ)
        sleep(30)
        output = Data()
      case .testCrash:
        signal(SIGSEGV, SIG_DFL)
        raise(SIGSEGV)
        output = Data()
      case .testGarbage:
        output = Data("this is not JSON\n".utf8)
      case .testSpin:
        var x: UInt64 = 1
        while true {
          x = x &* 6_364_136_223_846_793_005 &+ 1
          if x == 42 { break }
        }
        output = Data("\(x)".utf8)
      case .testOrphan:
        orphanAGrandchild()
      case .testWait:
        // PR_SET_PDEATHSIG is armed (above): say so, then wait.
        _ = write(1, "r", 1)
        sleep(30)
        output = Data()
      }
    } catch {
      fail("\(error)")
    }
    var written = 0
    while written < output.count {
      let n = output.withUnsafeBytes {
        write(1, $0.baseAddress! + written, $0.count - written)
      }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { fail("cannot write the result: \(String(cString: strerror(errno)))") }
      written += n
    }
    exit(0)
  }

  /// `test-orphan`: starts `test-wait` in its own process group (as the runner starts every
  /// child), waits until it runs with its death signal armed, names it on stderr, and dies by
  /// SIGKILL: no clean-up of ours can run, so only the kernel can stop the grandchild.
  static func orphanAGrandchild() -> Never {
    var pipe: [Int32] = [-1, -1]
    guard vmp_pipe_cloexec(&pipe) == 0 else { fail("cannot create a pipe") }
    let spawned = Sandbox.spawn(
      executable: "/proc/self/exe", arguments: ["vmmap", "__experiment", Experiment.testWait.name],
      stdout: pipe[1], stderr: pipe[1])
    close(pipe[1])
    guard spawned.error == 0 else { fail("cannot start the grandchild") }
    var ready: UInt8 = 0
    while read(pipe[0], &ready, 1) < 0 && errno == EINTR {}
    guard ready == UInt8(ascii: "r") else { fail("the grandchild did not start") }
    let line = "grandchild \(spawned.pid) ready\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    raise(SIGKILL)
    fail("still alive after SIGKILL")
  }

  /// The descriptor the parent reads progress from (`Sandbox.run(…, progress:)` sets
  /// `VMMAP_PROGRESS_FD`), or nil.
  static var progressFD: Int32? {
    guard let text = getenv(Sandbox.progressVariable), let fd = Int32(String(cString: text)),
      fd > 2, fcntl(fd, F_GETFD) >= 0
    else { return nil }
    return fd
  }

  static func encode<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return try encoder.encode(value)
  }

  static func setLimit(_ resource: __rlimit_resource, soft: UInt64, hard: UInt64) {
    var limit = rlimit(rlim_cur: rlim_t(soft), rlim_max: rlim_t(hard))
    var current = rlimit()
    if getrlimit(__rlimit_resource_t(resource.rawValue), &current) == 0 {
      limit.rlim_max = min(limit.rlim_max, current.rlim_max)
      limit.rlim_cur = min(limit.rlim_cur, limit.rlim_max)
    }
    _ = setrlimit(__rlimit_resource_t(resource.rawValue), &limit)
  }

  static func fail(_ message: String) -> Never {
    let line = "vmmap __experiment: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(1)
  }
}
