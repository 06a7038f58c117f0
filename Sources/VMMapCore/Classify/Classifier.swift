/// Labels every region of a memory map: what it is, why vmmap thinks so, and how sure it is.
///
/// Works the same on a map read live or from saved text; the `ELFProvider` decides which
/// files stand for the mapped ones. Rules run in order, and a region labelled by an earlier,
/// better-evidenced rule is not relabelled by a later heuristic:
/// 1. names the kernel prints (`[heap]`, `[vdso]`, memfd, SysV, …) and permissions;
/// 2. ELF objects from their program and section headers (segments, bss tail, padding);
/// 3. thread stacks from each thread's stack pointer, and the guard page below each;
/// 4. glibc malloc arenas (64 MiB-aligned `heap_info` layout);
/// 5. thread stacks without a known stack pointer (glibc layout, inferred);
/// 6. notes on every region: THP, `(deleted)`, writable and executable.
public enum Classifier {
  /// Fills `classification` of every region of `map`.
  public static func classify(_ map: inout MemoryMap, elf: some ELFProvider) {
    var pass = ClassificationPass(map: map, elf: elf)
    // Let the pass own the only reference to the regions, so labelling writes in place
    // instead of copying the whole array (and every region in it) on the first write.
    map.regions = []
    pass.run()
    map = pass.map
  }

  /// Classifies with the provider that suits the map's source: map_files for a live process,
  /// the paths on this machine for a saved file.
  public static func classify(_ map: inout MemoryMap) {
    switch map.source {
    case .live(let pid): classify(&map, elf: LiveELFProvider(pid: pid))
    case .file: classify(&map, elf: SavedFileELFProvider())
    }
  }
}

/// The working state of one classification: the map, and which regions a rule has claimed.
struct ClassificationPass {
  var map: MemoryMap
  let elf: any ELFProvider
  /// True once a specific rule labelled the region; heuristics leave claimed regions alone.
  var claimed: [Bool]

  init(map: MemoryMap, elf: any ELFProvider) {
    self.map = map
    self.elf = elf
    claimed = Array(repeating: false, count: map.regions.count)
  }

  var isLive: Bool { map.pid != nil }

  mutating func run() {
    labelByName()
    labelELFObjects()
    labelThreadStacks()
    labelMallocArenas()
    labelInferredThreadStacks()
    addNotes()
  }

  /// Sets the label of region `i` and marks it claimed.
  mutating func label(_ i: Int, _ c: Classification, claim: Bool = true) {
    map.regions[i].classification = c
    if claim { claimed[i] = true }
  }

  /// True when regions `i` and `i + 1` touch (no hole between them).
  func adjacent(_ i: Int, _ j: Int) -> Bool {
    i >= 0 && j < map.regions.count && map.regions[i].end == map.regions[j].start
  }

  /// An unnamed private anonymous region.
  func isPlainAnonymous(_ i: Int) -> Bool {
    // An empty name column is `MappingName.anonymous`; read in place, without copying the region.
    map.regions[i].mapping.rawName.bytes.isEmpty && !map.regions[i].mapping.permissions.shared
  }
}
