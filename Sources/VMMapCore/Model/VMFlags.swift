/// The two-letter codes of a smaps `VmFlags:` line (Documentation/filesystems/proc.rst).
public struct VMFlags: Hashable, Sendable, CustomStringConvertible {
  /// Known codes, one bit each (bit = index in `VMFlags.codes`).
  public var known: UInt64
  /// Codes this table does not know, in the order printed.
  public var unknown: [String]

  public init(known: UInt64 = 0, unknown: [String] = []) {
    self.known = known
    self.unknown = unknown
  }

  /// Every code proc.rst documents, with its meaning.
  public static let codes: [(code: String, meaning: String)] = [
    ("rd", "readable"), ("wr", "writeable"), ("ex", "executable"), ("sh", "shared"),
    ("mr", "may read"), ("mw", "may write"), ("me", "may execute"), ("ms", "may share"),
    ("gd", "stack segment grows down"), ("pf", "pure PFN range"),
    ("dw", "disabled write to the mapped file"),
    ("lo", "pages are locked in memory"), ("io", "memory mapped I/O area"),
    ("sr", "sequential read advise provided"), ("rr", "random read advise provided"),
    ("dc", "do not copy area on fork"), ("de", "do not expand area on remapping"),
    ("ac", "area is accountable"), ("nr", "swap space is not reserved for the area"),
    ("ht", "area uses huge tlb pages"), ("sf", "synchronous page fault"),
    ("nl", "non-linear mapping"), ("ar", "architecture specific flag"),
    ("wf", "wipe on fork"), ("dd", "do not include area into core dump"),
    ("sd", "soft dirty flag"), ("mm", "mixed map area"), ("hg", "huge page advise flag"),
    ("nh", "no huge page advise flag"), ("mg", "mergeable advise flag"),
    ("bt", "arm64 BTI guarded page"), ("mt", "arm64 MTE allocation tags are enabled"),
    ("um", "userfaultfd missing tracking"), ("uw", "userfaultfd wr-protect tracking"),
    ("ui", "userfaultfd minor fault"), ("ss", "shadow stack page"),
    ("sl", "sealed"), ("lf", "lock on fault pages"), ("dp", "always lazily freeable mapping"),
    ("gu", "guard region"),
  ]

  private static let index: [UInt16: Int] = {
    var d: [UInt16: Int] = [:]
    for (i, c) in codes.enumerated() {
      let u = Array(c.code.utf8)
      d[UInt16(u[0]) << 8 | UInt16(u[1])] = i
    }
    return d
  }()

  /// Parses the text after `VmFlags:` (codes separated by spaces).
  public init<C: Collection>(line: C) where C.Element == UInt8 {
    self.init()
    var word: [UInt8] = []
    func flush() {
      defer { word.removeAll(keepingCapacity: true) }
      guard !word.isEmpty else { return }
      if word.count == 2, let i = VMFlags.index[UInt16(word[0]) << 8 | UInt16(word[1])] {
        known |= 1 << UInt64(i)
      } else {
        unknown.append(String(decoding: word, as: UTF8.self))
      }
    }
    for b in line {
      if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") { flush() } else { word.append(b) }
    }
    flush()
  }

  public func contains(_ code: String) -> Bool {
    let u = Array(code.utf8)
    guard u.count == 2, let i = VMFlags.index[UInt16(u[0]) << 8 | UInt16(u[1])] else {
      return unknown.contains(code)
    }
    return known & (1 << UInt64(i)) != 0
  }

  /// The codes in table order, then unknown ones.
  public var codeList: [String] {
    VMFlags.codes.indices.filter { known & (1 << UInt64($0)) != 0 }.map { VMFlags.codes[$0].code }
      + unknown
  }

  public var description: String { codeList.joined(separator: " ") }
}
