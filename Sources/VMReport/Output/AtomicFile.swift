import Glibc
import VMMapCore

/// Writes a file all at once or not at all: a temporary file made with `mkstemp` in the
/// target's own directory, written, `fsync`ed, then renamed over the target. On any failure
/// the temporary file is removed and an existing target is left untouched.
public enum AtomicFile {
  public static func write(_ bytes: [UInt8], to path: String) throws(VMMapError) {
    let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
    let base = path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    var template = Array(
      ((directory.isEmpty ? "" : directory) + "/." + base + ".XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else {
      let e = errno
      throw VMMapError(
        .cannotCreate, what: path,
        why: "cannot create a file in \(directory): \(String(cString: strerror(e)))",
        fix: "check that the directory exists and is writable", errno: e)
    }
    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    func fail(_ what: String) -> VMMapError {
      let e = errno
      unlink(temporary)
      return VMMapError(
        .ioError, what: path, why: "\(what): \(String(cString: strerror(e)))", errno: e)
    }
    var written = 0
    while written < bytes.count {
      let n = bytes.withUnsafeBytes {
        Glibc.write(fd, $0.baseAddress! + written, $0.count - written)
      }
      if n < 0 {
        if errno == EINTR { continue }
        let error = fail("write failed")
        close(fd)
        throw error
      }
      written += n
    }
    // Files are created 0600 by mkstemp; give the usual 0644 less the umask.
    let mask = umask(0)
    umask(mask)
    fchmod(fd, 0o666 & ~mask)
    if fsync(fd) != 0 {
      let error = fail("fsync failed")
      close(fd)
      throw error
    }
    if close(fd) != 0 { throw fail("close failed") }
    if rename(temporary, path) != 0 { throw fail("rename failed") }
  }
}

/// Writes bytes to standard output, all of them (retrying short writes).
public func writeStandardOutput(_ bytes: [UInt8]) throws(VMMapError) {
  var written = 0
  while written < bytes.count {
    let n = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress! + written, $0.count - written) }
    if n < 0 {
      if errno == EINTR { continue }
      let e = errno
      if e == EPIPE { return }
      throw VMMapError(
        .ioError, what: "standard output", why: String(cString: strerror(e)), errno: e)
    }
    written += n
  }
}
