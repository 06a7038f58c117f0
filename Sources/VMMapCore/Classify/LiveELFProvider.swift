import Glibc

/// Headers of the files a live process actually maps, through `/proc/PID/map_files/START-END`,
/// falling back to the path in maps (then the label is inferred).
public struct LiveELFProvider: ELFProvider {
  public let pid: Int32
  public let cache: ELFHeaderCache
  public let executableIdentity: FileIdentity?

  public init(pid: Int32, cache: ELFHeaderCache = ELFHeaderCache()) {
    self.pid = pid
    self.cache = cache
    var st = stat()
    executableIdentity =
      stat("/proc/\(pid)/exe", &st) == 0
      ? FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)) : nil
  }

  public func headers(for region: Region) -> ELFLookup? {
    guard region.mapping.inode != 0, let path = region.filePath else { return nil }
    let key = FileIdentity(mapping: region.mapping)
    return cache.lookup(key) {
      let mapFiles =
        "/proc/\(pid)/map_files/\(String(region.start, radix: 16))-\(String(region.end, radix: 16))"
      var fd = ELFFile.openForHeaders(mapFiles)
      var source = mapFiles
      var certainty = Certainty.observed
      if fd < 0 {
        // map_files needs CAP_SYS_ADMIN; the path may now name another file.
        guard !region.isDeleted else { return nil }
        fd = ELFFile.openForHeaders(path.string)
        source = "path \(path.string) (map_files unreadable: errno \(-fd))"
        certainty = .inferred
        if fd < 0 {
          return ELFLookup(
            result: .failure(ELFError(.system(-fd))), source: source, certainty: .inferred,
            identity: nil)
        }
      }
      defer { close(fd) }
      var st = stat()
      let identity =
        fstat(fd, &st) == 0
        ? FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)) : nil
      let result = Result { () throws(ELFError) in try ELFFile(descriptor: fd) }
      return ELFLookup(result: result, source: source, certainty: certainty, identity: identity)
    }
  }
}
