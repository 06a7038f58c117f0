/// Why the ELF headers of a file could not be read.
public struct ELFError: Error, Hashable, Sendable, CustomStringConvertible {
  /// What was wrong.
  public enum Reason: Hashable, Sendable {
    /// Opening, `fstat` or `pread` failed with this errno.
    case system(Int32)
    /// Not a regular file (a device, a FIFO …): never read as ELF.
    case notRegularFile
    /// Shorter than the 64-byte ELF64 header.
    case tooShort
    /// The first four bytes are not `\x7fELF`.
    case notELF
    /// ELF, but not 64-bit little-endian (`EI_CLASS`, `EI_DATA`).
    case unsupportedFormat
    /// A header field or table does not fit the file (`what` names it).
    case malformed(String)
  }

  public var reason: Reason

  public init(_ reason: Reason) { self.reason = reason }

  public var description: String {
    switch reason {
    case .system(let e): "cannot read the file (errno \(e))"
    case .notRegularFile: "not a regular file"
    case .tooShort: "shorter than an ELF64 header"
    case .notELF: "not an ELF file"
    case .unsupportedFormat: "not a 64-bit little-endian ELF file"
    case .malformed(let what): "malformed ELF: \(what)"
    }
  }
}
