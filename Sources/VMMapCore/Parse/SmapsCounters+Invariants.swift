extension SmapsCounters {
  /// The first relation between counters that the kernel always keeps and these break, in
  /// words; nil when they are consistent. `mappingSize` is the region's size (nil for rollup).
  ///
  /// Checked: `Size` equals the region size; `Rss <= Size`; `Pss`, `Anonymous` and
  /// `Private_Dirty` are at most `Rss`; `SwapPss <= Swap`; `Swap <= Size`.
  func invariantViolation(mappingSize: UInt64?) -> String? {
    func kB(_ v: UInt64) -> String { "\(v / 1024) kB" }
    if let mappingSize, has(.size), self[.size] != mappingSize {
      return "Size \(kB(self[.size])) differs from the mapping's size \(kB(mappingSize))"
    }
    if has(.size), has(.rss), rss > self[.size] {
      return "Rss \(kB(rss)) exceeds Size \(kB(self[.size]))"
    }
    if has(.size), has(.swap), swap > self[.size] {
      return "Swap \(kB(swap)) exceeds Size \(kB(self[.size]))"
    }
    if has(.rss) {
      // Unrolled: this runs once per region, and an array literal here would allocate.
      if has(.pss), pss > rss { return "Pss \(kB(pss)) exceeds Rss \(kB(rss))" }
      if has(.anonymous), anonymous > rss {
        return "Anonymous \(kB(anonymous)) exceeds Rss \(kB(rss))"
      }
      if has(.privateDirty), privateDirty > rss {
        return "Private_Dirty \(kB(privateDirty)) exceeds Rss \(kB(rss))"
      }
    }
    if has(.swap), has(.swapPss), self[.swapPss] > swap {
      return "SwapPss \(kB(self[.swapPss])) exceeds Swap \(kB(swap))"
    }
    return nil
  }
}
