import CVMProbes
import Glibc
import VMMapCore

/// Runs a command for `vmmap --faults` and measures it: no shell, the command's own stdin,
/// stdout and stderr, vmmap's environment and process group (so ^C from the terminal reaches
/// it).
///
/// The command is forked in C (`vmp_run_command`: Swift must not run in a forked child, and
/// ptrace is variadic) and, unless `trace` is false, seized with ptrace before its exec. Its
/// peak RSS is then its own `VmHWM`, read at its exit stop while its memory is still mapped;
/// `ru_maxrss` cannot give that, since the kernel carries the starter's (vmmap's) peak across
/// exec. Page faults are `wait4`'s, cross-checked with `/proc/PID/stat` at the exit stop.
public enum CommandRunner {
  /// Runs `command` (its first word is looked up in `PATH` unless it holds a `/`) to its end.
  /// Throws only when it could not be run: not found (127), not executable (126), or fork
  /// failed; every way the command itself ends is in the report.
  public static func run(_ command: [String], trace: Bool = true) throws(VMMapError)
    -> CommandFaultsReport
  {
    guard let name = command.first else {
      throw VMMapError(
        .usage, what: "--faults", why: "no command given", fix: "vmmap --faults CMD [ARGS…]")
    }
    let path = try CommandPath.resolve(name, searchPath: getenv("PATH").map { String(cString: $0) })

    let run = UnsafeMutablePointer<vmp_command_run>.allocate(capacity: 1)
    run.initialize(to: vmp_command_run())
    defer {
      run.deinitialize(count: 1)
      run.deallocate()
    }
    run.pointee.use_ptrace = trace ? 1 : 0
    let argv = command.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let rc = vmp_run_command(path, argv, environ, run)
    let r = run.pointee
    if rc < 0 {
      throw VMMapError(
        .internalError, what: "--faults \(name)",
        why: "cannot start it: \(String(cString: strerror(-rc)))",
        fix: "check the process limit (ulimit -u) and free memory", errno: -rc)
    }
    if r.exec_errno != 0 {
      throw CommandPath.execError(name: name, path: path, errno: r.exec_errno)
    }

    let tracing = Tracing(
      method: r.traced != 0 ? .ptrace : .rusage,
      reason: r.traced != 0
        ? nil
        : trace
          ? "PTRACE_SEIZE failed: \(String(cString: strerror(r.ptrace_errno))) "
            + "(a seccomp filter, Yama's ptrace_scope or a container's policy may forbid ptrace)"
          : "not asked for (--no-ptrace)",
      threadsStarted: Int(r.threads_started), signalsRelayed: Int(r.signals_relayed),
      exitStops: Int(r.exit_stops), laterExecs: max(Int(r.exec_stops) - 1, 0))

    let exitStatus = Self.bytes(of: r.exit_status, count: r.exit_status_len)
    let exitStat = Self.bytes(of: r.exit_stat, count: r.exit_stat_len)
    let execStat = Self.bytes(of: r.exec_stat, count: r.exec_stat_len)
    let pid = r.pid
    // Partial reads (a task gone at its exit stop) are dropped, not guessed at.
    let hwm = (try? StatusParser.parse(exitStatus, source: "/proc/\(pid)/status"))?[
      memory: "VmHWM"]
    let statAtExit = try? StatParser.parse(exitStat, source: "/proc/\(pid)/stat")
    let statAtExec = try? StatParser.parse(execStat, source: "/proc/\(pid)/stat")

    let rusageMaxRSS = UInt64(max(r.usage.ru_maxrss, 0)) * 1024
    let maxRSS =
      if let hwm, !exitStatus.isEmpty {
        MaxRSS(bytes: hwm, source: .vmHWMAtExit, isUpperBound: false)
      } else {
        MaxRSS(bytes: rusageMaxRSS, source: .rusage, isUpperBound: true)
      }
    return CommandFaultsReport(
      command: command, executable: path, pid: pid, exit: CommandExit(waitStatus: r.status),
      minorFaults: UInt64(max(r.usage.ru_minflt, 0)),
      majorFaults: UInt64(max(r.usage.ru_majflt, 0)),
      beforeExec: statAtExec.map { FaultCounts(minor: $0.minorFaults, major: $0.majorFaults) },
      procStatAtExit: statAtExit.map {
        ProcStatFaults(
          minor: $0.minorFaults, major: $0.majorFaults, childrenMinor: $0.childMinorFaults,
          childrenMajor: $0.childMajorFaults)
      },
      maxRSS: maxRSS, rusageMaxRSSBytes: rusageMaxRSS,
      userSeconds: Self.seconds(r.usage.ru_utime), systemSeconds: Self.seconds(r.usage.ru_stime),
      wallSeconds: Double(r.wall_ns) / 1e9, tracing: tracing)
  }

