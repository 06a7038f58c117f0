import VMReport

/// The version vmmap reports (`vmmap --version`).
enum VMMapVersion {
  /// The release; `Scripts/dist` names the tarball after it.
  static let number = "0.1.0"
  /// The commit the binary was built from (`Plugins/BuildInfo`), "unknown" outside a clone.
  static var commit: String { BuildCommit.id }
  static var description: String {
    """
    vmmap \(number) (commit \(commit))
    cmark \(LibraryVersions.cmark), libxml2 \(LibraryVersions.libxml2)
    """
  }
}
