/// Unmapped address space between two consecutive regions.
public struct Gap: Hashable, Sendable {
  public var start: UInt64
  public var end: UInt64
  /// Index of the region before the gap (nil: the gap starts at address 0).
  public var before: Int?
  /// Index of the region after the gap (nil: the gap runs to the top of user space).
  public var after: Int?

  public init(start: UInt64, end: UInt64, before: Int?, after: Int?) {
    self.start = start
    self.end = end
    self.before = before
    self.after = after
  }

  public var size: UInt64 { end - start }
}

extension MemoryMap {
  /// The gaps between consecutive regions, in address order (regions must be sorted).
  ///
  /// Only gaps inside user space are listed: not the space below the first region, and not
  /// across `[vsyscall]`, which sits above user space.
  public var gaps: [Gap] {
    var result: [Gap] = []
    let top = AddressSpace.current.userTop
    var previous: Int?
    for i in regions.indices where regions[i].start < top {
      if let p = previous, regions[p].end < regions[i].start {
        result.append(Gap(start: regions[p].end, end: regions[i].start, before: p, after: i))
      }
      previous = i
    }
    return result
  }

  /// The gap that holds `address`, if no region does.
  public func gap(containing address: UInt64) -> Gap {
    var lo = 0
    var hi = regions.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if regions[mid].end <= address { lo = mid + 1 } else { hi = mid }
    }
    let before = lo > 0 ? lo - 1 : nil
    let after = lo < regions.count ? lo : nil
    return Gap(
      start: before.map { regions[$0].end } ?? 0,
      end: after.map { regions[$0].start } ?? AddressSpace.current.userTop,
      before: before, after: after)
  }
}
