/// One ELF object as mapped in a process: its regions and the segment each one maps.
struct LoadedObject {
  /// One region of the object.
  struct Segment {
    var index: Int
    var role: ELFSegmentRole
    /// Index into the program headers of the `PT_LOAD` this region maps (nil when inferred).
    var header: Int?
  }

  var path: PathBytes
  var identity: FileIdentity
  /// The headers read for it; nil when the layout was inferred from permissions alone.
  var lookup: ELFLookup?
  /// Load bias (`start - p_vaddr`); nil without headers.
  var bias: UInt64?
  var segments: [Segment] = []
  /// `---p` regions between its segments.
  var gaps: [Int] = []
  /// The anonymous region holding the rest of `.bss`.
  var bssTail: Int?
  var isExecutable = false
  var executableEvidence: [String] = []
  var executableCertainty: Certainty = .inferred

  var elf: ELFFile? { lookup?.file }
  var firstIndex: Int { segments.map(\.index).min() ?? 0 }
  var lastIndex: Int { segments.map(\.index).max() ?? 0 }
}
