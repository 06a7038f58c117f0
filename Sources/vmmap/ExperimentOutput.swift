import ArgumentParser
import FoundationEssentials
import VMExperiments
import VMMapCore
import VMReport

extension VMMapCommand {
  /// Runs `experiment` in a sandboxed child and returns its result, stamped with what the
  /// child cost; a child that did not finish is its one-line error.
  func runSandboxed<R: SandboxStamped>(_ experiment: Experiment, as type: R.Type) throws -> R {
    let run = try Sandbox.run(experiment, as: R.self)
    guard case .finished(var result) = run.outcome else {
      throw run.error(experiment: experiment)
        ?? VMMapError(.internalError, what: "experiment \(experiment.name)", why: "no result")
    }
    result.sandbox = run.sandboxUsage
    return result
  }

  /// Writes an experiment's result: pretty JSON with sorted keys for `--json`, else `text()`.
  func emitResult<R: Encodable>(_ result: R, text: () -> String) throws {
    if effectiveFormat == .json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      try emit(Array(try encoder.encode(result)) + [UInt8(ascii: "\n")])
    } else {
      try emit(Array(text().utf8))
    }
  }
}
