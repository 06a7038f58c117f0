import ArgumentParser
import FoundationEssentials
import VMExperiments
import VMMapCore
import VMReport

extension VMMapCommand {
  func validateAslr() throws {
    let others =
      cow || demand || fault != nil || selfMap || !mapPIDs.isEmpty || detail != nil
      || pid != nil || mapsFile != nil || smapsFile != nil || fast || table || !kind.isEmpty
      || sort != nil || top != nil || faultsGiven || demandSize != nil || demandTHP
      || demandRead || demandFile || noPtrace || sampleGiven || walk != nil || tlb
    if others { throw ValidationError("--aslr goes alone (with --runs, --json or --format)") }
    if effectiveFormat == .md { throw ValidationError("--aslr renders as text or json, not md") }
    if json && format != nil && format != .json {
      throw ValidationError("--json contradicts --format \(format?.rawValue ?? "")")
    }
    if let runs = aslrRuns, runs < 2 || runs > AslrExperiment.maximumRuns {
      throw ValidationError(
        "--runs takes 2 to \(thousands(AslrExperiment.maximumRuns)), not \(runs): one run shows no variation"
      )
    }
  }

  /// Starts the specimen `--runs` times in each series and renders what moved.
  func runAslr(style: TextStyle) throws {
    let report = try AslrExperiment.run(runs: aslrRuns ?? AslrExperiment.defaultRuns)
    try emitResult(report) { AslrTextRenderer(style: style).render(report) }
  }
}

/// The text form of an ASLR report: the seed's two-run picture with real addresses, then the
/// statistics of each series.
struct AslrTextRenderer {
  var style: TextStyle

  func render(_ r: AslrReport) -> String {
    var out: [String] = []
    out.append("=== ADDRESS-SPACE LAYOUT RANDOMISATION (ASLR) ===")
    out += wrap(
      "randomize_va_space = " + r.randomizeVASpaceMeaning, first: "Kernel:    ",
      rest: "             ")
    if let bits = r.mmapRandomBits {
      out += wrap(
        "mmap_rnd_bits = \(bits): the mmap base and a PIE move by up to 2^\(bits) pages (\(AslrFormat.size(r.pageSize << UInt64(bits))))",
        first: "           ", rest: "             ")
    } else {
      out.append("           vm.mmap_rnd_bits: not readable (root only)")
    }
    out += wrap(
      "\(r.specimen), started \(r.runs) times with the kernel's randomisation and \(r.runs) times with ADDR_NO_RANDOMIZE",
      first: "Specimen:  ", rest: "           ")
    out.append("")
    out += seedPicture(r)
    out.append("")
    out += randomized(r.randomized, runs: r.runs)
    out.append("")
    out += fixed(r.notRandomized, runs: r.runs)
    out.append("")
    out.append("HOW IT WORKS")
    for paragraph in r.explanation { out += wrap(paragraph, first: "  - ", rest: "    ") }
    out.append("")
    out += wrap("LESSON: " + r.lesson, first: "", rest: "  ")
    let t = r.sandbox
    out += wrap(
      "Sandbox: \(t.children) children, one per run: \(thousands(t.minorFaults)) minor faults, CPU \(ms(t.userCPUSeconds + t.systemCPUSeconds)), wall \(ms(t.wallSeconds)) (two at a time), largest max RSS \(SizeFormat.iec(t.maxRSS)) (a whole re-executed vmmap)",
      first: "", rest: "  ")
    out.append("=== END ASLR ===")
    return out.joined(separator: "\n") + "\n"
  }

  /// The seed's §2.12 picture: two runs without and two with randomisation.
  func seedPicture(_ r: AslrReport) -> [String] {
    let fixed = Array(r.notRandomized.samples.prefix(2))
    let random = Array(r.randomized.samples.prefix(2))
    guard fixed.count == 2, random.count == 2 else { return [] }
    var out = ["TWO RUNS OF EACH"]
    out.append(
      "  " + pad("", 12) + pad("Without ASLR (ADDR_NO_RANDOMIZE)", 42) + "With ASLR"
    )
    out.append(
      "  " + pad("", 12) + pad("Run 1", 16) + pad("Run 2", 26) + pad("Run 1", 16) + "Run 2")
    for region in AslrRegion.allCases {
      func cell(_ s: AslrSample) -> String { s.position(region).map(AslrFormat.hex) ?? "none" }
      let a = fixed.map { $0.position(region) }
      let b = random.map { $0.position(region) }
      let sameA = a[0] == a[1] ? style.green("same") : style.red("different")
      let sameB = b[0] == b[1] ? style.red("same") : style.green("different")
      out.append(
        "  " + pad(region.label, 12) + pad(cell(fixed[0]), 16) + pad(cell(fixed[1]), 16)
          + pad(sameA, 10, visible: a[0] == a[1] ? 4 : 9) + pad(cell(random[0]), 16)
          + pad(cell(random[1]), 16) + sameB)
    }
    return out
  }

