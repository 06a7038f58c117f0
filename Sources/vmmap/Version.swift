import VMReport

/// The version vmmap reports (`vmmap --version`).
enum VMMapVersion {
  static let number = "0.1.0"
  static var description: String {
    "vmmap \(number) (cmark \(LibraryVersions.cmark), libxml2 \(LibraryVersions.libxml2))"
  }
}
