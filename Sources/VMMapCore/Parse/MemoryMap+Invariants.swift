extension MemoryMap {
  /// Checks what every map must satisfy: regions sorted and disjoint, `start < end`, both
  /// page-aligned; with counters, every region has them, `Size` equals the region's size and
  /// the counters agree with each other (`Rss <= Size`, `Pss <= Rss` …).
  ///
  /// The parsers reject input that breaks these, so a failure here after parsing is a bug.
  public func checkInvariants() throws(VMMapError) {
    let what: String =
      switch source {
      case .live(let pid): "memory map of PID \(pid)"
      case .file(let path): path
      }
    func fail(_ index: Int, _ why: String) -> VMMapError {
      let r = regions[index]
      return VMMapError(
        .badData,
        what: "\(what): region \(index) (\(MapsLine.hex(r.start))-\(MapsLine.hex(r.end)))",
        why: why, fix: "this is a bug in vmmap's reader; please report it")
    }
    var previousEnd: UInt64 = 0
    for (i, r) in regions.enumerated() {
      if r.start >= r.end { throw fail(i, "start is not below end") }
      if r.start % MapsLine.pageSize != 0 || r.end % MapsLine.pageSize != 0 {
        throw fail(i, "not page-aligned")
      }
      if i > 0, r.start < previousEnd { throw fail(i, "overlaps or precedes the region before") }
      previousEnd = r.end
      if hasCounters {
        guard let c = r.counters else { throw fail(i, "has no counters") }
        if let why = c.invariantViolation(mappingSize: r.size) { throw fail(i, why) }
      }
    }
    if let rollup, let why = rollup.invariantViolation(mappingSize: nil) {
      throw VMMapError(.badData, what: "\(what): smaps_rollup", why: why)
    }
  }
}