  func randomized(_ s: AslrSeries, runs: Int) -> [String] {
    var out = [style.bold("WITH ASLR: \(runs) runs")]
    out.append(
      "  " + pad("Region", 12) + padLeft("Distinct", 8) + "  " + pad("Lowest", 16)
        + pad("Highest", 16) + pad("Bits that differed", 20) + pad("Entropy", 9)
        + pad("Kernel", 8) + "Moves with")
    for x in s.regions {
      let bits =
        x.lowestVariedBit.map { "\($0)–\(x.highestVariedBit ?? $0) (\(x.variedBitCount))" }
        ?? "none"
      out.append(
        "  " + pad(x.region.label, 12) + padLeft("\(x.distinct)/\(runs)", 8) + "  "
          + pad(x.lowest ?? "none", 16) + pad(x.highest ?? "none", 16) + pad(bits, 20)
          + pad("\(x.entropyBits) bits", 9) + pad(x.kernelBits.map(String.init) ?? "—", 8)
          + movesWith(x))
    }
    if let heap = s.stats(.heap), let o = heap.offsetFromExecutableEnd {
      out += wrap(
        "Heap start − end of the executable's .bss: \(AslrFormat.size(o.minimum)) to \(AslrFormat.size(o.maximum)), \(o.distinct) distinct, \(o.entropyBits) random bits",
        first: "  ", rest: "    ")
    }
    out.append(
      "  (Bits that differed: positions XOR run 1's, which carries can widen; entropy: bits of each position minus the lowest; kernel: what it draws, in pages)"
    )
    return out
  }

  /// The region it keeps a fixed distance from; `near mmap base` when it stays below the
  /// mmap base at a distance that varies (libc, behind 2 MiB-aligned libraries).
  func movesWith(_ x: AslrRegionStats) -> String {
    if let with = x.movesWith { return with.label }
    if let d = x.distanceBelowMmapBase, x.distinct > 1 {
      return "mmap base, distance varies by \(AslrFormat.size(d.maximum - d.minimum))"
    }
    return "—"
  }

  func fixed(_ s: AslrSeries, runs: Int) -> [String] {
    var out = [style.bold("WITH ADDR_NO_RANDOMIZE (setarch -R): \(runs) runs")]
    out.append("  " + pad("Region", 12) + padLeft("Distinct", 8) + "  " + "Address")
    for x in s.regions {
      let where_ =
        x.distinct == 1
        ? (x.lowest ?? "none") + "  same in every run"
        : "\(x.lowest ?? "none") to \(x.highest ?? "none")  MOVED"
      out.append(
        "  " + pad(x.region.label, 12) + padLeft("\(x.distinct)/\(runs)", 8) + "  " + where_)
    }
    if let o = s.stats(.heap)?.offsetFromExecutableEnd, o.distinct == 1 {
      out.append(
        "  Heap start − end of the executable's .bss: \(AslrFormat.size(o.minimum)) in every run")
    }
    out.append(
      style.bold(
        s.allSame
          ? "  Every region landed at the same address in all \(runs) runs."
          : "  Some regions moved although randomisation was off for these runs."))
    return out
  }

  func ms(_ seconds: Double) -> String { "\(Int((seconds * 1000).rounded())) ms" }

  /// `s` padded to `width` columns; `visible` is its width without colour codes.
  func pad(_ s: String, _ width: Int, visible: Int? = nil) -> String {
    let n = visible ?? s.count
    return n >= width ? s + " " : s + String(repeating: " ", count: width - n)
  }

  func padLeft(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
  }

  /// Words of `text` on lines of at most 100 columns.
  func wrap(_ text: String, first: String, rest: String) -> [String] {
    CowTextRenderer(style: style).wrap(TerminalEscape.escape(text), first: first, rest: rest)
  }
}
