import ArgumentParser
import FoundationEssentials
import Glibc
import VMExperiments
import VMMapCore
import VMReport

/// `--fault TYPE`: one of the fault types (`FaultType`, the one list of them), or `all`.
struct FaultChoice: ExpressibleByArgument, Equatable {
  /// The faults to run, in `FaultType` order.
  var types: [FaultType]
  var isAll: Bool

  static let all = "all"

  init?(argument: String) {
    if argument == Self.all {
      types = FaultType.allCases
      isAll = true
    } else if let type = FaultType(rawValue: argument) {
      types = [type]
      isAll = false
    } else {
      return nil
    }
  }

  static var allValueStrings: [String] { FaultType.allCases.map(\.rawValue) + [all] }
}

extension VMMapCommand {
  /// Runs each fault in its own sandboxed child and renders the reports; a child that failed
  /// is reported (one line on stderr) and the others still shown, as `--map` does.
  func runFault(_ choice: FaultChoice, style: TextStyle) throws {
    var reports: [FaultReport] = []
    var firstError: VMMapError?
    for type in choice.types {
      let experiment = Experiment.fault(type)
      let run = try Sandbox.run(experiment, as: FaultReport.self)
      if case .finished(var report) = run.outcome {
        report.sandbox = run.sandboxUsage
        reports.append(report)
      } else if let error = run.error(experiment: experiment) {
        guard choice.isAll else { throw error }
        reportError(error)
        if firstError == nil { firstError = error }
      }
    }
    var bytes: [UInt8]
    if effectiveFormat == .json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      let data =
        choice.isAll ? try encoder.encode(reports) : try encoder.encode(reports[0])
      bytes = Array(data) + [UInt8(ascii: "\n")]
    } else {
      bytes = []
      for (i, r) in reports.enumerated() {
        if i > 0 { bytes.append(UInt8(ascii: "\n")) }
        bytes += Array(FaultTextRenderer(style: style).render(r).utf8)
      }
    }
    try emit(bytes)
    if let firstError { throw ExitCode(firstError.exitCode) }
  }
}

/// The text form of a fault report, in the handout's shape.
struct FaultTextRenderer {
  var style: TextStyle

  func render(_ r: FaultReport) -> String {
    var lines: [String] = []
    lines.append("=== FAULT DEMONSTRATION: \(r.type.rawValue) ===")
    lines.append("Setting up: \(r.setup)")
    if r.type != .stackOverflow { lines.append("Target: \(r.target) (\(r.access))") }
    if let region = r.region {
      lines.append(
        "Region: \(region.start)-\(region.end) \(region.permissions) \(region.kind): "
          + TerminalEscape.escape(Array(region.description.utf8)))
    } else if let gap = r.gap {
      lines.append("Region: none, in the gap \(gap.start)-\(gap.end)")
    }
    if let page = r.page {
      let when = r.type == .stackOverflow ? "after the fault" : "before the access"
      var line = "Page (\(when)): Present: \(page.present ? "YES" : "NO")"
      if page.swapped { line += ", Swapped: YES" }
      if let frame = page.frame {
        line += ", Frame: \(frame)"
      } else if page.present {
        line += ", Frame: not visible"
      }
      lines.append(line)
    }
    lines.append("*** \(r.signal) received in the child (recovered with siglongjmp) ***")
    lines.append("Fault analysis:")
    lines.append("Faulting address: \(r.faultAddress)")
    lines.append("Signal: \(r.signal) (\(r.signalNumber))")
    lines.append("Code: \(r.code) (\(r.codeMeaning))")
    if let depth = r.depth { lines.append("Recursion depth: \(depth) calls") }
    lines.append(style.bold(r.cause))
    if let predicted = r.predicted { lines.append("vmmap --detail predicts: \(predicted)") }
    lines.append("Why: \(r.why)")
    lines.append("To fix: \(r.fix)")
    if let usage = r.sandbox { lines.append(sandboxLine(usage, role: "the child that faulted")) }
    lines.append("=== END DEMO ===")
    return lines.joined(separator: "\n") + "\n"
  }
}
