import Foundation
import Glibc
import Testing
import VMExperiments
import VMMapTestSupport

/// `vmmap --aslr`: real children, real layouts. Randomised runs must move the stack and the
/// mmap base; ADDR_NO_RANDOMIZE runs must all land at the same addresses. The positions are
/// checked against the kernel's own auxiliary vector and against `setarch -R`.
@Suite struct AslrTests {
  static let randomisation = (try? readProcFile("/proc/sys/kernel/randomize_va_space"))
    .flatMap { Int($0.filter(\.isNumber)) }
  static let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))

  static func aslr(runs: Int) throws -> AslrReport {
    let r = try vmmap("--aslr", "--runs", "\(runs)", "--json")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.isEmpty, "\(r.stderr)")
    return try JSONDecoder().decode(AslrReport.self, from: r.stdout)
  }

  static func hex(_ s: String?) -> UInt64? {
    guard let s, s.hasPrefix("0x") else { return nil }
    return UInt64(s.dropFirst(2), radix: 16)
  }

  @Test(
    .enabled(if: AslrTests.randomisation.map { $0 > 0 } ?? false, "randomize_va_space is 0"))
  func stackAndMmapBaseVaryOnlyWithRandomisation() throws {
    let report = try Self.aslr(runs: 8)
    #expect(report.runs == 8)
    #expect(report.randomized.samples.count == 8 && report.notRandomized.samples.count == 8)
    #expect(report.randomizeVASpace == Self.randomisation)

    // With randomisation: 22 and 28 random bits; eight runs at one place would be a bug.
    for region in [AslrRegion.stack, .mmapBase, .executable, .vdso, .libc] {
      let positions = report.randomized.samples.compactMap { Self.hex(positionText($0, region)) }
      #expect(positions.count == 8, "\(region)")
      #expect(Set(positions).count >= 7, "\(region) barely moved: \(positions)")
      #expect(report.randomized.stats(region)?.distinct == Set(positions).count)
    }
    #expect(!report.randomized.allSame)

    // With ADDR_NO_RANDOMIZE: one address per region, in every run.
    for region in AslrRegion.allCases {
      let positions = report.notRandomized.samples.map { positionText($0, region) }
      #expect(positions.allSatisfy { $0 != nil }, "\(region) missing")
      #expect(Set(positions).count == 1, "\(region) moved: \(positions)")
      #expect(report.notRandomized.stats(region)?.distinct == 1)
    }
    #expect(report.notRandomized.allSame)

    // The personality each child saw: bit 0x40000 is ADDR_NO_RANDOMIZE.
    for s in report.randomized.samples { #expect(Self.hex(s.personality)! & 0x40000 == 0) }
    for s in report.notRandomized.samples { #expect(Self.hex(s.personality)! & 0x40000 != 0) }
    #expect(
      Set(report.randomized.samples.map(\.pid) + report.notRandomized.samples.map(\.pid)).count
        == 16)
  }

  /// The maps-derived positions agree with what the kernel told each process (auxv), and the
  /// fixed layout with the one `setarch -R` gives another program.
  @Test func positionsAgreeWithTheKernelsOwnNumbers() throws {
    let report = try Self.aslr(runs: 3)
    for s in report.randomized.samples + report.notRandomized.samples {
      #expect(s.vdso != nil && s.vdso == s.auxvVdso, "maps [vdso] vs AT_SYSINFO_EHDR")
      let loader = try #require(Self.hex(s.auxvInterpreterBase))
      let base = try #require(Self.hex(s.mmapBase))
      #expect(loader < base && base - loader < 1 << 20, "the loader ends at the mmap base")
      let heap = try #require(Self.hex(s.heap))
      let exeEnd = try #require(Self.hex(s.executableEnd))
      #expect(heap >= exeEnd)
      #expect(Self.hex(s.executable)! < exeEnd)
      #expect(Self.hex(s.stack)! > base)
    }
    let fixed = try #require(report.notRandomized.samples.first)
    // No brk randomisation: the heap starts right at the end of the .bss.
    #expect(fixed.heap == fixed.executableEnd)
    // The stack top is the top of user space: 2^47 − one page with 4-level paging.
    let la57 = try readProcFile("/proc/cpuinfo").contains(" la57")
    if !la57 { #expect(Self.hex(fixed.stack) == (1 << 47) - Self.pageSize) }

    // setarch -R puts /bin/cat's dynamic loader right below the same mmap base.
    let r = try run("/usr/bin/setarch", ["-R", "/bin/cat", "/proc/self/maps"])
    #expect(r.status == 0, "\(r.stderr)")
    let loaderEnds = r.text.split(separator: "\n").filter { $0.contains("/ld-linux") }
      .compactMap { line in line.split(separator: " ").first?.split(separator: "-").last }
      .compactMap { UInt64($0, radix: 16) }
    #expect(loaderEnds.max() == Self.hex(fixed.mmapBase))
  }

  /// The entropy counted is bounded by the kernel's draw and, over 16 runs, reaches it.
  @Test(
    .enabled(if: AslrTests.randomisation.map { $0 > 0 } ?? false, "randomize_va_space is 0"),
    .enabled(if: geteuid() == 0, "mmap_rnd_bits is readable by root only"))
  func entropyMatchesTheKernelsRandomBits() throws {
    let report = try Self.aslr(runs: 16)
    let mmapBits = try #require(report.mmapRandomBits)
    let rnd = try readProcFile("/proc/sys/vm/mmap_rnd_bits").filter(\.isNumber)
    #expect(mmapBits == Int(rnd))
    for region in [AslrRegion.executable, .mmapBase] {
      let s = try #require(report.randomized.stats(region))
      #expect(s.kernelBits == mmapBits)
      // Offsets from the lowest position lie below 2^(12 + bits): never more bits than drawn.
      #expect(s.entropyBits <= mmapBits, "\(region)")
      // Each bit is missed with probability 2^-15 in 16 runs.
      #expect(s.entropyBits >= mmapBits - 2, "\(region): \(s.entropyBits)")
      #expect(s.lowestVariedBit == 12)
      #expect(Self.hex(s.highest)! - Self.hex(s.lowest)! < UInt64(1) << UInt64(12 + mmapBits))
    }
    let stack = try #require(report.randomized.stats(.stack))
    #expect(stack.kernelBits == 22 && stack.entropyBits <= 22 && stack.entropyBits >= 20)
    // The vdso is mapped right below the loader, at one distance from the mmap base.
    let vdso = try #require(report.randomized.stats(.vdso))
    #expect(vdso.movesWith == .mmapBase)
    #expect(vdso.distanceBelowMmapBase?.distinct == 1)
  }

  @Test func textShowsBothSeries() throws {
    let r = try vmmap("--aslr", "--runs", "3", "--color", "never")
    #expect(r.status == 0, "\(r.stderr)")
    for line in [
      "=== ADDRESS-SPACE LAYOUT RANDOMISATION (ASLR) ===", "TWO RUNS OF EACH",
      "Without ASLR (ADDR_NO_RANDOMIZE)", "WITH ASLR: 3 runs",
      "WITH ADDR_NO_RANDOMIZE (setarch -R): 3 runs",
      "Every region landed at the same address in all 3 runs.", "HOW IT WORKS", "LESSON: ",
      "Sandbox: 6 children, one per run", "=== END ASLR ===",
    ] {
      #expect(r.text.contains(line), "missing \(line)")
    }
    #expect(!r.text.contains("\u{1b}["))
  }

  @Test func jsonMatchesItsSchema() throws {
    let out = "/tmp/vmmap-aslr-schema-\(getpid()).json"
    defer { unlink(out) }
    let r = try vmmap("--aslr", "--runs", "2", "--json", "-o", out)
    #expect(r.status == 0, "\(r.stderr)")
    let check = try validate(out, schema: "aslr.schema.json")
    #expect(check.status == 0, "\(check.stderr)")
    #expect(check.text == "valid\n")
  }

  @Test func aslrGoesAloneAndRunsAreChecked() throws {
    for args in [
      ["--aslr", "--cow"], ["--aslr", "--self"], ["--demand", "--aslr"],
      ["--aslr", "--format", "md"],
      ["--runs", "5"], ["--aslr", "--runs", "1"], ["--aslr", "--runs", "x"],
      ["--fault", "null", "--aslr"], ["--aslr", "--faults", "true"],
    ] {
      let r = try run(vmmapBinary, args)
      #expect(r.status == 64, "\(args)")
      #expect(r.stdout.isEmpty)
      #expect(r.stderr.hasPrefix("vmmap: usage: "), "\(args): \(r.stderr)")
    }
  }
}

/// The sample's text for `region`, read field by field (not through `position`).
private func positionText(_ s: AslrSample, _ region: AslrRegion) -> String? {
  switch region {
  case .executable: s.executable
  case .heap: s.heap
  case .stack: s.stack
  case .mmapBase: s.mmapBase
  case .vdso: s.vdso
  case .libc: s.libc
  }
}
