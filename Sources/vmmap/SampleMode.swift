import ArgumentParser
import FoundationEssentials
import VMExperiments
import VMMapCore
import VMReport

extension VMMapCommand {
  /// True when `--sample` was on the command line, even bare (SWIFT-NOTES.md §5).
  var sampleGiven: Bool {
    !sample.isEmpty || remainingFlagGiven("--sample", before: "--faults")
  }

  /// The command's words: everything after `--sample`, one leading `--` consumed.
  var sampleCommand: [String] {
    sample.first == "--" ? Array(sample.dropFirst()) : sample
  }

  func validateSample() throws {
    if sampleCommand.isEmpty {
      throw ValidationError("--sample needs a command: vmmap --sample [--] CMD [ARGS…]")
    }
    let others =
      selfMap || !mapPIDs.isEmpty || detail != nil || fault != nil || pid != nil
      || mapsFile != nil || smapsFile != nil || fast || table || !kind.isEmpty || sort != nil
      || top != nil || cow || demand || noPtrace || walk != nil || tlb || aslr
    if others {
      throw ValidationError(
        "--sample CMD goes alone (with --json, --format, -o or --color before it)")
    }
    if effectiveFormat == .md { throw ValidationError("--sample renders as text or json, not md") }
    if json && format != nil && format != .json {
      throw ValidationError("--json contradicts --format \(format?.rawValue ?? "")")
    }
  }

  /// Runs the command with its faults sampled, writes the report (to stderr unless `-o`:
  /// stdout is the command's) and exits with the command's status, as `--faults` does.
  func runSample() throws {
    let command = sampleCommand
    let report = try SampleRunner.run(command)
    try finishCommand(command, report, exit: report.exit) { style in
      SampleTextRenderer(style: style).render(report)
    }
  }
}
