extension ClassificationPass {
  /// glibc's `HEAP_MAX_SIZE` on 64-bit: 2 × DEFAULT_MMAP_THRESHOLD_MAX = 64 MiB.
  static let heapMaxSize: UInt64 = 64 << 20

  /// Rule 4: non-main malloc arenas. glibc maps each `heap_info` as a 64 MiB-aligned
  /// reservation, makes the used part `rw-p` and leaves the rest `---p`.
  mutating func labelMallocArenas() {
    let evidence = "64 MiB-aligned rw-p + ---p reservation: glibc heap_info layout"
    for i in map.regions.indices {
      // Alignment first: it rejects almost every region without reading more of it.
      guard map.regions[i].start % Self.heapMaxSize == 0, !claimed[i], isPlainAnonymous(i)
      else { continue }
      let r = map.regions[i]
      guard r.permissions.read, r.permissions.write, !r.permissions.execute else { continue }
      // A stack-shaped region (small guard right below, power-of-two size) is not an arena.
      if i > 0, adjacent(i - 1, i), map.regions[i - 1].permissions.isNone,
        map.regions[i - 1].size <= 64 * 1024, Self.isTypicalStackSize(r.size)
      {
        continue
      }
      let next = i + 1
      let hasRest =
        next < map.regions.count && adjacent(i, next) && isPlainAnonymous(next)
        && map.regions[next].permissions.isNone && !claimed[next]
        && r.size + map.regions[next].size <= Self.heapMaxSize
      guard hasRest || r.size == Self.heapMaxSize else { continue }
      label(
        i,
        Classification(
          kind: .mallocArena,
          description: "glibc malloc arena of a non-main thread (\(Format.iec(r.size)) in use)",
          evidence: [evidence], certainty: .inferred))
      if hasRest {
        label(
          next,
          Classification(
            kind: .reserved,
            description: "unused part of the malloc arena's 64 MiB reservation, PROT_NONE",
            evidence: [evidence], certainty: .inferred))
      }
    }
  }
}
