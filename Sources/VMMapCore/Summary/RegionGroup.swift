/// The sections of the grouped view, in the order they are shown (the seed's layout).
public enum RegionGroup: String, CaseIterable, Sendable {
  case executable = "EXECUTABLE"
  case heap = "HEAP"
  case sharedLibraries = "SHARED LIBRARIES"
  case stack = "STACK"
  case special = "SPECIAL"
  case anonymous = "ANONYMOUS"
  case files = "MAPPED FILES"
  case sharedMemory = "SHARED MEMORY"

  /// The group of region `index` of `map`: ELF objects and what belongs to them (bss tails,
  /// alignment padding) under their object; an arena's unused reservation under the heap;
  /// everything else by kind.
  public init(region index: Int, of map: MemoryMap) {
    switch map.regions[index].classification.kind {
    case .executable: self = .executable
    case .sharedLibrary: self = .sharedLibraries
    case .bss, .reserved:
      if let owner = map.regions[index].classification.owner {
        self = map.isExecutable(owner) ? .executable : .sharedLibraries
      } else if map.regions[index].classification.kind == .reserved, index > 0,
        map.regions[index - 1].classification.kind == .mallocArena,
        map.regions[index - 1].end == map.regions[index].start
      {
        self = .heap
      } else {
        self = .anonymous
      }
    case .heap, .mallocArena: self = .heap
    case .mainStack, .threadStack, .guardPage: self = .stack
    case .vdso, .vvar, .vsyscall, .uprobes: self = .special
    case .anonymous: self = .anonymous
    case .privateFile, .sharedFile, .device: self = .files
    case .sharedAnonymous, .memfd, .sysvShm, .hugetlb: self = .sharedMemory
    }
  }

  /// The group of every region of `map`, in one pass (what the grouped view needs for a
  /// 60,000-region map without a call per region).
  public static func groups(of map: MemoryMap) -> [RegionGroup] {
    map.regions.indices.map { RegionGroup(region: $0, of: map) }
  }

  /// Position in `allCases` (display order), without hashing the raw string.
  public var ordinal: Int {
    switch self {
    case .executable: 0
    case .heap: 1
    case .sharedLibraries: 2
    case .stack: 3
    case .special: 4
    case .anonymous: 5
    case .files: 6
    case .sharedMemory: 7
    }
  }
}

extension MemoryMap {
  /// Whether `path` names the main program (`/proc/PID/exe`; for saved text, the owner of
  /// the regions classified `.executable`).
  public func isExecutable(_ path: PathBytes) -> Bool {
    if let executable { return executable == path }
    return regions.contains {
      $0.classification.kind == .executable && $0.classification.owner == path
    }
  }
}
