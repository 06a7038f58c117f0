import ArgumentParser
import FoundationEssentials
import Glibc
import VMExperiments
import VMMapCore
import VMReport

extension VMMapCommand {
  /// True when `--faults` was on the command line, even bare: with `parsing: .remaining` a
  /// bare `--faults` leaves the array empty, as its absence does (SWIFT-NOTES.md §5).
  var faultsGiven: Bool {
    !faults.isEmpty || remainingFlagGiven("--faults", before: "--sample")
  }

  /// True when `flag` is on the command line before `other` (or without it): after either
  /// one, every word is the command's.
  func remainingFlagGiven(_ flag: String, before other: String) -> Bool {
    let args = CommandLine.arguments.dropFirst()
    guard let i = args.firstIndex(of: flag) else { return false }
    guard let j = args.firstIndex(of: other) else { return true }
    return i < j
  }

  /// The command's words: everything after `--faults`, one leading `--` consumed.
  var faultsCommand: [String] {
    faults.first == "--" ? Array(faults.dropFirst()) : faults
  }

  func validateFaults() throws {
    if faultsCommand.isEmpty {
      throw ValidationError("--faults needs a command: vmmap --faults [--] CMD [ARGS…]")
    }
    let others =
      selfMap || !mapPIDs.isEmpty || detail != nil || fault != nil || pid != nil
      || mapsFile != nil || smapsFile != nil || fast || table || !kind.isEmpty || sort != nil
      || top != nil || cow || demand || !sample.isEmpty || walk != nil || tlb || aslr
    if others {
      throw ValidationError(
        "--faults CMD goes alone (with --json, --format, -o, --color or --no-ptrace before it)")
    }
    if effectiveFormat == .md { throw ValidationError("--faults renders as text or json, not md") }
    if json && format != nil && format != .json {
      throw ValidationError("--json contradicts --format \(format?.rawValue ?? "")")
    }
  }

  /// Runs the command, writes the report (to stderr unless `-o`: stdout is the command's) and
  /// exits with the command's status; a command killed by signal N gives 128 + N and a line
  /// that says so.
  func runFaults() throws {
    let command = faultsCommand
    let report = try CommandRunner.run(command, trace: !noPtrace)
    try finishCommand(command, report, exit: report.exit) { style in
      CommandFaultsTextRenderer(style: style).render(report)
    }
  }

  /// Writes a measured command's report (to stderr unless `-o`: stdout is the command's),
  /// says so when a signal killed it, and exits with its status (128 + N for signal N).
  func finishCommand<R: Encodable>(
    _ command: [String], _ report: R, exit: CommandExit, text: (TextStyle) -> String
  ) throws {
    let toStandardError = output == nil
    let bytes: [UInt8]
    if effectiveFormat == .json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      bytes = Array(try encoder.encode(report)) + [UInt8(ascii: "\n")]
    } else {
      let fd: Int32 = toStandardError ? 2 : output == "-" ? 1 : -1
      bytes = Array(text(TextStyle(enabled: color.enabled(forFileDescriptor: fd))).utf8)
    }
    if toStandardError {
      writeStandardError(bytes)
    } else {
      try emit(bytes)
    }
    if let signal = exit.signal {
      let core = exit.coreDumped ? ", core dumped" : ""
      let line =
        "vmmap: command \(TerminalEscape.escape(CommandFaultsTextRenderer.shellWords(command))): "
        + "killed by \(signalName(signal))\(core) (exit status \(exit.status) = 128 + \(signal))\n"
      writeStandardError(Array(line.utf8))
    }
    if exit.status != 0 { throw ExitCode(exit.status) }
  }
}

/// Writes all of `bytes` to fd 2 (a report is never lost to a short write).
func writeStandardError(_ bytes: [UInt8]) {
  var written = 0
  while written < bytes.count {
    let n = bytes.withUnsafeBytes { write(2, $0.baseAddress! + written, $0.count - written) }
    if n < 0 && errno == EINTR { continue }
    if n <= 0 { return }
    written += n
  }
}

/// The text form of `--faults`: what was counted, what it means, and where each number came
/// from.
struct CommandFaultsTextRenderer {
  var style: TextStyle

