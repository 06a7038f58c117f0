import VMMapCore

/// The bands and gaps of the address-space figure, in address order: regions merged so that a
/// 60,000-region map stays small and readable.
///
/// 1. Neighbouring regions (no gap between them) of the same kind and label become one band
///    ("libc.so.6: 5 regions").
/// 2. While there are more rows (bands, and the gaps between and around them) than `maxRows`,
///    the two neighbouring bands whose union spans the fewest bytes merge (ties: the lower
///    address first), absorbing the gap between them. So small neighbours merge first and a
///    large gap is absorbed only when nothing smaller is left; it runs in O(n log n) with a
///    heap.
/// 3. What is left between bands is a gap, drawn compressed and labelled with its real size.
struct AddressSpaceLayout {
  struct KindShare: Hashable {
    var kind: RegionKind
    var count: Int
    var bytes: UInt64
  }

  struct Band: Hashable {
    var start: UInt64
    var end: UInt64
    var regionCount: Int
    /// Bytes mapped; less than `end - start` when the band absorbed gaps.
    var mappedBytes: UInt64
    /// Regions and bytes per kind, in `RegionKind.ordinal` order.
    var kinds: [KindShare]
    /// The label every region in the band shares, or nil.
    var commonLabel: [UInt8]?
    /// Labels of the lowest and the highest region.
    var firstLabel: [UInt8]
    var lastLabel: [UInt8]

    var span: UInt64 { end - start }

    /// The kind with the most bytes (ties: the earlier kind); it colours the band.
    var dominantKind: RegionKind {
      var best = kinds[0]
      for share in kinds.dropFirst() where share.bytes > best.bytes { best = share }
      return best.kind
    }

    init(_ region: AddressSpaceFigure.Region) {
      start = region.start
      end = region.end
      regionCount = 1
      mappedBytes = region.end - region.start
      kinds = [KindShare(kind: region.kind, count: 1, bytes: mappedBytes)]
      commonLabel = region.label
      firstLabel = region.label
      lastLabel = region.label
    }

    /// Takes in `upper`, the band right above this one.
    mutating func absorb(_ upper: Band) {
      end = upper.end
      regionCount += upper.regionCount
      mappedBytes += upper.mappedBytes
      var merged: [KindShare] = []
      merged.reserveCapacity(kinds.count + upper.kinds.count)
      var i = 0
      var j = 0
      while i < kinds.count || j < upper.kinds.count {
        if j == upper.kinds.count
          || (i < kinds.count && kinds[i].kind.ordinal < upper.kinds[j].kind.ordinal)
        {
          merged.append(kinds[i])
          i += 1
        } else if i == kinds.count || upper.kinds[j].kind.ordinal < kinds[i].kind.ordinal {
          merged.append(upper.kinds[j])
          j += 1
        } else {
          var share = kinds[i]
          share.count += upper.kinds[j].count
          share.bytes += upper.kinds[j].bytes
          merged.append(share)
          i += 1
          j += 1
        }
      }
      kinds = merged
      if commonLabel != upper.commonLabel { commonLabel = nil }
      lastLabel = upper.lastLabel
    }
  }

  struct Gap: Hashable {
    var start: UInt64
    var end: UInt64
    var size: UInt64 { end - start }
  }

  enum Item: Hashable {
    case band(Band)
    case gap(Gap)
  }

  /// Bands and gaps, lowest address first.
  let items: [Item]
  /// Regions in the input.
  let regionCount: Int

