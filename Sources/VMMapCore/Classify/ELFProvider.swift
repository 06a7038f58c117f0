/// Where the classifier gets the ELF headers of a mapped file.
///
/// The classifier does not care how the map was read; a provider decides which file stands
/// for a region (the file actually mapped, through `/proc/PID/map_files`, or the path from
/// the maps text) and how sure that makes the label.
public protocol ELFProvider {
  /// The headers of the file mapped by `region`, or nil when the provider has no file for it.
  func headers(for region: Region) -> ELFLookup?
  /// The identity of the process's executable (`stat /proc/PID/exe`), when known.
  var executableIdentity: FileIdentity? { get }
}

/// The answer of an `ELFProvider` for one region.
public struct ELFLookup: Sendable {
  /// The parsed headers, or why they could not be read.
  public var result: Result<ELFFile, ELFError>
  /// Where the bytes came from, for evidence (`/proc/42/map_files/7f…-7f…`, a path).
  public var source: String
  /// `.observed` for the file actually mapped, `.inferred` for a path that may name another file.
  public var certainty: Certainty
  /// `st_dev`/`st_ino` of the file read, when it was opened.
  public var identity: FileIdentity?

  public init(
    result: Result<ELFFile, ELFError>, source: String, certainty: Certainty,
    identity: FileIdentity?
  ) {
    self.result = result
    self.source = source
    self.certainty = certainty
    self.identity = identity
  }

  public var file: ELFFile? { try? result.get() }
}

/// A provider that has no files: classification from maps alone (all ELF labels inferred).
public struct NoELFProvider: ELFProvider {
  public init() {}
  public func headers(for region: Region) -> ELFLookup? { nil }
  public var executableIdentity: FileIdentity? { nil }
}
