/// The four permission characters of a maps line (`r-xp`).
public struct Permissions: Hashable, Sendable, CustomStringConvertible {
  public var read: Bool
  public var write: Bool
  public var execute: Bool
  /// `s` in the fourth column: MAP_SHARED. `p` (private) otherwise.
  public var shared: Bool

  public init(read: Bool, write: Bool, execute: Bool, shared: Bool) {
    self.read = read
    self.write = write
    self.execute = execute
    self.shared = shared
  }

  /// Parses exactly four bytes as the kernel prints them; nil for anything else.
  public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
    guard bytes.count == 4 else { return nil }
    var i = bytes.startIndex
    func take(_ yes: UInt8) -> Bool? {
      let b = bytes[i]
      i = bytes.index(after: i)
      if b == yes { return true }
      if b == UInt8(ascii: "-") { return false }
      return nil
    }
    guard let r = take(UInt8(ascii: "r")), let w = take(UInt8(ascii: "w")),
      let x = take(UInt8(ascii: "x"))
    else { return nil }
    switch bytes[i] {
    case UInt8(ascii: "s"): self.init(read: r, write: w, execute: x, shared: true)
    case UInt8(ascii: "p"): self.init(read: r, write: w, execute: x, shared: false)
    default: return nil
    }
  }

  public init?(_ text: String) { self.init(bytes: Array(text.utf8)) }

  /// No access at all (`---p`): a guard or a reservation.
  public var isNone: Bool { !read && !write && !execute }

  /// Writable and executable at once: flagged in every view.
  public var isWritableAndExecutable: Bool { write && execute }

  public var description: String {
    (read ? "r" : "-") + (write ? "w" : "-") + (execute ? "x" : "-") + (shared ? "s" : "p")
  }
}
