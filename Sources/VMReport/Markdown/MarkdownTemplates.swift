import Mustache
import VMMapCore
import VMMapTemplates

/// The Markdown templates and their rendering: Mustache with HTML escaping turned off, because
/// values reach a Markdown template already escaped for Markdown (`MarkdownEscape`).
public enum MarkdownTemplates {
  /// Turns off Mustache's HTML escaping for the template it starts (inline, so it adds no line).
  /// The templates embedded from templates/ at build time, keyed by name (`map.md`).
  public static var embedded: [String: String] { TemplateSources.all }

  static let textPragma = "{{% CONTENT_TYPE:TEXT}}"

  /// Renders template `name` (`map.md`) of `sources` (default: the embedded templates).
  static func render(
    _ name: String, _ context: [String: Any], sources: [String: String] = TemplateSources.all
  ) throws(VMMapError) -> String {
    var library = MustacheLibrary()
    for (templateName, text) in sources.sorted(by: { $0.key < $1.key }) {
      do {
        try library.register(
          templateName.hasSuffix(".md") ? textPragma + text : text, named: templateName)
      } catch {
        throw VMMapError(
          .internalError, what: "template \(templateName)", why: "\(error)",
          fix: "fix the template's Mustache syntax")
      }
    }
    guard let text = library.render(context, withTemplate: name) else {
      throw VMMapError(
        .internalError, what: "template \(name)", why: "no such template",
        fix: "rebuild vmmap: templates/ should hold \(name).mustache")
    }
    return text
  }
}
