/// What `vmmap --aslr` saw: the same specimen started N times with the kernel's randomisation
/// and N times with the `ADDR_NO_RANDOMIZE` personality, each run's positions read from its own
/// `/proc/self/maps` (docs/schema/aslr.schema.json). Addresses are `0x…` strings.
public struct AslrReport: Codable, Hashable, Sendable {
  /// 1 for this layout.
  public var schemaVersion: Int
  public var pageSize: UInt64
  /// Runs per series.
  public var runs: Int
  /// `/proc/sys/kernel/randomize_va_space` (0, 1 or 2); nil when unreadable.
  public var randomizeVASpace: Int?
  /// What that setting randomises, in one sentence.
  public var randomizeVASpaceMeaning: String
  /// `/proc/sys/vm/mmap_rnd_bits`: the random bits (in pages) of the mmap base and of a PIE
  /// executable's load address; nil when unreadable (it is root-only).
  public var mmapRandomBits: Int?
  /// The specimen every run starts (the re-executed vmmap's hidden child).
  public var specimen: String
  /// With `ADDR_NO_RANDOMIZE` cleared (the kernel's default), even when vmmap itself runs
  /// without randomisation.
  public var randomized: AslrSeries
  /// With `ADDR_NO_RANDOMIZE` (what `setarch -R` and gdb set).
  public var notRandomized: AslrSeries
  /// How it works, one paragraph each, from the numbers above.
  public var explanation: [String]
  public var lesson: String
  /// What the children cost together (wait4's rusage, summed).
  public var sandbox: AslrSandboxTotals

  public init(
    pageSize: UInt64, runs: Int, randomizeVASpace: Int?, mmapRandomBits: Int?, specimen: String,
    randomized: AslrSeries, notRandomized: AslrSeries, sandbox: AslrSandboxTotals
  ) {
    schemaVersion = 1
    self.pageSize = pageSize
    self.runs = runs
    self.randomizeVASpace = randomizeVASpace
    randomizeVASpaceMeaning = Self.meaning(of: randomizeVASpace)
    self.mmapRandomBits = mmapRandomBits
    self.specimen = specimen
    self.randomized = randomized
    self.notRandomized = notRandomized
    explanation = []
    lesson = ""
    self.sandbox = sandbox
  }

  /// What `randomize_va_space` randomises (Documentation/admin-guide/sysctl/kernel.rst).
  public static func meaning(of setting: Int?) -> String {
    switch setting {
    case 0: "0: nothing is randomised; every run gets the same addresses"
    case 1:
      "1: the stack, the mmap base (shared libraries, the vdso) and position-independent executables are randomised; the heap (brk) starts right after the executable"
    case 2:
      "2: the stack, the mmap base (shared libraries, the vdso), position-independent executables and the heap (brk) are randomised"
    case let n?: "\(n): a value the kernel documentation does not describe"
    case nil: "unknown: /proc/sys/kernel/randomize_va_space could not be read"
    }
  }
}

/// The places whose position every run records.
public enum AslrRegion: String, Codable, Hashable, Sendable, CaseIterable {
  case executable
  case heap
  case stack
  case mmapBase = "mmap-base"
  case vdso
  case libc

  /// The row label: `mmap base`.
  public var label: String { self == .mmapBase ? "mmap base" : rawValue }

  /// Which address of the region is recorded, and how it is found.
  public var definition: String {
    switch self {
    case .executable:
      "start of the executable's first mapping (its load address: the specimen is a PIE)"
    case .heap: "start of [heap] (start_brk)"
    case .stack: "end of [stack] (the top of the main stack)"
    case .mmapBase:
      "end of the dynamic loader's mapping: the kernel maps the loader first, right below mmap_base, and the mmap area grows down from there"
    case .vdso: "start of [vdso]"
    case .libc: "start of libc.so.6's first mapping (its load address)"
    }
  }
}

/// One run: where things landed in one process.
public struct AslrSample: Codable, Hashable, Sendable {
  public var pid: Int32
  /// `personality(0xffffffff)` as the process saw it, `0x…` (`0x40000` is ADDR_NO_RANDOMIZE).
  public var personality: String
  public var executable: String?
  /// The end of the executable's last mapping, across an anonymous `.bss` tail right after it.
  public var executableEnd: String?
  public var heap: String?
  public var stack: String?
  public var mmapBase: String?
  public var vdso: String?
  public var libc: String?
  /// `getauxval(AT_SYSINFO_EHDR)`: the vdso's address as the kernel told the process.
  public var auxvVdso: String?
  /// `getauxval(AT_BASE)`: the dynamic loader's load address as the kernel told the process.
  public var auxvInterpreterBase: String?

  public init(pid: Int32, personality: UInt32) {
    self.pid = pid
    self.personality = "0x" + String(personality, radix: 16)
  }

