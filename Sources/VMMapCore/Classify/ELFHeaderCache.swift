import Synchronization

/// Parsed headers per file identity, so a map with many regions of one file reads it once.
public final class ELFHeaderCache: Sendable {
  private let entries = Mutex<[FileIdentity: ELFLookup]>([:])

  public init() {}

  /// The cached lookup for `key`, or the result of `load` (stored when it is not nil).
  public func lookup(_ key: FileIdentity, load: () -> ELFLookup?) -> ELFLookup? {
    if let hit = entries.withLock({ $0[key] }) { return hit }
    guard let loaded = load() else { return nil }
    entries.withLock { $0[key] = loaded }
    return loaded
  }

  /// How many files were read (for tests).
  public var count: Int { entries.withLock { $0.count } }
}
