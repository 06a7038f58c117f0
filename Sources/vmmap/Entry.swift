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
    signal(SIGPIPE, SIG_IGN)
    do {
      var command = try VMMapCommand.parseAsRoot(args)
      try command.run()
    } catch let error as VMMapError {
      reportError(error)
      exit(error.exitCode)
    } catch {
      // Argument errors, --help and --version: ArgumentParser prints them and picks the
      // status (64 for usage errors, 0 for help).
      VMMapCommand.exit(withError: error)
    }
  }
}
