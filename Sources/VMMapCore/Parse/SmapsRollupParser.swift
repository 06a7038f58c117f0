/// Parses `/proc/PID/smaps_rollup`: one header (`start-end ---p 00000000 00:00 0  [rollup]`)
/// and the summed counters, including `Pss_Anon`, `Pss_File` and `Pss_Shmem`.
public enum SmapsRollupParser {
  /// The counters of the rollup; throws `.badData` unless there is exactly one entry.
  public static func parse(_ bytes: [UInt8], source: String) throws(VMMapError) -> SmapsCounters {
    let regions = try SmapsParser.parse(bytes, source: source)
    guard regions.count == 1, let counters = regions[0].counters else {
      throw VMMapError(
        .badData, what: source,
        why: "expected exactly one [rollup] entry, found \(regions.count)",
        fix: "pass the contents of /proc/PID/smaps_rollup")
    }
    return counters
  }
}
