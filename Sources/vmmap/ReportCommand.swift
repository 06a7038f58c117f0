import ArgumentParser
import FoundationEssentials
import Glibc
import VMMapCore
import VMReport

/// The formats a report document comes in.
enum DocumentFormat: String, ExpressibleByArgument, CaseIterable {
  case html, md, json

  /// From `-o PATH`'s extension, or nil.
  init?(extensionOf path: String) {
    let lower = path.lowercased()
    if lower.hasSuffix(".html") || lower.hasSuffix(".htm") {
      self = .html
    } else if lower.hasSuffix(".md") || lower.hasSuffix(".markdown") {
      self = .md
    } else if lower.hasSuffix(".json") {
      self = .json
    } else {
      return nil
    }
  }
}

/// Options `report` and `render` share: the format, the output path, the templates.
struct DocumentOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "html (default), md (Markdown with SVG files beside it) or json (the model).",
      valueName: "format"))
  var format: DocumentFormat?

  @Flag(help: "Same as --format json.")
  var json = false

  @Option(
    name: .shortAndLong,
    help: ArgumentHelp(
      "Write here (atomically); - is standard output. Default: output/<host>-<kernel>.<ext>.",
      valueName: "path"),
    completion: .file())
  var output: String?

  @Option(
    help: ArgumentHelp(
      "Render with the templates in this directory (a copy of templates/) instead of the built-in ones.",
      valueName: "dir"),
    completion: .directory)
  var templates: String?

  @Option(
    help: ArgumentHelp(
      "With --format md and -o -: where the SVG figures go (default output/figures).",
      valueName: "dir"),
    completion: .directory)
  var figures: String?

  func validate() throws {
    if json && format != nil && format != .json {
      throw ValidationError("--json contradicts --format \(format!)")
    }
    if let output, output != "-", let byName = DocumentFormat(extensionOf: output),
      let format, format != byName
    {
      throw ValidationError("-o \(output) says \(byName), --format says \(format)")
    }
  }

  var effectiveFormat: DocumentFormat {
    if json { return .json }
    if let format { return format }
    if let output, let byName = DocumentFormat(extensionOf: output) { return byName }
    return .html
  }

  /// `-o`, or the default path under output/ for `stem`.
  func path(stem: String) -> String {
    output ?? "output/\(stem).\(effectiveFormat.rawValue)"
  }
}

/// `vmmap report`: the handout of this machine (or a process), as HTML, Markdown or JSON.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Measure this machine's virtual memory and write a handout (HTML, Markdown, JSON).",
    usage:
      "vmmap report [--pid <pid>] [--no-experiments] [--redact] [--strict] [--format <format>] [-o <path>] [--templates <dir>]",
    discussion: """
      Runs every experiment (demand paging, each fault type, copy-on-write) and a snapshot of the specimen process in sandboxed children, then renders the handout.

      Examples:
        vmmap report                                  output/<host>-<kernel>.html
        vmmap report --format md -o handout.md        Markdown, SVG figures beside it
        vmmap report --pid 1234 --no-experiments --redact -o ticket.html
        vmmap report --json -o run.json && vmmap render run.json --format md
      """)

  @OptionGroup var document: DocumentOptions

  @Option(
    help: ArgumentHelp("Add a snapshot of this process.", valueName: "pid"),
    completion: Completions.pids)
  var pid: String?

  @Flag(help: "Leave the experiments out (a bug ticket: one process, small and fast).")
  var noExperiments = false

  @Flag(
    help:
      "Replace the hostname, user names, home paths and command-line arguments with placeholders."
  )
  var redact = false

  @Flag(help: "Exit 70 when a step failed (for CI); without it a failed step only warns.")
  var strict = false

  func validate() throws {
    if noExperiments && pid == nil {
      throw ValidationError("--no-experiments leaves nothing to report: add --pid PID")
    }
  }

  func run() throws {
    let pid = try self.pid.map(parsePID)
    if let pid {
      // Fail now, with the reader's message, rather than as a failed step: the report is
      // about this process.
      let reader = try ProcessReader(pid: pid)
      try reader.checkUserProcess(try reader.readStat())
    }
    let collector = ReportCollector(
      options: Report.Options(experiments: !noExperiments, redacted: redact, pid: pid),
      generator: Report.Generator(
        vmmap: VMMapVersion.description, cmark: LibraryVersions.cmark,
        libxml2: LibraryVersions.libxml2))
    var report = collector.collect()
    if redact { report = try Redactor.forThisMachine().redact(report) }
    let failures = report.failures
    for f in failures {
      let line = "vmmap: warning: " + TerminalEscape.escape(f) + " (recorded in the report)\n"
      _ = line.withCString { write(2, $0, strlen($0)) }
    }
    try DocumentWriter(options: document).write(report)
    if strict && !failures.isEmpty { throw ExitCode(70) }
  }
}

/// `vmmap render REPORT.json`: a saved report model rendered again, nothing re-run.
struct RenderCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "render",
    abstract:
      "Render a saved report (vmmap report --json) as HTML or Markdown without re-running it.",
    usage:
      "vmmap render <report.json> [--format <format>] [-o <path>] [--templates <dir>] [--figures <dir>]"
  )

  @Argument(
    help: ArgumentHelp(
      "The report model (JSON), or a watch timeline (vmmap watch -o).", valueName: "report.json"),
    completion: .file(extensions: ["json"]))
  var input: String

  @OptionGroup var document: DocumentOptions

  func run() throws {
    // A watch timeline (vmmap watch -o) is told apart by its top-level `watch` field.
    if let timeline = try TimelineDocument.readIfTimeline(path: input) {
      try TimelineDocument(options: document).write(timeline)
      return
    }
    let report = try ReportFile.read(path: input)
    try DocumentWriter(options: document).write(report)
  }
}

/// Writes a report in the chosen format to its path.
struct DocumentWriter {
  var options: DocumentOptions

  func write(_ report: Report) throws {
    let format = options.effectiveFormat
    let path = options.path(stem: report.defaultStem)
    if options.output == nil { try makeDirectory("output") }
    let templates = try options.templates.map(ReportTemplates.load(directory:))
    switch format {
    case .json:
      try emit(try ReportFile.encode(report), to: path)
    case .html:
      try emit(try ReportRenderer(templates: templates).html(report), to: path)
    case .md:
      // Figures go beside the .md; with -o -, into --figures DIR (default output/figures).
      let toStandardOutput = path == "-"
      let figureDirectory = toStandardOutput ? options.figures ?? "output/figures" : ""
      try ReportRenderer(templates: templates).markdown(report, figureDirectory: figureDirectory)
        .write(markdownTo: path)
    }
  }

  func emit(_ bytes: [UInt8], to path: String) throws(VMMapError) {
    if path == "-" {
      try writeStandardOutput(bytes)
    } else {
      try AtomicFile.write(bytes, to: path)
    }
  }

  /// Creates `path` and its parents (mkdir -p).
  func makeDirectory(_ path: String) throws(VMMapError) {
    var partial = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
      partial += "/" + part
      if mkdir(partial, 0o755) != 0 && errno != EEXIST {
        throw VMMapError(
          .cannotCreate, what: "directory \(partial)", why: String(cString: strerror(errno)),
          errno: errno)
      }
    }
  }
}
