import CVMProbes
import FoundationEssentials
import Glibc
import VMMapCore

/// Runs one experiment in a child: the binary re-executed (`/proc/self/exe __experiment NAME
/// ARGS…`) in its own process group, stdin `/dev/null`, stdout (the JSON result) and stderr
/// (kept for messages) on pipes, `SWIFT_BACKTRACE=enable=no`. The child sets its own rlimits
/// and `PR_SET_PDEATHSIG` (`ExperimentChild`); the parent enforces the wall-clock timeout with
/// `kill(-pgid, SIGKILL)` and reaps with `wait4`. The parent never handles SIGSEGV itself.
public enum Sandbox {
  /// The most of a child's stdout kept: a result is a few KiB, but the snapshot of a
  /// 60,000-region process is ~30 MB of JSON. More is a runaway child (invalid output).
  static let stdoutLimit = 256 << 20
  /// The tail of a child's stderr kept for messages.
  static let stderrLimit = 4096
  /// The environment variable naming the child's progress descriptor.
  public static let progressVariable = "VMMAP_PROGRESS_FD"
  /// The progress descriptor's number in the child.
  static let progressDescriptor: Int32 = 3
  /// The environment variable that tells a child its parent's PID: having armed
  /// PR_SET_PDEATHSIG, the child checks that its parent is still that one (a parent that died
  /// before the prctl would never send the signal).
  static let parentVariable = "VMMAP_SANDBOX_PARENT"

  /// Runs `experiment` and decodes its result as `R`. Throws only when the child could not be
  /// started; every way a child can fail is a `ChildOutcome`.
  ///
  /// With `progress`, the child also gets a pipe as descriptor 3 (named by
  /// `VMMAP_PROGRESS_FD`) and every chunk it writes there is passed to `progress` as it
  /// arrives, on this thread.
  public static func run<R: Decodable & Sendable>(
    _ experiment: Experiment, as type: R.Type, executable: String = "/proc/self/exe",
    progress: ((ArraySlice<UInt8>) -> Void)? = nil
  ) throws(VMMapError) -> SandboxRun<R> {
    let raw = try runRaw(
      name: experiment.name, arguments: experiment.arguments, limits: experiment.limits,
      executable: executable, progress: progress)
    let outcome: ChildOutcome<R>
    switch raw.status {
    case .exited(0):
      do {
        outcome = .finished(try JSONDecoder().decode(R.self, from: Data(raw.stdout)))
      } catch {
        let why = raw.stdout.isEmpty ? "no output" : "not a \(R.self) document (\(error))"
        outcome = .invalidOutput(why: why, stderr: raw.stderr)
      }
    case .exited(let code): outcome = .exited(code: code, stderr: raw.stderr)
    case .signaled(let signal): outcome = .killedBySignal(signal, stderr: raw.stderr)
    case .timedOut: outcome = .timedOut(after: experiment.limits.wallTimeout)
    }
    return SandboxRun(pid: raw.pid, outcome: outcome, usage: raw.usage)
  }

  enum Status: Equatable {
    case exited(Int32)
    case signaled(Int32)
    case timedOut
  }

  struct RawRun {
    var pid: Int32
    var status: Status
    var stdout: [UInt8]
    var stderr: String
    var usage: ChildUsage?
  }

