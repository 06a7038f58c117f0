/// One region of a memory map: the maps line, its smaps counters when read, and what vmmap
/// concluded about it.
public struct Region: Hashable, Sendable {
  public var mapping: Mapping
  /// The smaps entry (nil when only maps was read).
  public var counters: SmapsCounters?
  /// Set by `Classifier`.
  public var classification: Classification
  /// For live processes: the name as `/proc/PID/map_files` resolves it (unambiguous), and whether
  /// the mapped file has been deleted (`st_nlink == 0`). Nil when not resolved.
  public var resolved: ResolvedFile?

  public init(
    mapping: Mapping, counters: SmapsCounters? = nil,
    classification: Classification = Classification(), resolved: ResolvedFile? = nil
  ) {
    self.mapping = mapping
    self.counters = counters
    self.classification = classification
    self.resolved = resolved
  }

  public var start: UInt64 { mapping.start }
  public var end: UInt64 { mapping.end }
  public var size: UInt64 { mapping.size }
  public var permissions: Permissions { mapping.permissions }

  /// The file path: resolved through map_files when available, else from the maps text.
  public var filePath: PathBytes? { resolved?.path ?? mapping.name.filePath }

  /// Deleted: from `st_nlink` when resolved, else from the `" (deleted)"` suffix.
  public var isDeleted: Bool { resolved?.deleted ?? mapping.name.isDeletedFile }
}

/// A mapped file as `/proc/PID/map_files/START-END` shows it.
public struct ResolvedFile: Hashable, Sendable {
  public var path: PathBytes
  public var deleted: Bool
  public var device: UInt64
  public var inode: UInt64
  public init(path: PathBytes, deleted: Bool, device: UInt64, inode: UInt64) {
    self.path = path
    self.deleted = deleted
    self.device = device
    self.inode = inode
  }
}
