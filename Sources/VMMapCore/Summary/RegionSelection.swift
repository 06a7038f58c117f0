/// Which regions a view shows, and in what order: `--kind`, `--sort`, `--top`.
public struct RegionSelection: Hashable, Sendable {
  public enum SortKey: String, CaseIterable, Sendable {
    case addr, size, rss, pss, swap
  }

  /// Only these kinds (empty: all).
  public var kinds: Set<RegionKind>
  /// Order; nil keeps address order (or, with `top`, sorts by RSS when known, else size).
  public var sort: SortKey?
  /// Keep the first N after sorting.
  public var top: Int?

  public init(kinds: Set<RegionKind> = [], sort: SortKey? = nil, top: Int? = nil) {
    self.kinds = kinds
    self.sort = sort
    self.top = top
  }

  public var isEverything: Bool { kinds.isEmpty && top == nil }

  /// The effective sort key for `map`.
  public func sortKey(for map: MemoryMap) -> SortKey {
    if let sort { return sort }
    if top != nil { return map.hasCounters ? .rss : .size }
    return .addr
  }

  /// Indices into `map.regions`, in display order.
  public func apply(to map: MemoryMap) -> [Int] {
    var indices = Array(map.regions.indices)
    if !kinds.isEmpty {
      indices.removeAll { !kinds.contains(map.regions[$0].classification.kind) }
    }
    let key = sortKey(for: map)
    if key != .addr {
      func value(_ i: Int) -> UInt64 {
        let r = map.regions[i]
        switch key {
        case .addr: return r.start
        case .size: return r.size
        case .rss: return r.counters?.rss ?? 0
        case .pss: return r.counters?.pss ?? 0
        case .swap: return r.counters?.swap ?? 0
        }
      }
      // Largest first; ties in address order, so the output is deterministic.
      indices.sort { a, b in
        let va = value(a)
        let vb = value(b)
        return va != vb ? va > vb : a < b
      }
    }
    if let top, top < indices.count { indices.removeSubrange(top...) }
    return indices
  }

  /// "20 of 60,023 regions (kind heap, top 20 by rss)", or nil when every region is shown.
  public func caption(shown: Int, of map: MemoryMap) -> String? {
    guard shown != map.regions.count else { return nil }
    var how: [String] = []
    if !kinds.isEmpty {
      how.append("kind " + kinds.map(\.rawValue).sorted().joined(separator: ","))
    }
    if let top { how.append("top \(top) by \(sortKey(for: map))") }
    let count = "\(thousands(shown)) of \(thousands(map.regions.count)) regions"
    return how.isEmpty ? count : count + " (" + how.joined(separator: ", ") + ")"
  }
}

/// `1,234,567`.
public func thousands(_ n: Int) -> String {
  let digits = String(n.magnitude)
  var out = ""
  for (i, c) in digits.enumerated() {
    if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
    out.append(c)
  }
  return n < 0 ? "-" + out : out
}
