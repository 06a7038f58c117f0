extension ClassificationPass {
  /// Rule 3: each thread's stack from its stack pointer, and the guard page right below it.
  mutating func labelThreadStacks() {
    let mainTID = map.pid ?? map.status?.tgid
    for thread in map.threads {
      guard let sp = thread.stackPointer, let i = map.regionIndex(containing: sp) else { continue }
      let source = thread.stackPointerSource ?? "task/\(thread.tid)/syscall"
      let spEvidence = "sp \(Format.hex(sp)) of TID \(thread.tid) from \(source)"
      let kind = map.regions[i].classification.kind
      if kind == .mainStack || thread.tid == mainTID {
        if kind == .mainStack { map.regions[i].classification.evidence.append(spEvidence) }
        continue
      }
      guard !map.regions[i].permissions.isNone, !map.regions[i].permissions.shared,
        [.anonymous, .threadStack].contains(kind)
      else { continue }
      if kind == .threadStack, map.regions[i].classification.threadID != thread.tid,
        map.regions[i].classification.threadID != nil
      {
        continue
      }
      label(
        i,
        Classification(
          kind: .threadStack, description: "thread stack of TID \(thread.tid)",
          evidence: [spEvidence], certainty: .observed, threadID: thread.tid))
      labelGuard(below: i, threadID: thread.tid, certainty: .observed)
    }
    // The main stack has no guard mapping (stack_guard_gap is a gap), but a ---p right below
    // it still guards it.
    for i in map.regions.indices where map.regions[i].classification.kind == .mainStack {
      labelGuard(below: i, threadID: nil, certainty: .observed)
    }
  }

  /// Labels the `---p` region directly below stack `i` as its guard page.
  mutating func labelGuard(below i: Int, threadID: Int32?, certainty: Certainty) {
    let g = i - 1
    guard g >= 0, adjacent(g, i), map.regions[g].permissions.isNone, !claimed[g] else { return }
    let whose = threadID.map { "the stack of TID \($0)" } ?? "the stack above it"
    label(
      g,
      Classification(
        kind: .guardPage,
        description: "guard page of \(whose): PROT_NONE, an overflow faults here",
        evidence: ["---p directly below \(whose) (glibc mprotects the lowest pages)"],
        certainty: certainty, threadID: threadID))
  }

  /// Rule 5: stacks of threads whose stack pointer is unknown, from glibc's layout: an
  /// anonymous `rw-p` region with a small `---p` guard directly below it, of a typical
  /// pthread stack size (a power of two, 16 KiB to 64 MiB; glibc's default is RLIMIT_STACK,
  /// often 8 MiB, and the guard is added on top).
  mutating func labelInferredThreadStacks() {
    for i in map.regions.indices.dropFirst() where looksLikeThreadStack(i) {
      let size = map.regions[i].size
      label(
        i,
        Classification(
          kind: .threadStack, description: "probably a thread stack (glibc layout)",
          evidence: [
            "anonymous rw-p of \(Format.iec(size)) with a \(Format.iec(map.regions[i - 1].size))"
              + " ---p guard directly below: glibc's pthread stack layout; no thread's sp in it"
          ],
          certainty: .inferred))
      labelGuard(below: i, threadID: nil, certainty: .inferred)
    }
  }

  /// O(1): looks only at region `i` and the one below it. The cheap tests on permissions
  /// come first, so most regions of a big map are rejected without reading anything else.
  private func looksLikeThreadStack(_ i: Int) -> Bool {
    let g = i - 1
    let perms = map.regions[i].mapping.permissions
    guard perms.read, perms.write, !perms.execute, map.regions[g].mapping.permissions.isNone,
      !claimed[i], !claimed[g], adjacent(g, i), isPlainAnonymous(i), isPlainAnonymous(g)
    else { return false }
    return map.regions[g].size <= 64 * 1024 && Self.isTypicalStackSize(map.regions[i].size)
  }

  static func isTypicalStackSize(_ size: UInt64) -> Bool {
    size >= 16 * 1024 && size <= 64 << 20 && size & (size - 1) == 0
  }
}
