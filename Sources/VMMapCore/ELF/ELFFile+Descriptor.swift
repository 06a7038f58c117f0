import Glibc

extension ELFFile {
  /// Reads the headers of the open file `fd` with `pread` (the descriptor's offset is unused).
  ///
  /// Only a regular file is read: a device or FIFO gives `.notRegularFile`.
  public init(descriptor fd: Int32) throws(ELFError) {
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw ELFError(.system(errno)) }
    guard st.st_mode & S_IFMT == S_IFREG else { throw ELFError(.notRegularFile) }
    let size = UInt64(max(0, st.st_size))
    try self.init(fileSize: size) { (offset, count) throws(ELFError) in
      try ELFFile.pread(fd, offset: offset, count: count)
    }
  }

  /// Opens `path` read-only (non-blocking, no controlling tty) and reads its headers.
  public init(path: String) throws(ELFError) {
    let fd = ELFFile.openForHeaders(path)
    guard fd >= 0 else { throw ELFError(.system(-fd)) }
    defer { close(fd) }
    try self.init(descriptor: fd)
  }

  /// Opens a file for reading headers: `O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY`, so a
  /// FIFO or a terminal never blocks. Returns the descriptor or -errno.
  static func openForHeaders(_ path: String) -> Int32 {
    while true {
      let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
      if fd >= 0 { return fd }
      if errno != EINTR { return -errno }
    }
  }

  static func pread(_ fd: Int32, offset: UInt64, count: Int) throws(ELFError) -> [UInt8] {
    guard count > 0, offset <= UInt64(Int64.max) else { return [] }
    var buffer = [UInt8](repeating: 0, count: count)
    var filled = 0
    while filled < count {
      let n = buffer.withUnsafeMutableBytes { raw in
        Glibc.pread(fd, raw.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled))
      }
      if n == 0 { break }
      if n < 0 {
        if errno == EINTR { continue }
        throw ELFError(.system(errno))
      }
      filled += n
    }
    buffer.removeSubrange(filled...)
    return buffer
  }
}
