#if canImport(Glibc)
  import Glibc
#endif

/// Reads a saved copy of `/proc/PID/maps` (`--maps-file`). An smaps file passed here is noticed
/// (its second line is a `Name:` field) and read as smaps.
public func readMemoryMap(mapsFile path: String) throws(VMMapError) -> MemoryMap {
  try SavedMapFile.read(path: path, expected: .maps)
}

/// Reads a saved copy of `/proc/PID/smaps` (`--smaps-file`). A maps file passed here is
/// noticed (no `Name:` field after the first line) and read as maps, without counters.
public func readMemoryMap(smapsFile path: String) throws(VMMapError) -> MemoryMap {
  try SavedMapFile.read(path: path, expected: .smaps)
}

enum SavedMapFile {
  enum Format { case maps, smaps }

  static func read(path: String, expected: Format) throws(VMMapError) -> MemoryMap {
    let fd: CInt
    switch Syscall.openat(AT_FDCWD, path, O_RDONLY) {
    case .success(let f): fd = f
    case .failure(let e): throw fileError(e, path: path)
    }
    defer { close(fd) }
    var maps: MapsParser?
    var smaps: SmapsParser?
    var reader = ChunkedReader()
    reader.pipelined = false
    let mapError = { (e: Errno) in fileError(e, path: path) }
    try reader.read(fd: fd, mapError: mapError) { (chunk) throws(VMMapError) in
      if maps == nil, smaps == nil {
        if (detect(chunk) ?? expected) == .smaps {
          smaps = SmapsParser(source: path)
        } else {
          maps = MapsParser(source: path)
        }
      }
      try maps?.feed(chunk)
      try smaps?.feed(chunk)
    }
    if var s = smaps {
      return MemoryMap(source: .file(path: path), regions: try s.finish(), hasCounters: true)
    }
    var m = maps ?? MapsParser(source: path)
    return MemoryMap(
      source: .file(path: path), regions: try m.finish().map { Region(mapping: $0) },
      hasCounters: false)
  }

  /// smaps when the second line is a `Name:` field, maps when it is another mapping; nil when
  /// the chunk has no second line.
  static func detect(_ chunk: UnsafeRawBufferPointer) -> Format? {
    guard let nl = chunk.firstIndex(of: Byte.newline), nl + 1 < chunk.count else { return nil }
    var i = nl + 1
    let hexStart = i
    while i < chunk.count, Byte.hexValue(chunk[i]) != nil { i += 1 }
    if i > hexStart, i < chunk.count, chunk[i] == Byte.hyphen { return .maps }
    while i < chunk.count, chunk[i] > 0x20, chunk[i] != Byte.colon { i += 1 }
    return i > hexStart && i < chunk.count && chunk[i] == Byte.colon ? .smaps : .maps
  }

  static func fileError(_ e: Errno, path: String) -> VMMapError {
    switch e.rawValue {
    case ENOENT:
      return VMMapError(
        .noInput, what: path, why: "no such file", fix: "check the path", errno: e.rawValue)
    case ENOTDIR:
      return VMMapError(
        .noInput, what: path, why: "a component of the path is not a directory",
        errno: e.rawValue)
    case EISDIR:
      return VMMapError(
        .noInput, what: path, why: "is a directory",
        fix: "pass a saved copy of /proc/PID/maps or smaps", errno: e.rawValue)
    case EACCES, EPERM:
      return VMMapError(
        .permissionDenied, what: path, why: "permission denied",
        fix: "check the file's permissions (ls -l)", errno: e.rawValue)
    default:
      return VMMapError(.ioError, what: path, why: e.description, errno: e.rawValue)
    }
  }
}
