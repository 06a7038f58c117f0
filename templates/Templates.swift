/// The Markdown templates, embedded at build time by `Plugins/EmbedTemplates` from the
/// `*.mustache` files beside this one. Keys are file names without `.mustache`
/// (`map.md.mustache` is `map.md`).
public enum TemplateSources {
  public static var all: [String: String] { EmbeddedTemplates.all }
}
