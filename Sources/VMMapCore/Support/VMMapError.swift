/// Every error vmmap reports: what failed, why, and what to do, with a code that decides the
/// exit status (DESIGN.md's table). Rendered as one line: `<what>: <why> (<fix>)`.
public struct VMMapError: Error, Hashable, Sendable, CustomStringConvertible {
  public enum Code: String, Hashable, Sendable {
    /// A check failed: `compare --fail-on-change` crossed a threshold: 1.
    case checkFailed
    /// Unknown flag, malformed address or size, unknown type: 64.
    case usage
    /// A maps file's line N, an invalid report, a newer schema: 65.
    case badData
    /// No such process or input file: 66.
    case noInput
    /// A kernel thread or a zombie: 69.
    case notAUserProcess
    /// A bug: 70.
    case internalError
    /// Cannot create the output file: 73.
    case cannotCreate
    /// I/O error: 74.
    case ioError
    /// The process exited while it was being read: 75.
    case exitedDuringRead
    /// Permission denied: 77.
    case permissionDenied
    /// `--faults CMD`: the command was found but cannot be executed: 126 (as a shell says).
    case commandNotExecutable
    /// `--faults CMD`: no such command: 127 (as a shell says).
    case commandNotFound
  }

  public var code: Code
  public var what: String
  public var why: String
  public var fix: String?
  /// The errno behind it, if any.
  public var errno: Int32?

  public init(_ code: Code, what: String, why: String, fix: String? = nil, errno: Int32? = nil) {
    self.code = code
    self.what = what
    self.why = why
    self.fix = fix
    self.errno = errno
  }

  /// The process exit status for this error (sysexits.h values, as DESIGN.md lists them).
  public var exitCode: Int32 {
    switch code {
    case .checkFailed: 1
    case .usage: 64
    case .badData: 65
    case .noInput: 66
    case .notAUserProcess: 69
    case .internalError: 70
    case .cannotCreate: 73
    case .ioError: 74
    case .exitedDuringRead: 75
    case .permissionDenied: 77
    case .commandNotExecutable: 126
    case .commandNotFound: 127
    }
  }

  public var description: String {
    if let fix { return "\(what): \(why) (\(fix))" }
    return "\(what): \(why)"
  }
}
