import ArgumentParser
import VMMapCore
import VMReport

/// The formats `compare` writes.
enum CompareFormat: String, ExpressibleByArgument, CaseIterable {
  case text, md, html, json
}

/// `vmmap compare A B`: two reports, or two process maps, and what changed between them.
struct CompareCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compare",
    abstract: "Compare two reports, or two process maps: what changed, by how much.",
    usage:
      "vmmap compare <a> <b> [--format <format>] [-o <path>] [--fail-on-change] [--threshold <metric=limit> …]",
    discussion: """
      A and B are two reports (vmmap report --json), or two maps: saved maps or smaps files, map JSON (vmmap --map PID --json), or a live process written pid:1234. Regions are matched by what they are (file and ELF segment, or kind of anonymous memory), never by address.

      Exit status: 0 whatever differs; with --fail-on-change, 1 when a --threshold is crossed (or, without thresholds, when anything differs).

      Threshold metrics: \(Threshold.metrics.keys.sorted().joined(separator: ", ")). A limit is a percentage of A's value (rss=10%) or an amount (rss=4M, faults=100).

      Examples:
        vmmap compare kernel-a.json kernel-b.json --format md -o compare.md
        vmmap compare before.smaps pid:1234
        vmmap compare a.json b.json --fail-on-change --threshold rss=10% --threshold faults=2%
      """)

  @Argument(help: ArgumentHelp("The first (older) report or map.", valueName: "a"))
  var a: String

  @Argument(help: ArgumentHelp("The second (newer) report or map.", valueName: "b"))
  var b: String

  @Option(help: ArgumentHelp("text (default), md, html or json.", valueName: "format"))
  var format: CompareFormat?

  @Flag(help: "Same as --format json.")
  var json = false

  @Option(
    name: .shortAndLong,
    help: ArgumentHelp(
      "Write here (atomically); - is standard output (the default).", valueName: "path"))
  var output: String?

  @Option(
    help: ArgumentHelp(
      "Render with the templates in this directory instead of the built-in ones.", valueName: "dir")
  )
  var templates: String?

  @Flag(help: "Exit 1 when a threshold is crossed (or, without thresholds, when anything differs).")
  var failOnChange = false

  @Option(
    name: .customLong("threshold"),
    help: ArgumentHelp(
      "METRIC=LIMIT, e.g. rss=10% or faults=100 (repeatable).", valueName: "metric=limit"))
  var thresholds: [String] = []

  func validate() throws {
    if json, let format, format != .json {
      throw ValidationError("--json contradicts --format \(format)")
    }
  }

  var effectiveFormat: CompareFormat {
    if json { return .json }
    if let format { return format }
    if let output, let byName = DocumentFormat(extensionOf: output) {
      switch byName {
      case .html: return .html
      case .md: return .md
      case .json: return .json
      }
    }
    return .text
  }

  func run() throws {
    let limits = try thresholds.map { (t) throws(VMMapError) in try Threshold(parsing: t) }
    let templateSources = try templates.map(ReportTemplates.load(directory:))
    // Both inputs are read before anything is written: bad input leaves no partial output.
    let left = try CompareInput.load(a)
    let right = try CompareInput.load(b)
    let comparison = try Comparison.compare(left, right, thresholds: limits)
    let path = output ?? "-"
    let writer = DocumentWriter(options: try DocumentOptions.parse([]))
    switch effectiveFormat {
    case .text:
      try writer.emit(Array(ComparisonTextRenderer().render(comparison).utf8), to: path)
    case .json:
      try writer.emit(try ComparisonRenderer.json(comparison), to: path)
    case .html:
      try writer.emit(
        try ComparisonRenderer(templates: templateSources).html(
          comparison, generator: VMMapVersion.description),
        to: path)
    case .md:
      try ComparisonRenderer(templates: templateSources).markdown(comparison).write(
        markdownTo: path)
    }
    guard failOnChange else { return }
    if limits.isEmpty {
      if comparison.differences > 0 {
        throw VMMapError(
          .checkFailed, what: "compare",
          why: "\(comparison.differences) difference\(comparison.differences == 1 ? "" : "s")",
          fix: "--fail-on-change without --threshold fails on any difference")
      }
      return
    }
    let crossed = comparison.thresholds.filter(\.crossed)
    if !crossed.isEmpty {
      let first = crossed.flatMap(\.crossings)
      throw VMMapError(
        .checkFailed, what: "compare",
        why: crossed.map(\.threshold).joined(separator: ", ") + " crossed: "
          + first.prefix(3).joined(separator: "; ")
          + (first.count > 3 ? "; and \(first.count - 3) more" : ""),
        fix: "see the THRESHOLDS section for every crossing")
    }
  }
}
