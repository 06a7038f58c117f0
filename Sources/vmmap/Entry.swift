import VMExperiments
import VMReport

@main
enum Entry {
  static func main() async {
    let args = Array(CommandLine.arguments.dropFirst())
    // Hidden children are dispatched before argument parsing and before any `await`, so the
    // process is still single-threaded (SWIFT-NOTES.md §3, §5).
    if args.first == "__specimen" {
      Specimen.main(arguments: Array(args.dropFirst()))
    }
    print("vmmap (cmark \(LibraryVersions.cmark), libxml2 \(LibraryVersions.libxml2))")
  }
}
