/// A file's identity: device and inode, as `stat` gives them (`st_dev`, `st_ino`).
public struct FileIdentity: Hashable, Sendable, CustomStringConvertible {
  public var device: UInt64
  public var inode: UInt64

  public init(device: UInt64, inode: UInt64) {
    self.device = device
    self.inode = inode
  }

  /// The identity of a maps line: `major:minor` and inode, combined as glibc's `makedev` does.
  public init(mapping: Mapping) {
    let major = UInt64(mapping.deviceMajor)
    let minor = UInt64(mapping.deviceMinor)
    device =
      (major & 0xffff_f000) << 32 | (major & 0xfff) << 8 | (minor & 0xffff_ff00) << 12
      | (minor & 0xff)
    inode = mapping.inode
  }

  public var description: String {
    let major = (device >> 8) & 0xfff | (device >> 32) & ~0xfff
    let minor = device & 0xff | (device >> 12) & ~0xff
    return "device \(String(major, radix: 16)):\(String(minor, radix: 16)) inode \(inode)"
  }
}