  /// The first `count` bytes of a C `char[N]` field (imported as a tuple).
  static func bytes<T>(of field: T, count: Int) -> [UInt8] {
    withUnsafeBytes(of: field) { Array($0.prefix(count)) }
  }

  static func seconds(_ t: timeval) -> Double {
    Double(t.tv_sec) + Double(t.tv_usec) / 1e6
  }
}

/// Finds the file a command name means, as execvp(3) and a shell do, and names why it cannot
/// run with a shell's exit status: 127 not found, 126 found but not executable.
public enum CommandPath {
  /// glibc's search path when `PATH` is unset (execvp(3)).
  static let defaultSearchPath = "/bin:/usr/bin"

  /// The path to execute for `name`. With a `/` it is taken as it is; otherwise the first
  /// executable regular file in `searchPath` (an empty entry is the current directory) wins.
  public static func resolve(_ name: String, searchPath: String?) throws(VMMapError) -> String {
    if name.isEmpty {
      throw VMMapError(
        .commandNotFound, what: "command ''", why: "an empty name is not a command",
        fix: "give the command's name or path")
    }
    if name.contains("/") {
      switch check(name) {
      case .executable: return name
      case .missing:
        throw VMMapError(
          .commandNotFound, what: "command '\(name)'", why: "no such file",
          fix: "check the path")
      case .notExecutable(let why):
        throw VMMapError(
          .commandNotExecutable, what: "command '\(name)'", why: "cannot execute it: \(why)",
          fix: fixForNotExecutable(why))
      }
    }
    var firstNotExecutable: (path: String, why: String)?
    for entry in (searchPath ?? defaultSearchPath).split(
      separator: ":", omittingEmptySubsequences: false)
    {
      let candidate = entry.isEmpty ? name : "\(entry)/\(name)"
      switch check(candidate) {
      case .executable: return candidate
      case .missing: continue
      case .notExecutable(let why):
        if firstNotExecutable == nil { firstNotExecutable = (candidate, why) }
      }
    }
    if let (path, why) = firstNotExecutable {
      throw VMMapError(
        .commandNotExecutable, what: "command '\(name)'",
        why: "cannot execute \(path): \(why)", fix: fixForNotExecutable(why))
    }
    throw VMMapError(
      .commandNotFound, what: "command '\(name)'", why: "not found in PATH",
      fix: "check the spelling, or give its path; vmmap runs no shell, so no aliases or builtins")
  }

  enum Check {
    case executable
    case missing
    case notExecutable(String)
  }

  static func check(_ path: String) -> Check {
    var st = stat()
    guard stat(path, &st) == 0 else {
      return errno == EACCES ? .notExecutable("permission denied") : .missing
    }
    if st.st_mode & S_IFMT == S_IFDIR { return .notExecutable("it is a directory") }
    if access(path, X_OK) != 0 { return .notExecutable("permission denied (no execute bit)") }
    return .executable
  }

  static func fixForNotExecutable(_ why: String) -> String {
    why.hasPrefix("it is a directory")
      ? "give the program inside it" : "chmod +x it, or run it through its interpreter"
  }

  /// The error for an `execve` that failed in the child after the file was found.
  static func execError(name: String, path: String, errno e: Int32) -> VMMapError {
    let what = "command '\(name)'"
    let reason = String(cString: strerror(e))
    switch e {
    case ENOENT where access(path, F_OK) == 0:
      return VMMapError(
        .commandNotExecutable, what: what,
        why: "cannot execute \(path): \(reason): its #! interpreter or ELF loader is missing",
        fix: "check the first line of the script, or the program's architecture", errno: e)
    case ENOENT:
      return VMMapError(
        .commandNotFound, what: what, why: "\(path) disappeared before it could run",
        fix: "run it again", errno: e)
    case ENOEXEC:
      return VMMapError(
        .commandNotExecutable, what: what,
        why: "cannot execute \(path): not a program the kernel can run (no #! line?)",
        fix: "vmmap runs no shell: run it as sh \(path)", errno: e)
    default:
      return VMMapError(
        .commandNotExecutable, what: what, why: "cannot execute \(path): \(reason)",
        fix: "check its permissions and format", errno: e)
    }
  }
}
