/// One line of `/proc/PID/maps`: a VMA as the kernel prints it.
public struct Mapping: Hashable, Sendable {
  /// First byte of the region.
  public var start: UInt64
  /// One past the last byte.
  public var end: UInt64
  public var permissions: Permissions
  /// File offset of `start` (for anonymous memory the kernel prints the page offset, `pgoff`).
  public var offset: UInt64
  public var deviceMajor: UInt32
  public var deviceMinor: UInt32
  public var inode: UInt64
  /// The pathname column exactly as printed, without the separating spaces and the newline.
  /// Escapes are kept: the kernel writes a newline in a name as `\012`.
  public var rawName: PathBytes

  public init(
    start: UInt64, end: UInt64, permissions: Permissions, offset: UInt64,
    deviceMajor: UInt32, deviceMinor: UInt32, inode: UInt64, rawName: PathBytes
  ) {
    self.start = start
    self.end = end
    self.permissions = permissions
    self.offset = offset
    self.deviceMajor = deviceMajor
    self.deviceMinor = deviceMinor
    self.inode = inode
    self.rawName = rawName
  }

  public var size: UInt64 { end - start }

  /// The name column, interpreted (pseudo names, paths, `(deleted)`, escapes).
  public var name: MappingName { MappingName(raw: rawName) }

  public func contains(_ address: UInt64) -> Bool { address >= start && address < end }
}
