import VMMapCore
import VMMapTemplates

/// The Markdown templates and their rendering: Mustache (`MustacheTemplate`) without HTML
/// escaping, because values reach a Markdown template already escaped for Markdown
/// (`MarkdownEscape`).
public enum MarkdownTemplates {
  /// The templates embedded from templates/ at build time, keyed by name (`map.md`).
  public static var embedded: [String: String] { TemplateSources.all }

  /// Renders template `name` (`map.md`) of `sources` (default: the embedded templates).
  static func render(
    _ name: String, _ context: [String: Any], sources: [String: String] = TemplateSources.all
  ) throws(VMMapError) -> String {
    guard let text = sources[name] else {
      throw VMMapError(
        .internalError, what: "template \(name)", why: "no such template",
        fix: "rebuild vmmap: templates/ should hold \(name).mustache")
    }
    do {
      return try MustacheTemplate(text).render(context)
    } catch {
      throw VMMapError(
        .internalError, what: "template \(name)", why: error.description,
        fix: "fix the template's Mustache syntax")
    }
  }
}
