/// Parses `/proc/PID/cmdline` and `/proc/PID/comm`.
public enum CommandLineParser {
  /// Splits at NULs; a final NUL does not make an empty last argument. A process that rewrote
  /// its arguments without NULs gives one element.
  public static func arguments(_ bytes: [UInt8]) -> [PathBytes] {
    var text = bytes[...]
    if text.last == Byte.nul { text = text.dropLast() }
    if text.isEmpty { return [] }
    return text.split(separator: Byte.nul, omittingEmptySubsequences: false).map {
      PathBytes(Array($0))
    }
  }

  /// `comm` without its newline.
  public static func comm(_ bytes: [UInt8]) -> PathBytes {
    PathBytes(bytes.last == Byte.newline ? Array(bytes.dropLast()) : bytes)
  }
}
