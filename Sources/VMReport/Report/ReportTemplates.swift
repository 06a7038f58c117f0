import FoundationEssentials
import Glibc
import VMMapCore

/// `--templates DIR`: a user's copy of templates/ (every `NAME.mustache` becomes template
/// `NAME`); templates the directory lacks come from the built-in set.
public enum ReportTemplates {
  public static func load(directory: String) throws(VMMapError) -> [String: String] {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: directory)
    } catch {
      throw VMMapError(
        .noInput, what: "--templates \(directory)", why: "cannot list the directory",
        fix: "give a directory holding report.md.mustache (copy templates/)")
    }
    var sources = MarkdownTemplates.embedded
    var found = 0
    for name in names.sorted() where name.hasSuffix(".mustache") {
      let path = directory + "/" + name
      guard let data = FileManager.default.contents(atPath: path),
        let text = String(data: data, encoding: .utf8)
      else {
        throw VMMapError(
          .badData, what: path, why: "cannot read it as UTF-8 text", fix: "check the file")
      }
      sources[String(name.dropLast(".mustache".count))] = text
      found += 1
    }
    guard found > 0 else {
      throw VMMapError(
        .noInput, what: "--templates \(directory)", why: "no *.mustache file in it",
        fix: "copy templates/ and edit report.md.mustache")
    }
    return sources
  }
}
