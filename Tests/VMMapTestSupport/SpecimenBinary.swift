import VMExperiments

extension SpecimenProcess {
  /// `<repo>/.build/debug/vmmap`, from this file's path.
  public static var binary: String {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/VMMapTestSupport/SpecimenBinary.swift
    return parts.joined(separator: "/") + "/.build/debug/vmmap"
  }

  /// The specimen of the debug build the tests run.
  public convenience init() throws {
    try self.init(executable: Self.binary)
  }
}
