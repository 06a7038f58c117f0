import VMMapCore

/// ANSI styling for the terminal, on only when asked (`--color`, a TTY, no `NO_COLOR`).
public struct TextStyle: Sendable {
  public var enabled: Bool
  public init(enabled: Bool) { self.enabled = enabled }

  public func bold(_ s: String) -> String { wrap(s, "1") }
  public func dim(_ s: String) -> String { wrap(s, "2") }
  public func red(_ s: String) -> String { wrap(s, "31") }
  public func yellow(_ s: String) -> String { wrap(s, "33") }
  public func green(_ s: String) -> String { wrap(s, "32") }
  public func cyan(_ s: String) -> String { wrap(s, "36") }

  private func wrap(_ s: String, _ code: String) -> String {
    enabled ? "\u{1b}[\(code)m\(s)\u{1b}[0m" : s
  }
}

/// Column helpers: width in characters (names are escaped first, so no control characters).
func padRight(_ s: String, _ width: Int) -> String {
  let n = s.count
  return n >= width ? s : s + String(repeating: " ", count: width - n)
}

func padLeft(_ s: String, _ width: Int) -> String {
  let n = s.count
  return n >= width ? s : String(repeating: " ", count: width - n) + s
}
