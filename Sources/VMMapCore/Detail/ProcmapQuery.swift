import CVMProbes
import Glibc

/// Single-address lookups with the `PROCMAP_QUERY` ioctl on `/proc/PID/maps` (Linux 6.11+),
/// which answers without the kernel formatting, or vmmap parsing, the whole maps file.
public final class ProcmapQuery {
  private let fd: Int32
  public let pid: Int32

  /// Opens `/proc/PID/maps`; nil when the kernel lacks the ioctl (ENOTTY/EINVAL on a probe).
  public init?(pid: Int32) {
    self.pid = pid
    fd = open("/proc/\(pid)/maps", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    var q = vmp_procmap_query()
    q.query_flags = UInt64(VMP_PROCMAP_QUERY_COVERING_OR_NEXT_VMA)
    q.query_addr = 0
    let rc = vmp_procmap_query(fd, &q)
    if rc != 0 && rc != -ENOENT {
      close(fd)
      return nil
    }
  }

  deinit { close(fd) }

  /// The first mapping that covers `address` or lies above it; nil when there is none.
  public func coveringOrNext(_ address: UInt64) throws(VMMapError) -> Mapping? {
    var name = [UInt8](repeating: 0, count: 4097)
    var q = vmp_procmap_query()
    q.query_flags = UInt64(VMP_PROCMAP_QUERY_COVERING_OR_NEXT_VMA)
    q.query_addr = address
    let rc = name.withUnsafeMutableBytes { buffer -> Int32 in
      q.vma_name_addr = UInt64(UInt(bitPattern: buffer.baseAddress))
      q.vma_name_size = UInt32(buffer.count)
      return vmp_procmap_query(fd, &q)
    }
    if rc == -ENOENT { return nil }
    guard rc == 0 else {
      let e = -rc
      if e == ESRCH {
        throw VMMapError(
          .exitedDuringRead, what: "process \(pid)", why: "exited while it was being read",
          fix: "run vmmap again", errno: e)
      }
      throw VMMapError(
        e == EACCES || e == EPERM ? .permissionDenied : .ioError,
        what: "PROCMAP_QUERY on /proc/\(pid)/maps", why: String(cString: strerror(e)), errno: e)
    }
    let length = q.vma_name_size > 0 ? Int(q.vma_name_size) - 1 : 0
    let flags = q.vma_flags
    let perms = Permissions(
      read: flags & UInt64(VMP_PROCMAP_QUERY_VMA_READABLE) != 0,
      write: flags & UInt64(VMP_PROCMAP_QUERY_VMA_WRITABLE) != 0,
      execute: flags & UInt64(VMP_PROCMAP_QUERY_VMA_EXECUTABLE) != 0,
      shared: flags & UInt64(VMP_PROCMAP_QUERY_VMA_SHARED) != 0)
    // The ioctl returns the raw name (a newline stays a newline; " (deleted)" is appended as in
    // maps). Re-escape the newline so that `rawName` means what it means for maps text.
    var raw: [UInt8] = []
    for b in name.prefix(length) {
      if b == UInt8(ascii: "\n") { raw += Array("\\012".utf8) } else { raw.append(b) }
    }
    return Mapping(
      start: q.vma_start, end: q.vma_end, permissions: perms, offset: q.vma_offset,
      deviceMajor: q.dev_major, deviceMinor: q.dev_minor, inode: q.inode, rawName: PathBytes(raw))
  }

  /// The mapping that holds `address` (if any), the one before it and the one after it.
  public func neighbourhood(of address: UInt64) throws(VMMapError) -> (
    previous: Mapping?, holding: Mapping?, next: Mapping?
  ) {
    let found = try coveringOrNext(address)
    let holding = found.flatMap { $0.start <= address ? $0 : nil }
    var next = found
    if let holding { next = try coveringOrNext(holding.end) }
    // The previous mapping is the last one starting below `bound`. The answer for a query
    // address q starts below `bound` exactly while q < previous.end: binary search for the
    // highest such q (each answer also proves every q up to its end - 1).
    let bound = holding?.start ?? address
    var previous: Mapping?
    if bound > 0, let first = try coveringOrNext(0), first.start < bound {
      previous = first
      var lo = first.end - 1
      var hi = bound
      while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2
        if let m = try coveringOrNext(mid), m.start < bound {
          previous = m
          lo = max(mid, m.end - 1)
        } else {
          hi = mid
        }
      }
    }
    return (previous, holding, next)
  }
}
