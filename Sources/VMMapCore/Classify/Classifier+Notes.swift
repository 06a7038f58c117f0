extension ClassificationPass {
  /// Rule 6: notes every region gets whatever it is: THP, a deleted file, write + execute.
  mutating func addNotes() {
    for i in map.regions.indices {
      let r = map.regions[i]
      var c = r.classification
      if let counters = r.counters {
        let huge =
          counters[.anonHugePages] + counters[.filePmdMapped] + counters[.shmemPmdMapped]
        if huge > 0 {
          c.usesTHP = true
          c.description += "; \(Format.iec(huge)) in transparent huge pages"
          c.evidence.append("smaps AnonHugePages/FilePmdMapped/ShmemPmdMapped \(Format.iec(huge))")
        }
        if let flags = counters.vmFlags, flags.contains("hg") {
          if !c.usesTHP { c.description += "; MADV_HUGEPAGE asked" }
          c.evidence.append("VmFlags hg: MADV_HUGEPAGE was asked")
        }
      }
      let inherentlyDeleted: [RegionKind] = [.memfd, .sysvShm, .sharedAnonymous, .hugetlb]
      if r.isDeleted, !inherentlyDeleted.contains(c.kind) {
        c.description += " (file deleted)"
        c.evidence.append(
          r.resolved != nil
            ? "map_files: the file has no links left (deleted)" : "\" (deleted)\" in maps")
      }
      if r.permissions.isWritableAndExecutable {
        c.description += "; writable and executable"
        c.evidence.append("permissions \(r.permissions): writable and executable at once")
      }
      map.regions[i].classification = c
    }
  }
}
