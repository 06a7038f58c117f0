#if canImport(Glibc)
  import Glibc
#endif

/// Finds the true name of each file-backed region of a live process through
/// `/proc/PID/map_files/START-END` (readlink), and whether the file is deleted (`st_nlink == 0`).
///
/// The maps text is ambiguous (`\012` and a newline print alike; a live file may be named
/// `x (deleted)`); map_files is not. Reading it needs `CAP_SYS_ADMIN` for another process: when
/// refused, regions keep `resolved == nil`. Each distinct (device, inode, printed name) is
/// resolved once, so a file mapped in 60,000 pieces costs one readlink.
public struct MapFilesResolver {
  let reader: ProcessReader

  /// What happened: how many regions were resolved and whether access was refused.
  public struct Outcome: Hashable, Sendable {
    public var resolved: Int
    public var lookups: Int
    public var permissionDenied: Bool
  }

  init(reader: ProcessReader) { self.reader = reader }

  private struct Key: Hashable {
    var major: UInt32
    var minor: UInt32
    var inode: UInt64
    var rawName: PathBytes
  }

  /// Sets `resolved` on every file-backed region that map_files resolves.
  @discardableResult
  public func resolve(_ regions: inout [Region]) -> Outcome {
    var outcome = Outcome(resolved: 0, lookups: 0, permissionDenied: false)
    var cache: [Key: ResolvedFile?] = [:]
    for i in regions.indices {
      let m = regions[i].mapping
      guard m.inode != 0 || m.rawName.bytes.first == UInt8(ascii: "/") else { continue }
      let key = Key(major: m.deviceMajor, minor: m.deviceMinor, inode: m.inode, rawName: m.rawName)
      let file: ResolvedFile?
      if let cached = cache[key] {
        file = cached
      } else {
        outcome.lookups += 1
        switch lookUp(m) {
        case .success(let f):
          file = f
          cache[key] = f
        case .failure(let e):
          if e.isPermission {
            outcome.permissionDenied = true
            return outcome
          }
          file = nil  // the region changed since maps was read: leave it unresolved
        }
      }
      if let file {
        regions[i].resolved = file
        outcome.resolved += 1
      }
    }
    return outcome
  }

  private func lookUp(_ m: Mapping) -> Result<ResolvedFile, Errno> {
    let name = "map_files/\(String(m.start, radix: 16))-\(String(m.end, radix: 16))"
    let link: [UInt8]
    switch Syscall.readlinkat(reader.procDir, name) {
    case .success(let bytes): link = bytes
    case .failure(let e): return .failure(e)
    }
    var st = stat()
    if fstatat(reader.procDir, name, &st, 0) != 0 { return .failure(Errno(errno)) }
    let deleted = st.st_nlink == 0
    var path = link
    let suffix = Array(" (deleted)".utf8)
    if deleted, path.count > suffix.count, Array(path.suffix(suffix.count)) == suffix {
      path.removeLast(suffix.count)
    }
    return .success(
      ResolvedFile(
        path: PathBytes(path), deleted: deleted, device: UInt64(st.st_dev), inode: UInt64(st.st_ino)
      ))
  }
}
