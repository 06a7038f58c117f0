extension ClassificationPass {
  /// Rule 6: notes every region gets whatever it is: THP, a deleted file, write + execute.
  ///
  /// Edits each label in place and only when a note applies, so the common region (no THP,
  /// not deleted, not writable and executable) costs a few comparisons.
  mutating func addNotes() {
    for i in map.regions.indices {
      // One borrow of the counters for both reads: binding them to a local (`if let`) copies
      // some 250 bytes and retains their arrays, for every region.
      let (huge, flags) =
        map.regions[i].counters.map {
          ($0[.anonHugePages] + $0[.filePmdMapped] + $0[.shmemPmdMapped], $0.vmFlags?.known ?? 0)
        } ?? (0, 0)
      if huge > 0 {
        map.regions[i].classification.usesTHP = true
        map.regions[i].classification.description +=
          "; \(Format.iec(huge)) in transparent huge pages"
        map.regions[i].classification.evidence.append(
          "smaps AnonHugePages/FilePmdMapped/ShmemPmdMapped \(Format.iec(huge))")
      }
      if flags & Self.vmFlagHG != 0 {
        if !map.regions[i].classification.usesTHP {
          map.regions[i].classification.description += "; MADV_HUGEPAGE asked"
        }
        map.regions[i].classification.evidence.append("VmFlags hg: MADV_HUGEPAGE was asked")
      }
      if map.regions[i].isDeleted, !Self.isInherentlyDeleted(map.regions[i].classification.kind) {
        map.regions[i].classification.description += " (file deleted)"
        map.regions[i].classification.evidence.append(
          map.regions[i].resolved != nil
            ? "map_files: the file has no links left (deleted)" : "\" (deleted)\" in maps")
      }
      let permissions = map.regions[i].mapping.permissions
      if permissions.isWritableAndExecutable {
        map.regions[i].classification.description += "; writable and executable"
        map.regions[i].classification.evidence.append(
          "permissions \(permissions): writable and executable at once")
      }
    }
  }

  /// Kinds whose memory is a deleted file by nature: no "(file deleted)" note.
  static func isInherentlyDeleted(_ kind: RegionKind) -> Bool {
    switch kind {
    case .memfd, .sysvShm, .sharedAnonymous, .hugetlb: true
    default: false
    }
  }
}
