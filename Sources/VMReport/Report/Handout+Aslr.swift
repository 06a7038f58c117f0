import VMExperiments
import VMMapCore

extension HandoutView {
  /// The ASLR section's numbers (`aslrRun` in report.md), when the step ran.
  func aslrContext(_ c: inout [String: Any]) {
    guard let a = report.aslr?.result else { return }
    var e: [String: Any] = [:]
    let random = a.randomized
    let fixed = a.notRandomized
    e["runs"] = "\(a.runs)"
    e["fullRuns"] = "\(AslrExperiment.defaultRuns)"
    func bits(_ region: AslrRegion) -> String {
      random.stats(region).map { "\($0.entropyBits)" } ?? "?"
    }
    e["exeBits"] = bits(.executable)
    e["stackBits"] = bits(.stack)
    e["mmapBits"] = bits(.mmapBase)
    e["kernelMmapBits"] = a.mmapRandomBits.map { "\($0)" } ?? "?"
    e["moved"] = random.regions.filter { $0.distinct > 1 }.count == random.regions.count
    if let gap = random.stats(.heap)?.offsetFromExecutableEnd, gap.distinct > 1 {
      e["heapGapMin"] = AslrFormat.size(gap.minimum)
      e["heapGapMax"] = AslrFormat.size(gap.maximum)
    }
    if let d = random.stats(.vdso)?.distanceBelowMmapBase, d.distinct == 1 {
      e["vdsoDistance"] = Self.code(AslrFormat.hex(d.minimum))
    }
    if let libc = random.stats(.libc), libc.distinctWithin2MiB * 4 <= libc.distinct {
      let n = libc.distinctWithin2MiB
      e["libcWithin2MiB"] = "\(n) value" + (n == 1 ? "" : "s")
    }
    e["fixedSame"] = fixed.allSame
    e["fixedExe"] = Self.code(fixed.stats(.executable)?.lowest ?? "?")
    e["fixedStack"] = Self.code(fixed.stats(.stack)?.lowest ?? "?")
    e["fixedMmapBase"] = Self.code(fixed.stats(.mmapBase)?.lowest ?? "?")
    c["aslrRun"] = e
  }
}

extension HandoutMarks {
  /// `aslr-runs`: what varied in each region over the randomised runs; `aslr-two-runs`: the
  /// first two runs of each series side by side.
  func aslrRunsTable(named name: String) -> ReportTable? {
    guard let a = report.aslr?.result else { return nil }
    if name == "aslr-two-runs" {
      let fixed = a.notRandomized.samples.prefix(2)
      let random = a.randomized.samples.prefix(2)
      guard fixed.count == 2, random.count == 2 else { return nil }
      let rows = AslrRegion.allCases.map { region in
        [region.label]
          + (fixed + random).map { $0.position(region).map(AslrFormat.hex) ?? "none" }
      }
      return ReportTable(
        columns: [
          .init("Region"), .init("No ASLR, run 1"), .init("No ASLR, run 2"),
          .init("ASLR, run 1"), .init("ASLR, run 2"),
        ], rows: rows,
        caption:
          "The first two runs with the ADDR_NO_RANDOMIZE personality and the first two with it cleared, read from each child's /proc/self/maps."
      )
    }
    let rows = a.randomized.regions.map { x -> [String] in
      [
        x.region.label, "\(x.distinct) of \(x.observed)", x.lowest ?? "none", x.highest ?? "none",
        x.lowestVariedBit.map { "\($0)–\(x.highestVariedBit ?? $0)" } ?? "none",
        "\(x.entropyBits)", x.kernelBits.map { "\($0)" } ?? "—",
        a.notRandomized.stats(x.region).map { $0.distinct == 1 ? "same" : "\($0.distinct)" } ?? "",
      ]
    }
    return ReportTable(
      columns: [
        .init("Region"), .init("Distinct", .right), .init("Lowest"), .init("Highest"),
        .init("Bits that differed"), .init("Random bits seen", .right),
        .init("Kernel's bits", .right), .init("No ASLR", .right),
      ], rows: rows,
      caption:
        "\(a.runs) runs of each series. Bits that differed: each position XOR the first run's (carries can reach above the kernel's range); random bits seen: the bits of each position minus the lowest; kernel's bits: mmap_rnd_bits or STACK_RND_MASK, in pages. No ASLR: whether the \(a.runs) ADDR_NO_RANDOMIZE runs all landed at one address."
    )
  }
}

extension HandoutFigures {
  /// The ASLR dot plot, when the step ran.
  static func aslr(_ report: Report) throws(VMMapError) -> ReportFigure? {
    guard let a = report.aslr?.result else { return nil }
    return try AslrFigure(report: a).render()
  }
}
