import VMExperiments
import VMMapCore

extension ReportCollector {
  /// The specimen's addresses the handout walks: its text, heap, main stack and THP region.
  static let walkTags: [(label: String, pick: @Sendable (SpecimenProcess.Record) -> Bool)] = [
    ("text", { $0.kind == .executable && $0.tag == "text" }),
    ("heap", { $0.kind == .heap }),
    ("stack", { $0.kind == .mainStack }),
    ("THP", { $0.tag == "thp" }),
  ]

  /// Starts `vmmap __specimen`, walks four of its addresses from a sandboxed child, ends it.
  func walkOfSpecimen() -> Step<WalkReport> {
    withSpecimen(step: "walk") { specimen in
      var addresses: [UInt64] = []
      var labels: [String] = []
      for (label, pick) in Self.walkTags {
        if let r = specimen.records.first(where: pick) {
          addresses.append(r.address)
          labels.append(label)
        }
      }
      return run(
        .walk(WalkRequest(pid: specimen.pid, addresses: addresses, labels: labels)),
        as: WalkReport.self)
    }
  }
}
