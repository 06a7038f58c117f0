import Glibc
import VMMapCore

/// How a sandboxed child ended. A crash in a child is data, not a thrown error (STYLE.md
/// pattern 4): `throws` is kept for "could not run it at all".
public enum ChildOutcome<Result: Sendable>: Sendable {
  /// Exited 0 and wrote a result that decoded.
  case finished(Result)
  /// Exited with a non-zero status; the tail of its standard error.
  case exited(code: Int32, stderr: String)
  /// Killed by a signal it did not catch (a crash, RLIMIT_CPU's SIGXCPU, …).
  case killedBySignal(Int32, stderr: String)
  /// Still running after its wall-clock timeout, so it was killed with SIGKILL.
  case timedOut(after: Duration)
  /// Exited 0 but its output was not a result (garbage, truncated, empty).
  case invalidOutput(why: String, stderr: String)

  /// The error vmmap reports for a child that did not finish (exit 70: it failed
  /// unexpectedly), or nil when it finished.
  public func error(experiment name: String) -> VMMapError? {
    let what = "experiment \(name)"
    switch self {
    case .finished:
      return nil
    case .exited(let code, let stderr):
      return VMMapError(
        .internalError, what: what, why: "exited with status \(code)" + Self.tail(stderr))
    case .killedBySignal(let signal, let stderr):
      return VMMapError(
        .internalError, what: what,
        why: "killed by \(signalName(signal)) (the child crashed outside its probe)"
          + Self.tail(stderr))
    case .timedOut(let after):
      return VMMapError(
        .internalError, what: what,
        why: "killed by SIGKILL after \(after.components.seconds) s timeout")
    case .invalidOutput(let why, let stderr):
      return VMMapError(
        .internalError, what: what, why: "wrote an invalid result: \(why)" + Self.tail(stderr))
    }
  }

  /// The last line of the child's standard error, for the one-line message.
  static func tail(_ stderr: String) -> String {
    let lines = stderr.split(separator: "\n").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
    guard var last = lines.last else { return "" }
    // The child's own prefix says nothing the message does not.
    if last.hasPrefix("vmmap __experiment: ") {
      last = last.dropFirst("vmmap __experiment: ".count)
    }
    return ": " + String(last.prefix(300))
  }
}

extension Substring {
  fileprivate func trimmingSpaces() -> Substring {
    var s = self
    while s.first == " " || s.first == "\t" || s.first == "\r" { s = s.dropFirst() }
    while s.last == " " || s.last == "\t" || s.last == "\r" { s = s.dropLast() }
    return s
  }
}

/// `SIGSEGV`, `SIGKILL`, … or `signal N` for the rare ones.
public func signalName(_ signal: Int32) -> String {
  let names: [Int32: String] = [
    SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
    SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV",
    SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGXCPU: "SIGXCPU",
    SIGXFSZ: "SIGXFSZ", SIGSYS: "SIGSYS",
  ]
  return names[signal] ?? "signal \(signal)"
}

extension SandboxRun {
  /// The error vmmap reports for a child that did not finish, or nil when it finished; as
  /// `ChildOutcome.error(experiment:)`, but a child stopped by its CPU limit (RLIMIT_CPU:
  /// SIGXCPU at the soft limit, SIGKILL at the hard one) says so, with the CPU time it used.
  public func error(experiment: Experiment) -> VMMapError? {
    guard case .killedBySignal(let signal, _) = outcome else {
      return outcome.error(experiment: experiment.name)
    }
    let soft = experiment.limits.cpuSeconds
    let used = usage.map { $0.userCPU + $0.systemCPU }
    let spent =
      used.map {
        let centiseconds = Int($0 / .milliseconds(10))
        let fraction = centiseconds % 100 < 10 ? "0\(centiseconds % 100)" : "\(centiseconds % 100)"
        return ", after \(centiseconds / 100).\(fraction) s of CPU by rusage"
      } ?? ""
    let why: String
    if signal == SIGXCPU {
      why = "killed by SIGXCPU: it used up its CPU time limit of \(soft) s (RLIMIT_CPU)" + spent
    } else if signal == SIGKILL, let used, used >= .seconds(soft + 1) - .milliseconds(50) {
      why = "killed by SIGKILL at its hard CPU time limit of \(soft + 1) s (RLIMIT_CPU)" + spent
    } else {
      return outcome.error(experiment: experiment.name)
    }
    return VMMapError(
      .internalError, what: "experiment \(experiment.name)", why: why,
      fix: "an experiment must finish well within its limits: a bug, please report it")
  }
}