  /// The recorded address of `region`, or nil when the run had none.
  public func position(_ region: AslrRegion) -> UInt64? {
    let text: String? =
      switch region {
      case .executable: executable
      case .heap: heap
      case .stack: stack
      case .mmapBase: mmapBase
      case .vdso: vdso
      case .libc: libc
      }
    return text.flatMap(parseHex)
  }
}

/// One series of runs (randomised, or not) and what varied across it.
public struct AslrSeries: Codable, Hashable, Sendable {
  /// `default` (`ADDR_NO_RANDOMIZE` cleared) or `ADDR_NO_RANDOMIZE`.
  public var personality: String
  public var samples: [AslrSample]
  /// One entry per region, in `AslrRegion` order.
  public var regions: [AslrRegionStats]
  /// True when every region had one position in every run.
  public var allSame: Bool

  /// The statistics of `region`.
  public func stats(_ region: AslrRegion) -> AslrRegionStats? {
    regions.first { $0.region == region }
  }
}

/// The positions of one region across a series.
public struct AslrRegionStats: Codable, Hashable, Sendable {
  public var region: AslrRegion
  /// Which address is recorded.
  public var definition: String
  /// Runs in which the region was found.
  public var observed: Int
  /// Distinct positions among them.
  public var distinct: Int
  public var lowest: String?
  public var highest: String?
  /// Highest minus lowest, bytes.
  public var spread: UInt64
  /// The OR of every position XOR the first run's: the bits that differed between runs,
  /// `0x…`. Adding a random offset to a fixed base can carry into bits above the kernel's
  /// range, so this can hold more bits than the kernel drew.
  public var variedBits: String
  public var variedBitCount: Int
  /// The lowest and highest bit set in `variedBits`; nil when nothing varied.
  public var lowestVariedBit: Int?
  public var highestVariedBit: Int?
  /// The bits set in the OR of every position minus the lowest one: the random bits seen,
  /// free of carries (at most what the kernel draws).
  public var entropyBits: Int
  /// The random bits the kernel declares for this region: `mmap_rnd_bits` for the executable,
  /// the mmap base, the vdso and libc; 22 for the stack (`STACK_RND_MASK` on x86-64); nil for
  /// the heap, whose extra offset no sysctl states.
  public var kernelBits: Int?
  /// Where `kernelBits` comes from.
  public var kernelBitsSource: String?
  /// An earlier region (in `AslrRegion` order) whose distance from this one was the same in
  /// every run: the two move together. Nil when the region did not move or moved alone.
  public var movesWith: AslrRegion?
  /// The heap only: its start minus the executable's end, across the runs.
  public var offsetFromExecutableEnd: AslrOffsetStats?
  /// The vdso and libc: the mmap base minus their position, across the runs.
  public var distanceBelowMmapBase: AslrOffsetStats?
  /// Distinct values of the position's low 21 bits (its place inside a 2 MiB block): as many
  /// as `distinct` when the page-level bits are random, fewer when alignment absorbs them.
  public var distinctWithin2MiB: Int
}

/// A distance between two places across runs.
public struct AslrOffsetStats: Codable, Hashable, Sendable {
  public var distinct: Int
  /// Bytes.
  public var minimum: UInt64
  public var maximum: UInt64
  /// The bits set in the OR of every offset minus the smallest one.
  public var entropyBits: Int
}

/// The sandboxed children of one `--aslr`, together.
public struct AslrSandboxTotals: Codable, Hashable, Sendable {
  public var children: Int
  public var minorFaults: Int
  public var userCPUSeconds: Double
  public var systemCPUSeconds: Double
  /// The largest `ru_maxrss` of any child, bytes (a whole re-executed vmmap).
  public var maxRSS: UInt64
  /// From the first spawn to the last reap.
  public var wallSeconds: Double

  public init(
    children: Int, minorFaults: Int, userCPUSeconds: Double, systemCPUSeconds: Double,
    maxRSS: UInt64, wallSeconds: Double
  ) {
    self.children = children
    self.minorFaults = minorFaults
    self.userCPUSeconds = userCPUSeconds
    self.systemCPUSeconds = systemCPUSeconds
    self.maxRSS = maxRSS
    self.wallSeconds = wallSeconds
  }
}

/// `0x1f` → 31; nil for anything else.
func parseHex(_ text: String) -> UInt64? {
  guard text.hasPrefix("0x") else { return nil }
  return UInt64(text.dropFirst(2), radix: 16)
}

/// Numbers as the ASLR views write them.
public enum AslrFormat {
  public static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

  /// Bytes in IEC units, with one decimal when not whole (`1.5 MiB`).
  public static func size(_ bytes: UInt64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"]
    var unit = 0
    var scale: UInt64 = 1
    while unit < units.count - 1 && bytes / scale >= 1024 {
      scale *= 1024
      unit += 1
    }
    if bytes % scale == 0 { return "\("\(bytes / scale)") \(units[unit])" }
    let tenths = Double(bytes) / Double(scale)
    let rounded = Int((tenths * 10).rounded())
    return "\(rounded / 10).\(rounded % 10) \(units[unit])"
  }
}