  /// `regions` must be sorted and disjoint (`AddressSpaceFigure` checks). The gap below the
  /// lowest region starts at `lowestAddress`; with `highestAddress`, a gap above the highest
  /// region reaches it.
  init(
    regions: [AddressSpaceFigure.Region], maxRows: Int, lowestAddress: UInt64 = 0,
    highestAddress: UInt64? = nil
  ) {
    regionCount = regions.count
    var bands: [Band] = []
    bands.reserveCapacity(regions.count)
    for region in regions {
      if var last = bands.last, last.end == region.start, last.kinds.count == 1,
        last.kinds[0].kind == region.kind, last.commonLabel == region.label
      {
        last.absorb(Band(region))
        bands[bands.count - 1] = last
      } else {
        bands.append(Band(region))
      }
    }
    // Rows left for bands and the gaps between them, after the gaps below and above.
    var outerGaps = 0
    if let first = bands.first, first.start > lowestAddress { outerGaps += 1 }
    if let last = bands.last, let highestAddress, highestAddress > last.end { outerGaps += 1 }
    let limit = max(1, maxRows - outerGaps)
    if Self.rows(bands) > limit { bands = Self.merge(bands, to: limit) }

    var items: [Item] = []
    items.reserveCapacity(bands.count * 2 + 2)
    var cursor = lowestAddress
    for band in bands {
      if band.start > cursor { items.append(.gap(Gap(start: cursor, end: band.start))) }
      items.append(.band(band))
      cursor = band.end
    }
    if let highestAddress, highestAddress > cursor {
      items.append(.gap(Gap(start: cursor, end: highestAddress)))
    }
    self.items = items
  }

  /// Bands plus the gaps between them.
  private static func rows(_ bands: [Band]) -> Int {
    var rows = bands.count
    for i in bands.indices.dropFirst() where bands[i].start > bands[i - 1].end { rows += 1 }
    return rows
  }

  /// Merges neighbouring bands, the pair with the smallest union first, until they and the
  /// gaps between them make at most `limit` rows.
  private static func merge(_ input: [Band], to limit: Int) -> [Band] {
    var bands = input
    let n = bands.count
    var next = Array(1...n)  // n means none
    var prev = Array(-1..<(n - 1))
    var alive = [Bool](repeating: true, count: n)
    var version = [Int](repeating: 0, count: n)
    var heap = PairHeap()
    for i in 0..<(n - 1) {
      heap.push(.init(cost: bands[i + 1].end - bands[i].start, left: i, version: 0))
    }
    var count = rows(bands)
    while count > limit, let pair = heap.pop() {
      let i = pair.left
      guard alive[i], version[i] == pair.version, next[i] < n else { continue }
      let j = next[i]
      if bands[j].start > bands[i].end { count -= 1 }  // the gap between them goes
      bands[i].absorb(bands[j])
      alive[j] = false
      next[i] = next[j]
      if next[j] < n { prev[next[j]] = i }
      count -= 1
      version[i] += 1
      if next[i] < n {
        heap.push(.init(cost: bands[next[i]].end - bands[i].start, left: i, version: version[i]))
      }
      let p = prev[i]
      if p >= 0 {
        version[p] += 1
        heap.push(.init(cost: bands[i].end - bands[p].start, left: p, version: version[p]))
      }
    }
    var out: [Band] = []
    out.reserveCapacity(limit)
    for i in 0..<n where alive[i] { out.append(bands[i]) }
    return out
  }
}

/// A binary min-heap of neighbour pairs, by union span, then address.
private struct PairHeap {
  struct Pair {
    var cost: UInt64
    var left: Int
    var version: Int

    func precedes(_ other: Pair) -> Bool {
      cost != other.cost ? cost < other.cost : left < other.left
    }
  }

  private var storage: [Pair] = []

  mutating func push(_ pair: Pair) {
    storage.append(pair)
    var child = storage.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard storage[child].precedes(storage[parent]) else { break }
      storage.swapAt(child, parent)
      child = parent
    }
  }

  mutating func pop() -> Pair? {
    guard let top = storage.first else { return nil }
    let last = storage.removeLast()
    if storage.isEmpty { return top }
    storage[0] = last
    var parent = 0
    while true {
      let left = 2 * parent + 1
      let right = left + 1
      var smallest = parent
      if left < storage.count && storage[left].precedes(storage[smallest]) { smallest = left }
      if right < storage.count && storage[right].precedes(storage[smallest]) { smallest = right }
      if smallest == parent { break }
      storage.swapAt(parent, smallest)
      parent = smallest
    }
    return top
  }
}
