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
      // --help and --version print as ArgumentParser renders them; usage errors become one
      // line, as every vmmap error is, with ArgumentParser's status (64).
      let code = VMMapCommand.exitCode(for: error)
      if code == .success {
        VMMapCommand.exit(withError: error)
      }
      let message = VMMapCommand.message(for: error)
      reportError(
        VMMapError(
          .usage, what: "usage",
          why: message.split(separator: "\n").first.map(String.init) ?? "invalid arguments",
          fix: "see vmmap --help"))
      exit(code.rawValue)
    }
  }
}
