import Glibc

/// Reads pagemap entries of one process and the flags and map counts of their frames.
///
/// Frames are visible only with `CAP_SYS_ADMIN`; without it pagemap still gives the present and
/// swapped bits but a frame number of 0, and `/proc/kpageflags` cannot be opened. Both cases
/// are reported as "unavailable", never as frame 0.
public final class PagemapReader {
  public let pid: Int32
  private let pagemap: Int32
  private let kpageflags: Int32
  private let kpagecount: Int32
  public let pageSize: UInt64

  /// Opens `/proc/PID/pagemap` (and the kpage files when readable).
  public init(pid: Int32) throws(VMMapError) {
    self.pid = pid
    self.pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))
    pagemap = try Self.openPagemap(pid: pid)
    kpageflags = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC)
    kpagecount = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC)
  }

  /// Opens `/proc/PID/pagemap`, with the errors people can act on.
  static func openPagemap(pid: Int32) throws(VMMapError) -> Int32 {
    let path = "/proc/\(pid)/pagemap"
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 {
      let e = errno
      switch e {
      case ENOENT, ESRCH:
        throw VMMapError(
          .noInput, what: path, why: "no process with PID \(pid)",
          fix: "check the PID with ps -p \(pid)", errno: e)
      case EACCES, EPERM:
        throw VMMapError(
          .permissionDenied, what: path, why: "permission denied",
          fix: "pagemap needs ptrace read access to the process: the same user or CAP_SYS_PTRACE",
          errno: e)
      default:
        throw VMMapError(.ioError, what: path, why: String(cString: strerror(e)), errno: e)
      }
    }
    return fd
  }

  deinit {
    close(pagemap)
    if kpageflags >= 0 { close(kpageflags) }
    if kpagecount >= 0 { close(kpagecount) }
  }

  /// True when `/proc/kpageflags` and `/proc/kpagecount` could be opened (root with CAP_SYS_ADMIN).
  public var canReadFrames: Bool { kpageflags >= 0 && kpagecount >= 0 }

  /// The pagemap entries of `count` pages starting at the page that holds `address`.
  public func entries(at address: UInt64, count: Int) throws(VMMapError) -> [PagemapEntry] {
    let first = address / pageSize
    var raw = [UInt64](repeating: 0, count: count)
    let wanted = count * 8
    let got = raw.withUnsafeMutableBytes { buffer in
      Self.preadFully(pagemap, buffer, offset: first * 8)
    }
    guard got >= 0 else {
      throw VMMapError(
        .ioError, what: "/proc/\(pid)/pagemap", why: String(cString: strerror(Int32(-got))),
        errno: Int32(-got))
    }
    // A short read means the range ends past the top of the user address space.
    return raw.prefix(got / 8).map(PagemapEntry.init(rawValue:))
      + [PagemapEntry](repeating: PagemapEntry(rawValue: 0), count: (wanted - got) / 8)
  }

  /// Everything known of the page holding `address`.
  public func page(at address: UInt64) throws(VMMapError) -> PageInfo {
    let entry = try entries(at: address, count: 1)[0]
    var flags: PageFlags?
    var count: UInt64?
    if let pfn = entry.frameNumber, canReadFrames {
      flags = read64(kpageflags, index: pfn).map(PageFlags.init(rawValue:))
      count = read64(kpagecount, index: pfn)
    }
    return PageInfo(
      address: address & ~(pageSize - 1), entry: entry, flags: flags, mapCount: count)
  }

  /// The kpageflags of frame `frame`; nil when `/proc/kpageflags` is not readable.
  public func flags(ofFrame frame: UInt64) -> PageFlags? {
    guard kpageflags >= 0 else { return nil }
    return read64(kpageflags, index: frame).map(PageFlags.init(rawValue:))
  }

  private func read64(_ fd: Int32, index: UInt64) -> UInt64? {
    var value: UInt64 = 0
    let n = withUnsafeMutableBytes(of: &value) { Self.preadFully(fd, $0, offset: index * 8) }
    return n == 8 ? value : nil
  }

  /// pread until `buffer` is full or end of file; bytes read, or -errno.
  static func preadFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, offset: UInt64)
    -> Int
  {
    var done = 0
    while done < buffer.count {
      let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + done)
      if n > 0 {
        done += n
      } else if n == 0 {
        break
      } else if errno != EINTR {
        return done > 0 ? done : -Int(errno)
      }
    }
    return done
  }
}
