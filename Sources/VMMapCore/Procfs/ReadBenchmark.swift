#if canImport(Glibc)
  import Glibc
#endif

/// Times the smaps reader on a live process, for `bench/` and the CLI's hidden timing mode.
///
/// Compare against `cat /proc/PID/smaps > /dev/null` (the kernel's own cost, BASELINES.md §1).
public enum ReadBenchmark {
  /// What one timed read did.
  public struct Sample: Hashable, Sendable {
    /// Bytes of smaps text read.
    public var bytes: Int
    /// Regions parsed (0 when `parse` was false).
    public var regions: Int
    public var nanoseconds: UInt64
  }

  /// Reads `/proc/PID/smaps` once through the streaming reader, parsing it unless `parse` is
  /// false (then only the reads are timed), on two threads when `pipelined`.
  public static func smaps(pid: Int32, parse: Bool = true, pipelined: Bool = true)
    throws(VMMapError) -> Sample
  {
    let reader = try ProcessReader(pid: pid)
    reader.readsOnSecondThread = pipelined
    let start = now()
    var bytes = 0
    var regions = 0
    if parse {
      regions = try reader.readRegions().count
      bytes = -1
    } else {
      try reader.stream("smaps") { (chunk) throws(VMMapError) in bytes += chunk.count }
    }
    return Sample(bytes: bytes, regions: regions, nanoseconds: now() - start)
  }

  static func now() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
  }
}
