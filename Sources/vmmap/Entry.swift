import ArgumentParser
import Glibc
import VMExperiments
import VMMapCore
import VMReport

@main
enum Entry {
  static func main() {
    let args = Array(CommandLine.arguments.dropFirst())
    // Hidden children are dispatched before argument parsing, while the process is still
    // single-threaded (SWIFT-NOTES.md §3, §5).
    if args.first == "__specimen" {
      Specimen.main(arguments: Array(args.dropFirst()))
    }
    if args.first == "__touch" {
      TouchProgram.main(arguments: Array(args.dropFirst()))
    }
    if args.first == "__experiment" {
      ExperimentChild.main(arguments: Array(args.dropFirst()))
    }
    signal(SIGPIPE, SIG_IGN)
    // A document subcommand is parsed on its own (ArgumentParser would hand `--json`, `-o`
    // and `--format` after `report` to the root's options of the same names).
    let documents: [any ParsableCommand.Type] = [
      ReportCommand.self, RenderCommand.self, CompareCommand.self, WatchCommand.self,
    ]
    if let first = args.first,
      let sub = documents.first(where: { $0.configuration.commandName == first })
    {
      run(sub, Array(args.dropFirst()))
    }
    run(VMMapCommand.self, args)
  }

  static func run(_ type: any ParsableCommand.Type, _ args: [String]) -> Never {
    do {
      var command = try type.parseAsRoot(args)
      if type == VMMapCommand.self,
        command is ReportCommand || command is RenderCommand || command is CompareCommand
          || command is WatchCommand
      {
        throw ValidationError("a subcommand comes first: vmmap report …, vmmap render …")
      }
      try command.run()
      exit(0)
    } catch let error as VMMapError {
      reportError(error)
      exit(error.exitCode)
    } catch let code as ExitCode {
      // A status decided after the message was written (several PIDs, --faults' command).
      exit(code.rawValue)
    } catch {
      // --help and --version print as ArgumentParser renders them; usage errors become one
      // line, as every vmmap error is, with ArgumentParser's status (64).
      let code = type.exitCode(for: error)
      if code == .success {
        type.exit(withError: error)
      }
      if let exit = error as? ExitCode {
        Glibc.exit(exit.rawValue)
      }
      let message = type.message(for: error)
      reportError(
        VMMapError(
          .usage, what: "usage",
          why: oneLine(message),
          fix:
            "see vmmap \(type == VMMapCommand.self ? "" : type.configuration.commandName! + " ")--help"
        ))
      exit(code.rawValue)
    }
  }
}

/// ArgumentParser's message on one line: the first line, plus the values it lists below it
/// ("- null", "- write-readonly", …), comma-separated.
func oneLine(_ message: String) -> String {
  let lines = message.split(separator: "\n").map { $0.drop { $0 == " " } }
  guard let first = lines.first else { return "invalid arguments" }
  let values = lines.dropFirst().filter { $0.hasPrefix("- ") }.map { $0.dropFirst(2) }
  return values.isEmpty ? String(first) : "\(first) \(values.joined(separator: ", "))"
}
