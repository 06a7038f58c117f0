import CVMProbes
import Foundation
import Glibc

/// The child side of `Sandbox` (`vmmap __experiment NAME`), dispatched before argument parsing.
public enum ExperimentChild {
  /// Applies the experiment's limits, runs it, writes its result as one JSON document on
  /// stdout and exits 0; on failure writes one line to stderr and exits 1. Never returns.
  public static func main(arguments: [String]) -> Never {
    // Die with the parent, however it ends.
    _ = vmp_set_parent_death_signal(SIGKILL)
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
      case .snapshot(let pid):
        output = try encode(try MapSnapshot.take(pid: pid))
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
