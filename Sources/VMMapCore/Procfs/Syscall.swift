#if canImport(Glibc)
  import Glibc
#endif

/// Retry-on-EINTR wrappers over the few system calls the readers make; each returns the value
/// or the errno, and callers turn the errno into a `VMMapError` at the edge.
enum Syscall {
  /// Runs `body` until it returns something other than -1 with `EINTR`.
  @inline(__always)
  static func retrying<I: FixedWidthInteger>(_ body: () -> I) -> Result<I, Errno> {
    while true {
      let value = body()
      if value != -1 { return .success(value) }
      let e = errno
      if e != EINTR { return .failure(Errno(e)) }
    }
  }

  static func openat(_ dir: CInt, _ path: String, _ flags: CInt) -> Result<CInt, Errno> {
    retrying { Glibc.openat(dir, path, flags | O_CLOEXEC) }
  }

  static func read(_ fd: CInt, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Result<
    Int, Errno
  > {
    retrying { Glibc.read(fd, buffer, count) }
  }

  /// `readlinkat` into a growing buffer; the target as bytes.
  static func readlinkat(_ dir: CInt, _ path: String) -> Result<[UInt8], Errno> {
    var size = 256
    while true {
      var buffer = [CChar](repeating: 0, count: size)
      let n = buffer.withUnsafeMutableBufferPointer { b in
        Glibc.readlinkat(dir, path, b.baseAddress!, size)
      }
      if n < 0 { return .failure(Errno(errno)) }
      if n < size { return .success(buffer[0..<n].map { UInt8(bitPattern: $0) }) }
      size *= 4
    }
  }

  /// Reads the whole (small) file `path` under `dir`.
  static func readAll(_ dir: CInt, _ path: String) -> Result<[UInt8], Errno> {
    switch openat(dir, path, O_RDONLY) {
    case .failure(let e): return .failure(e)
    case .success(let fd):
      defer { close(fd) }
      return readAll(fd: fd)
    }
  }

  /// Reads `fd` to EOF.
  static func readAll(fd: CInt) -> Result<[UInt8], Errno> {
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16384)
    while true {
      let r = chunk.withUnsafeMutableBytes { b in read(fd, b.baseAddress!, b.count) }
      switch r {
      case .failure(let e): return .failure(e)
      case .success(0): return .success(out)
      case .success(let n): out.append(contentsOf: chunk[0..<n])
      }
    }
  }
}

/// An errno value with the names the readers switch on.
struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
  var rawValue: CInt
  init(_ rawValue: CInt) { self.rawValue = rawValue }

  /// EBADF, EFAULT or EINVAL from our own calls: a bug in vmmap, not the world changing.
  var isBug: Bool { rawValue == EBADF || rawValue == EFAULT || rawValue == EINVAL }
  var isPermission: Bool { rawValue == EACCES || rawValue == EPERM }

  /// `strerror` text, lower-cased first letter ("no such file or directory").
  var description: String {
    guard let s = strerror(rawValue) else { return "errno \(rawValue)" }
    let text = String(cString: s)
    return text.prefix(1).lowercased() + text.dropFirst()
  }
}
