import Dispatch
import Glibc
import Synchronization
import VMMapCore

/// The parent side of `vmmap --aslr`: start the specimen `runs` times in sandboxed children
/// with the kernel's randomisation, then `runs` times with `ADDR_NO_RANDOMIZE`, and compare
/// where things landed.
public enum AslrExperiment {
  /// `--runs`' default: 32 runs of each series take about a second here (a child costs about
  /// 10 ms: an exec of vmmap, its runtime's start, one maps file), and 32 runs see every random
  /// bit of a region vary with probability 1 − 2⁻³¹ each.
  public static let defaultRuns = 32
  /// At most this many runs per series (each is a process).
  public static let maximumRuns = 10_000

  /// Runs both series, `parallelism` children at a time. Throws the first child's error
  /// (every run must succeed: a missing run would bias what varied).
  public static func run(
    runs: Int, parallelism: Int = 2, executable: String = "/proc/self/exe"
  ) throws(VMMapError) -> AslrReport {
    let start = ContinuousClock.now
    let experiments =
      Array(repeating: Experiment.aslrSample(noRandomize: false), count: runs)
      + Array(repeating: Experiment.aslrSample(noRandomize: true), count: runs)
    let results = Mutex<[Int: Result<SandboxRun<AslrSample>, VMMapError>]>([:])
    let next = Mutex(0)
    DispatchQueue.concurrentPerform(iterations: max(1, min(parallelism, experiments.count))) {
      _ in
      while true {
        let index = next.withLock { i in
          defer { i += 1 }
          return i
        }
        guard index < experiments.count else { return }
        let result: Result<SandboxRun<AslrSample>, VMMapError>
        do throws(VMMapError) {
          result = .success(
            try Sandbox.run(experiments[index], as: AslrSample.self, executable: executable))
        } catch {
          result = .failure(error)
        }
        results.withLock { $0[index] = result }
      }
    }
    let wall = ContinuousClock.now - start
    let all = results.withLock { $0 }
    var samples: [AslrSample] = []
    var totals = AslrSandboxTotals(
      children: 0, minorFaults: 0, userCPUSeconds: 0, systemCPUSeconds: 0, maxRSS: 0,
      wallSeconds: SandboxUsage.seconds(wall))
    for index in experiments.indices {
      guard let result = all[index] else {
        throw VMMapError(.internalError, what: "experiment aslr", why: "run \(index) did not run")
      }
      let run = try result.get()
      if let usage = run.sandboxUsage {
        totals.children += 1
        totals.minorFaults += usage.minorFaults
        totals.userCPUSeconds += usage.userCPUSeconds
        totals.systemCPUSeconds += usage.systemCPUSeconds
        totals.maxRSS = max(totals.maxRSS, usage.maxRSS)
      }
      guard case .finished(let sample) = run.outcome else {
        throw run.error(experiment: experiments[index])
          ?? VMMapError(.internalError, what: "experiment aslr", why: "no result")
      }
      samples.append(sample)
    }
    let mmapBits = sysctl("/proc/sys/vm/mmap_rnd_bits")
    var report = AslrReport(
      pageSize: UInt64(sysconf(Int32(_SC_PAGESIZE))), runs: runs,
      randomizeVASpace: sysctl("/proc/sys/kernel/randomize_va_space"),
      mmapRandomBits: mmapBits,
      specimen: "vmmap __experiment aslr-sample (vmmap itself, a position-independent executable)",
      randomized: AslrAnalysis.series(
        Array(samples[..<runs]), personality: "default", mmapRandomBits: mmapBits),
      notRandomized: AslrAnalysis.series(
        Array(samples[runs...]), personality: "ADDR_NO_RANDOMIZE", mmapRandomBits: mmapBits),
      sandbox: totals)
    AslrExplainer.explain(&report)
    return report
  }
}

extension AslrExperiment {
  /// A small integer file under /proc/sys; nil when it cannot be read (mmap_rnd_bits is
  /// root-only).
  static func sysctl(_ path: String) -> Int? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 64)
    var n = -1
    repeat {
      n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    } while n < 0 && errno == EINTR
    guard n > 0 else { return nil }
    let text = String(decoding: buffer[..<n], as: UTF8.self)
    return Int(text.filter { $0 != "\n" && $0 != " " })
  }
}

