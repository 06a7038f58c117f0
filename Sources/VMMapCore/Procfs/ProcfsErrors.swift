#if canImport(Glibc)
  import Glibc
#endif

/// Turns an errno from reading `/proc/PID/…` into the `VMMapError` people see: what failed,
/// the cause, and what to do.
enum ProcfsErrors {
  /// `pid` has no `/proc` entry (ENOENT/ESRCH opening it).
  static func noSuchProcess(pid: Int32, errno: Int32?) -> VMMapError {
    var why = "no process with PID \(pid)"
    if geteuid() != 0, let hidepid = PermissionDiagnosis.procHidepid() {
      why += " that you may see (/proc is mounted with hidepid=\(hidepid))"
    }
    return VMMapError(
      .noInput, what: "/proc/\(pid)", why: why, fix: "check the PID with `ps -p \(pid)`",
      errno: errno)
  }

  static func exitedDuringRead(pid: Int32, file: String) -> VMMapError {
    VMMapError(
      .exitedDuringRead, what: "/proc/\(pid)/\(file)",
      why: "process \(pid) exited while its \(file) was being read", fix: "run vmmap again")
  }

  /// The error for `error` from opening or reading `file` (relative to `/proc/PID`).
  static func error(_ error: Errno, pid: Int32, file: String, procDir: CInt) -> VMMapError {
    let path = "/proc/\(pid)/\(file)"
    let e = error.rawValue
    if error.isPermission {
      return PermissionDiagnosis.gather(pid: pid, procDir: procDir).error(
        path: path, pid: pid, file: file, errno: e)
    }
    if e == ESRCH { return exitedDuringRead(pid: pid, file: file) }
    if error.isBug {
      return VMMapError(
        .internalError, what: path, why: "\(error) (a bug in vmmap)",
        fix: "please report it", errno: e)
    }
    if e == ENOENT {
      return VMMapError(
        .noInput, what: path, why: "no such file (this kernel does not provide it)", errno: e)
    }
    return VMMapError(.ioError, what: path, why: error.description, errno: e)
  }
}
