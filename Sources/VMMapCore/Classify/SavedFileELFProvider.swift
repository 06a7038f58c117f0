import Glibc

/// Headers for a saved maps file: the path from the maps text, opened on this machine when it
/// exists. The file may differ from the one that was mapped, so every label is inferred.
public struct SavedFileELFProvider: ELFProvider {
  public let cache: ELFHeaderCache
  public var executableIdentity: FileIdentity? { nil }

  public init(cache: ELFHeaderCache = ELFHeaderCache()) { self.cache = cache }

  public func headers(for region: Region) -> ELFLookup? {
    guard region.mapping.inode != 0, !region.isDeleted, let path = region.filePath else {
      return nil
    }
    return cache.lookup(FileIdentity(mapping: region.mapping)) {
      let fd = ELFFile.openForHeaders(path.string)
      guard fd >= 0 else { return nil }
      defer { close(fd) }
      var st = stat()
      let identity =
        fstat(fd, &st) == 0
        ? FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)) : nil
      var source = "path \(path.string) on this machine"
      if let identity, identity.inode != region.mapping.inode {
        source += " (inode \(identity.inode), maps said \(region.mapping.inode): may differ)"
      }
      let result = Result { () throws(ELFError) in try ELFFile(descriptor: fd) }
      return ELFLookup(result: result, source: source, certainty: .inferred, identity: identity)
    }
  }
}
