import VMMapCore

/// The process that holds one region of every kind (`vmmap __specimen`).
public enum Specimen {
  /// Creates the regions, prints where they are, then waits until killed. Never returns.
  public static func main(arguments: [String]) -> Never {
    fatalError("specimen: not built yet")
  }
}
