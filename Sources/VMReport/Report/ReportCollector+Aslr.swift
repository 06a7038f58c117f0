import VMExperiments
import VMMapCore

extension ReportCollector {
  /// The handout's runs of each ASLR series: few enough for the report's time budget (each run
  /// is a child, about 10 ms; the ADDR_NO_RANDOMIZE ones exec twice), enough to see each random
  /// bit vary with probability 1 − 2⁻⁵. `vmmap --aslr` runs 32 by default.
  public static let aslrRuns = 6

  /// The ASLR step: both series, one child at a time (the collector already runs two jobs).
  func runAslr() -> Step<AslrReport> {
    let start = ContinuousClock.now
    do throws(VMMapError) {
      let report = try AslrExperiment.run(
        runs: Self.aslrRuns, parallelism: 1, executable: executable)
      return Step(
        name: "aslr", result: report, error: nil, seconds: (ContinuousClock.now - start).seconds,
        child: nil)
    } catch {
      return Step(
        name: "aslr", result: nil, error: StepError(error),
        seconds: (ContinuousClock.now - start).seconds, child: nil)
    }
  }
}