  static func runRaw(
    name: String, arguments: [String], limits: SandboxLimits, executable: String,
    progress: ((ArraySlice<UInt8>) -> Void)? = nil
  ) throws(VMMapError) -> RawRun {
    let what = "experiment \(name)"
    var outPipe: [Int32] = [-1, -1]
    var errPipe: [Int32] = [-1, -1]
    var progressPipe: [Int32] = [-1, -1]
    guard vmp_pipe_cloexec(&outPipe) == 0 else {
      throw VMMapError(.ioError, what: what, why: "cannot create a pipe", errno: errno)
    }
    guard vmp_pipe_cloexec(&errPipe) == 0,
      progress == nil || vmp_pipe_cloexec(&progressPipe) == 0
    else {
      let e = errno
      for fd in outPipe + errPipe where fd >= 0 { close(fd) }
      throw VMMapError(.ioError, what: what, why: "cannot create a pipe", errno: e)
    }
    let start = ContinuousClock.now
    let spawned = spawn(
      executable: executable, arguments: ["vmmap", "__experiment", name] + arguments,
      stdout: outPipe[1], stderr: errPipe[1], progress: progress == nil ? nil : progressPipe[1])
    close(outPipe[1])
    close(errPipe[1])
    if progressPipe[1] >= 0 { close(progressPipe[1]) }
    defer {
      close(outPipe[0])
      close(errPipe[0])
      if progressPipe[0] >= 0 { close(progressPipe[0]) }
    }
    let pid = spawned.pid
    guard spawned.error == 0, pid > 0 else {
      let e = spawned.error == 0 ? EINVAL : spawned.error
      throw VMMapError(
        .internalError, what: what,
        why: "cannot start \(executable): \(String(cString: strerror(e)))",
        errno: e)
    }

    let deadline = start + limits.wallTimeout
    var stdout: [UInt8] = []
    var stderr: [UInt8] = []
    var open = [outPipe[0], errPipe[0]] + (progressPipe[0] >= 0 ? [progressPipe[0]] : [])
    var timedOut = false
    var buffer = [UInt8](repeating: 0, count: 65536)
    // Drain both pipes until end of file, then wait (without reaping) for the exit.
    while true {
      let left = deadline - ContinuousClock.now
      if left <= .zero {
        timedOut = true
        break
      }
      let ms = Int32(min(left / .milliseconds(1), 100)) + 1
      if open.isEmpty {
        if childHasExited(pid) { break }
        usleep(5000)
        continue
      }
      var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
      let n = poll(&fds, nfds_t(fds.count), ms)
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { continue }
      for f in fds where f.revents != 0 {
        let got = buffer.withUnsafeMutableBytes { Glibc.read(f.fd, $0.baseAddress, $0.count) }
        if got < 0 && errno == EINTR { continue }
        if got <= 0 {
          open.removeAll { $0 == f.fd }
          continue
        }
        if f.fd == outPipe[0] {
          if stdout.count < stdoutLimit { stdout += buffer[0..<got] }
        } else if f.fd == progressPipe[0] {
          progress?(buffer[0..<got])
        } else {
          stderr += buffer[0..<got]
          if stderr.count > 2 * stderrLimit { stderr.removeFirst(stderr.count - stderrLimit) }
        }
      }
    }
    // The child is a zombie or still running: nothing else can take its PID or process
    // group yet, so this kills exactly what it left behind (or the child itself on timeout).
    kill(-pid, SIGKILL)
    var status: Int32 = 0
    var ru = rusage()
    while wait4(pid, &status, 0, &ru) < 0 && errno == EINTR {}
    let wall = ContinuousClock.now - start
    if stderr.count > stderrLimit { stderr.removeFirst(stderr.count - stderrLimit) }
    let decoded: Status
    if timedOut {
      decoded = .timedOut
    } else if status & 0x7f == 0 {
      decoded = .exited((status >> 8) & 0xff)
    } else {
      decoded = .signaled(status & 0x7f)
    }
    return RawRun(
      pid: pid, status: decoded, stdout: stdout, stderr: String(decoding: stderr, as: UTF8.self),
      usage: ChildUsage(
        minorFaults: ru.ru_minflt, majorFaults: ru.ru_majflt, maxRSSKiB: ru.ru_maxrss,
        userCPU: duration(ru.ru_utime), systemCPU: duration(ru.ru_stime), wall: wall))
  }

  static func duration(_ t: timeval) -> Duration {
    .seconds(Int64(t.tv_sec)) + .microseconds(Int64(t.tv_usec))
  }

  /// True once the child has exited; it stays a zombie (WNOWAIT) until `wait4`.
  static func childHasExited(_ pid: Int32) -> Bool {
    var info = siginfo_t()
    while true {
      let r = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
      if r < 0 && errno == EINTR { continue }
      if r < 0 { return true }
      return info._sifields._sigchld.si_pid == pid
    }
  }

  /// posix_spawn (the PID, or the error number) with the child in its own process group, default signal dispositions and an
  /// empty mask, stdin from /dev/null.
  /// With `progress`, that descriptor becomes the child's descriptor 3, named by
  /// `VMMAP_PROGRESS_FD` (the variable is removed from the environment otherwise).
  static func spawn(
    executable: String, arguments: [String], stdout: Int32, stderr: Int32,
    progress: Int32? = nil
  ) -> (pid: Int32, error: Int32) {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, stdout, 1)
    posix_spawn_file_actions_adddup2(&actions, stderr, 2)
    if let progress {
      posix_spawn_file_actions_adddup2(&actions, progress, progressDescriptor)
    }

    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var none = sigset_t()
    sigemptyset(&none)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attr, &none)
    posix_spawnattr_setsigdefault(&attr, &all)
    posix_spawnattr_setpgroup(&attr, 0)
    posix_spawnattr_setflags(
      &attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    var env = ProcessInfo.processInfo.environment
    env["SWIFT_BACKTRACE"] = "enable=no"
    env[progressVariable] = progress == nil ? nil : String(progressDescriptor)
    env[parentVariable] = String(getpid())
    let envStrings = env.map { "\($0.key)=\($0.value)" }
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = envStrings.map { strdup($0) } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, executable, &actions, &attr, argv, envp)
    return (pid, rc)
  }
}
