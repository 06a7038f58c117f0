import Testing
import VMMapCore

@testable import VMExperiments

/// `AslrAnalysis` on hand-made runs whose answers are worked out by hand, and `AslrProbe`'s
/// reading of a map.
@Suite struct AslrAnalysisTests {
  static func sample(
    exe: UInt64, exeEnd: UInt64, heap: UInt64, stack: UInt64, base: UInt64, vdso: UInt64,
    libc: UInt64
  ) -> AslrSample {
    var s = AslrSample(pid: 1, personality: 0)
    func h(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
    s.executable = h(exe)
    s.executableEnd = h(exeEnd)
    s.heap = h(heap)
    s.stack = h(stack)
    s.mmapBase = h(base)
    s.vdso = h(vdso)
    s.libc = h(libc)
    return s
  }

  /// Three runs: the executable slid by 0, 0xff000 and 0x1000 pages' worth from
  /// 0x555555554000 (the second carries into bits 20 and 21); the heap gaps 0, 0x3000, 0x1000; the vdso
  /// always 0x37000 below the base; libc at 0x99000 inside its 2 MiB block twice.
  static let runs: [AslrSample] = [
    sample(
      exe: 0x5555_5555_4000, exeEnd: 0x5555_5560_0000, heap: 0x5555_5560_0000,
      stack: 0x7ffd_0000_0000, base: 0x7f00_0010_0000, vdso: 0x7f00_000c_9000,
      libc: 0x7eff_ffe9_9000),
    sample(
      exe: 0x5555_5565_3000, exeEnd: 0x5555_556f_f000, heap: 0x5555_5570_2000,
      stack: 0x7ffd_0040_0000, base: 0x7f00_0030_0000, vdso: 0x7f00_002c_9000,
      libc: 0x7f00_0029_9000),
    sample(
      exe: 0x5555_5555_5000, exeEnd: 0x5555_5560_1000, heap: 0x5555_5560_2000,
      stack: 0x7ffd_0000_0000, base: 0x7f00_0010_5000, vdso: 0x7f00_000c_e000,
      libc: 0x7eff_ffe4_5000),
  ]

  @Test func bitsThatDifferedIncludeCarriesEntropyDoesNot() {
    let s = AslrAnalysis.stats(.executable, samples: Self.runs)
    #expect(s.distinct == 3 && s.observed == 3)
    // 0x...554000 ^ 0x...653000 = 0x307000 (bits 20 and 21 by carry); ^ 0x...555000 = 0x1000.
    #expect(s.variedBits == "0x307000")
    #expect(s.variedBitCount == 5 && s.lowestVariedBit == 12 && s.highestVariedBit == 21)
    // Offsets from the lowest: 0, 0xff000, 0x1000: OR 0xff000, eight bits.
    #expect(s.entropyBits == 8)
    #expect(s.lowest == "0x555555554000" && s.highest == "0x555555653000")
    #expect(s.spread == 0xff000)
    #expect(AslrAnalysis.entropyBits([]) == 0 && AslrAnalysis.entropyBits([7, 7]) == 0)
  }

  @Test func seriesFindsWhatMovesTogether() {
    let series = AslrAnalysis.series(Self.runs, personality: "default", mmapRandomBits: 28)
    #expect(!series.allSame)
    let vdso = series.stats(.vdso)
    #expect(vdso?.movesWith == .mmapBase)
    #expect(vdso?.distanceBelowMmapBase?.distinct == 1)
    #expect(vdso?.distanceBelowMmapBase?.minimum == 0x37000)
    let libc = series.stats(.libc)
    #expect(libc?.movesWith == nil)
    #expect(libc?.distanceBelowMmapBase?.distinct == 3)
    #expect(libc?.distinctWithin2MiB == 2)
    #expect(libc?.kernelBits == 28)
    let heap = series.stats(.heap)
    #expect(heap?.offsetFromExecutableEnd?.minimum == 0)
    #expect(heap?.offsetFromExecutableEnd?.maximum == 0x3000)
    #expect(heap?.offsetFromExecutableEnd?.distinct == 3)
    #expect(heap?.kernelBits == nil)
    // The stack took two positions; nothing before it kept a fixed distance.
    #expect(series.stats(.stack)?.distinct == 2 && series.stats(.stack)?.movesWith == nil)
    #expect(series.stats(.stack)?.kernelBits == 22)
  }

  @Test func oneLayoutRepeatedIsAllSame() {
    let series = AslrAnalysis.series(
      Array(repeating: Self.runs[0], count: 4), personality: "ADDR_NO_RANDOMIZE",
      mmapRandomBits: nil)
    #expect(series.allSame)
    #expect(series.regions.map(\.region) == AslrRegion.allCases)
    for s in series.regions {
      #expect(s.distinct == 1 && s.variedBits == "0x0" && s.entropyBits == 0)
      #expect(s.lowestVariedBit == nil && s.movesWith == nil)
    }
    #expect(series.stats(.executable)?.kernelBits == nil)
  }

  @Test func probeLocatesThePlacesInAMap() throws {
    let maps =
      [
        "555555554000-555555556000 r--p 00000000 fe:00 1 /usr/bin/prog",
        "555555556000-55555555b000 r-xp 00002000 fe:00 1 /usr/bin/prog",
        "55555555f000-555555560000 rw-p 0000a000 fe:00 1 /usr/bin/prog",
        "555555560000-555555562000 rw-p 00000000 00:00 0 ",
        "555555580000-5555555a1000 rw-p 00000000 00:00 0                          [heap]",
        "7ffff7dd5000-7ffff7dfb000 r--p 00000000 fe:00 2 /usr/lib/x86_64-linux-gnu/libc.so.6",
        "7ffff7dfb000-7ffff7f51000 r-xp 00026000 fe:00 2 /usr/lib/x86_64-linux-gnu/libc.so.6",
        "7ffff7fc8000-7ffff7fca000 r-xp 00000000 00:00 0                          [vdso]",
        "7ffff7fca000-7ffff7fcb000 r--p 00000000 fe:00 3 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        "7ffff7ffd000-7ffff7fff000 rw-p 00033000 fe:00 3 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]",
      ].joined(separator: "\n") + "\n"
    let mappings = try MapsParser.parse(Array(maps.utf8), source: "test")
    let l = AslrProbe.locate(
      mappings, executable: PathBytes("/usr/bin/prog"), interpreterBase: 0x7fff_f7fc_a000)
    #expect(l.executable == 0x5555_5555_4000)
    // The anonymous .bss tail right after the last file page belongs to the executable.
    #expect(l.executableEnd == 0x5555_5556_2000)
    #expect(l.heap == 0x5555_5558_0000)
    #expect(l.libc == 0x7fff_f7dd_5000)
    #expect(l.vdso == 0x7fff_f7fc_8000)
    #expect(l.mmapBase == 0x7fff_f7ff_f000)
    #expect(l.stack == 0x7fff_ffff_f000)
  }
}