/// What varied across a series: pure functions of the samples (tested on made-up ones).
public enum AslrAnalysis {
  /// `STACK_RND_MASK` for a 64-bit process on x86-64 (`arch/x86/include/asm/elf.h`): the stack
  /// top moves by up to 0x3fffff pages.
  public static let stackRandomBits = 22

  public static func series(_ samples: [AslrSample], personality: String, mmapRandomBits: Int?)
    -> AslrSeries
  {
    var regions: [AslrRegionStats] = []
    for region in AslrRegion.allCases {
      var s = stats(region, samples: samples)
      switch region {
      case .stack:
        s.kernelBits = stackRandomBits
        s.kernelBitsSource = "STACK_RND_MASK 0x3fffff (pages) in arch/x86/include/asm/elf.h"
      case .heap:
        s.offsetFromExecutableEnd = offsets(
          samples.map { x in
            x.position(.heap).flatMap { h in
              x.executableEnd.flatMap(parseHex).flatMap { h >= $0 ? h - $0 : nil }
            }
          })
      default:
        if region == .vdso || region == .libc {
          s.distanceBelowMmapBase = offsets(
            samples.map { x in
              x.position(region).flatMap { p in
                x.position(.mmapBase).flatMap { $0 >= p ? $0 - p : nil }
              }
            })
        }
        if let mmapRandomBits {
          s.kernelBits = mmapRandomBits
          s.kernelBitsSource = "/proc/sys/vm/mmap_rnd_bits (pages)"
        }
      }
      s.movesWith = movesWith(region, samples: samples, distinct: s.distinct)
      regions.append(s)
    }
    return AslrSeries(
      personality: personality, samples: samples, regions: regions,
      allSame: regions.allSatisfy { $0.distinct <= 1 })
  }

  /// The positions of `region` across `samples`.
  public static func stats(_ region: AslrRegion, samples: [AslrSample]) -> AslrRegionStats {
    let positions = samples.compactMap { $0.position(region) }
    let first = positions.first ?? 0
    let lowest = positions.min()
    let highest = positions.max()
    let varied = positions.reduce(UInt64(0)) { $0 | ($1 ^ first) }
    return AslrRegionStats(
      region: region, definition: region.definition, observed: positions.count,
      distinct: Set(positions).count, lowest: lowest.map(hex), highest: highest.map(hex),
      spread: (highest ?? 0) - (lowest ?? 0), variedBits: hex(varied),
      variedBitCount: varied.nonzeroBitCount,
      lowestVariedBit: varied == 0 ? nil : varied.trailingZeroBitCount,
      highestVariedBit: varied == 0 ? nil : 63 - varied.leadingZeroBitCount,
      entropyBits: entropyBits(positions), kernelBits: nil, kernelBitsSource: nil, movesWith: nil,
      offsetFromExecutableEnd: nil, distanceBelowMmapBase: nil,
      distinctWithin2MiB: Set(positions.map { $0 & ((2 << 20) - 1) }).count)
  }

  /// The bits set in the OR of every value minus the smallest: the random bits seen, without
  /// the carries that adding an offset to a fixed base makes in higher bits.
  public static func entropyBits(_ values: [UInt64]) -> Int {
    guard let lowest = values.min() else { return 0 }
    return values.reduce(UInt64(0)) { $0 | ($1 - lowest) }.nonzeroBitCount
  }

  static func offsets(_ values: [UInt64?]) -> AslrOffsetStats? {
    let present = values.compactMap { $0 }
    guard let minimum = present.min(), let maximum = present.max() else { return nil }
    return AslrOffsetStats(
      distinct: Set(present).count, minimum: minimum, maximum: maximum,
      entropyBits: entropyBits(present))
  }

  /// The first region before `region` (in `AslrRegion` order) at the same distance in every
  /// run where both were found; nil when `region` did not move.
  public static func movesWith(_ region: AslrRegion, samples: [AslrSample], distinct: Int)
    -> AslrRegion?
  {
    guard distinct > 1 else { return nil }
    for other in AslrRegion.allCases.prefix(while: { $0 != region }) {
      let distances = samples.compactMap { s -> UInt64? in
        guard let a = s.position(region), let b = s.position(other) else { return nil }
        return a &- b
      }
      if distances.count == samples.count, Set(distances).count == 1 { return other }
    }
    return nil
  }
}