  func render(_ r: CommandFaultsReport) -> String {
    let command = TerminalEscape.escape(Self.shellWords(r.command))
    let label = 14
    var lines: [String] = []
    func add(_ key: String, _ value: String) {
      lines.append(
        key.isEmpty ? String(repeating: " ", count: label) + value : pad(key, label) + value)
    }
    lines.append(style.bold("=== PAGE FAULTS: \(command) ==="))
    add(
      "Program:",
      "\(TerminalEscape.escape(r.executable)), PID \(r.pid) (run directly: no shell)")
    if let code = r.exit.code {
      add("Exit:", "exited with status \(code)")
    } else if let signal = r.exit.signal {
      add(
        "Exit:",
        "killed by \(r.exit.signalName ?? "signal \(signal)") (\(signal))"
          + (r.exit.coreDumped ? ", core dumped" : "") + "; vmmap exits \(r.exit.status)")
    }
    let minor = thousands(Int(r.minorFaults))
    let major = thousands(Int(r.majorFaults))
    let width = max(minor.count, major.count)
    add(
      "Minor faults:",
      style.bold(padLeading(minor, width))
        + "  no disk I/O: the page was in memory, or is a new zero-filled one")
    add(
      "",
      padLeading("", width) + "  (first touch of anonymous memory, a page-cache hit, copy-on-write)"
    )
    add(
      "Major faults:",
      style.bold(padLeading(major, width))
        + "  the page had to be read from disk first (a file not cached, or swap)")
    var counted = "wait4's rusage: every thread of the command, and the children it waited for"
    if let before = r.beforeExec {
      counted += ";"
      add("Counted by:", counted)
      add(
        "",
        "\(thousands(Int(before.minor))) minor, \(thousands(Int(before.major))) major of them "
          + "before its first instruction (vmmap's")
      add("", "starter from fork to exec, and execve loading the program)")
    } else {
      add("Counted by:", counted)
    }
    if let stat = r.procStatAtExit {
      let agrees = stat.totalMinor == r.minorFaults && stat.totalMajor == r.majorFaults
      var line =
        "/proc/\(r.pid)/stat at exit: \(thousands(Int(stat.totalMinor))) minor, "
        + "\(thousands(Int(stat.totalMajor))) major"
      if stat.childrenMinor + stat.childrenMajor > 0 {
        line += " (\(thousands(Int(stat.childrenMinor + stat.childrenMajor))) by its children)"
      }
      if agrees {
        line += ": agrees"
      } else {
        let d = Int64(r.minorFaults) - Int64(stat.totalMinor)
        line += ": wait4 counts \(d >= 0 ? "+" : "")\(d) minor (the exit itself, after the stop)"
      }
      add("Cross-check:", line)
    } else {
      add("Cross-check:", "none: \(r.tracing.reason ?? "the command left no exit stop")")
    }
    let rss = SizeFormat.iec(r.maxRSS.bytes)
    let carried = SizeFormat.iec(r.rusageMaxRSSBytes)
    switch r.maxRSS.source {
    case .vmHWMAtExit:
      add(
        "Max RSS:",
        style.bold(rss) + "  its own peak: VmHWM in /proc/\(r.pid)/status at its exit stop")
      add(
        "", "(wait4's ru_maxrss says \(carried): the kernel carries the starter's peak across exec)"
      )
      if r.tracing.laterExecs > 0 {
        let n = r.tracing.laterExecs
        add(
          "",
          "it ran \(n) more program\(n == 1 ? "" : "s") by exec: this is the last one's peak")
      }
    case .rusage:
      add(
        "Max RSS:",
        style.bold("at most \(rss)") + "  wait4's ru_maxrss, which includes the starter's peak")
      add(
        "", "(VmHWM needs the exit stop: \(r.tracing.reason ?? "the command was killed before it"))"
      )
    }
    add(
      "Time:",
      "user \(SizeFormat.fixed(r.userSeconds, places: 3)) s, sys \(SizeFormat.fixed(r.systemSeconds, places: 3)) s, "
        + "wall \(SizeFormat.fixed(r.wallSeconds, places: 3)) s")
    if let perMiB = r.faultsPerMiB {
      let bound = r.maxRSS.isUpperBound ? "at least " : ""
      add(
        "Faults/MiB:",
        "\(bound)\(SizeFormat.fixed(perMiB, places: 1)) per MiB of max RSS (256 is one fault per 4 KiB page)"
      )
      if !r.maxRSS.isUpperBound { add("", Self.faultsPerMiBMeaning(perMiB)) }
    }
    if r.tracing.method == .ptrace && r.tracing.threadsStarted > 0 {
      add(
        "Threads:", "\(r.tracing.threadsStarted) started by the command (each traced to its exit)")
    }
    lines.append(style.bold("=== END ==="))
    return lines.joined(separator: "\n") + "\n"
  }

  static func faultsPerMiBMeaning(_ perMiB: Double) -> String {
    if perMiB < 200 {
      return "fewer faults than pages: one file fault maps up to 16 cached pages, a huge page 512"
    }
    if perMiB <= 320 { return "about one fault for each page it kept" }
    return "more faults than pages it kept: memory freed and touched again, or copy-on-write"
  }

  /// The words as a shell would need them typed: plain words bare, others in single quotes.
  static func shellWords(_ words: [String]) -> String {
    let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,+@%^-")
    return words.map { w in
      if !w.isEmpty && w.allSatisfy({ plain.contains($0) }) { return w }
      return "'" + w.replacing("'", with: "'\\''") + "'"
    }.joined(separator: " ")
  }
}

private func pad(_ s: String, _ width: Int) -> String {
  s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

private func padLeading(_ s: String, _ width: Int) -> String {
  s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}
