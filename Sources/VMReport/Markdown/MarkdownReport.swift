import Glibc
import VMMapCore

/// A rendered Markdown report: the `.md` text and the SVG files its figure links point to.
public struct MarkdownReport: Hashable, Sendable {
  /// One figure file: `NAME.svg` and its bytes (an XML declaration and the checked `<svg>`).
  public struct FigureFile: Hashable, Sendable {
    public var fileName: String
    public var svg: [UInt8]
  }

  public var markdown: [UInt8]
  public var figures: [FigureFile]
  /// Where the links point, as `MarkdownReportRenderer.figureDirectory`.
  public var figureDirectory: String

  /// Writes the report: every figure first (each atomically, into `figureDirectory` relative to
  /// the Markdown file's directory, created if missing), the Markdown last, so a reader never
  /// finds a new `.md` whose figures are not there yet. `path` nil or `-`: the Markdown goes to
  /// standard output and `figureDirectory` is relative to the current directory.
  public func write(markdownTo path: String?) throws(VMMapError) {
    let toStandardOutput = path == nil || path == "-"
    var directory = figureDirectory
    if !toStandardOutput, let path, !figureDirectory.hasPrefix("/"),
      let slash = path.lastIndex(of: "/")
    {
      let parent = slash == path.startIndex ? "/" : String(path[..<slash]) + "/"
      directory = parent + figureDirectory
    }
    if directory.isEmpty { directory = "." }
    if !figures.isEmpty { try Self.makeDirectory(directory) }
    for figure in figures {
      try AtomicFile.write(figure.svg, to: directory + "/" + figure.fileName)
    }
    if toStandardOutput {
      try writeStandardOutput(markdown)
    } else if let path {
      try AtomicFile.write(markdown, to: path)
    }
  }

  /// `mkdir -p`: each missing component created 0777 less the umask.
  static func makeDirectory(_ path: String) throws(VMMapError) {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
      prefix += component
      if mkdir(prefix, 0o777) != 0 && errno != EEXIST {
        let e = errno
        throw VMMapError(
          .cannotCreate, what: path,
          why: "cannot create the directory \(prefix): \(String(cString: strerror(e)))",
          fix: "check that its parent exists and is writable", errno: e)
      }
      prefix += "/"
    }
    var status = stat()
    guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
      throw VMMapError(
        .cannotCreate, what: path, why: "it exists and is not a directory",
        fix: "choose another directory for the figures")
    }
  }
}
