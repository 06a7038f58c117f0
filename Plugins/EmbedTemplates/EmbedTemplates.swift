import PackagePlugin

/// Embeds the target's `*.mustache` files as Swift string literals (`EmbeddedTemplates.all`), so
/// that the binary carries its templates and renders from any working directory.
///
/// Applied to the target whose directory holds the templates (`templates/`): SwiftPM re-plans
/// when that directory's file list changes, so added and deleted templates are picked up.
@main
struct EmbedTemplates: BuildToolPlugin {
  func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
    guard let target = target as? SourceModuleTarget else { return [] }
    let inputs = target.sourceFiles(withSuffix: "mustache").map(\.url)
      .sorted { $0.path < $1.path }
    let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedTemplates.swift")
    return [
      .buildCommand(
        displayName: "Embedding \(inputs.count) templates into \(target.name)",
        executable: try context.tool(named: "EmbedTemplatesTool").url,
        arguments: [output.path] + inputs.map(\.path),
        inputFiles: inputs,
        outputFiles: [output])
    ]
  }
}
