extension ClassificationPass {
  /// Rule 1: the names the kernel prints, and permissions for the rest.
  mutating func labelByName() {
    for i in map.regions.indices {
      // The common case (tens of thousands of unnamed regions in a big map) builds nothing:
      // the label is one of sixteen made once, the same one `nameLabel` would give.
      if map.regions[i].mapping.rawName.bytes.isEmpty, map.regions[i].resolved == nil,
        !hasHugetlbCounters(i)
      {
        let k = Self.permissionIndex(map.regions[i].mapping.permissions)
        map.regions[i].classification = Self.unnamedLabels[k].label
        claimed[i] = Self.unnamedLabels[k].specific
        continue
      }
      let (c, specific) = nameLabel(map.regions[i])
      label(i, c, claim: specific)
    }
  }

  /// The smaps counters say hugetlbfs (a huge KernelPageSize, or VmFlags `ht`). Reads the
  /// counters in place (a local copy would cost more than the test); an unprinted line is 0.
  private func hasHugetlbCounters(_ i: Int) -> Bool {
    map.regions[i].counters.map {
      $0[.kernelPageSize] > pageSize || ($0.vmFlags?.known ?? 0) & Self.vmFlagHT != 0
    } ?? false
  }

  /// The label `nameLabel` gives an unnamed region (one that is not hugetlbfs memory), by
  /// `permissionIndex`: made once, shared by every such region.
  static let unnamedLabels: [(label: Classification, specific: Bool)] = (0..<16).map { k in
    let p = Permissions(
      read: k & 8 != 0, write: k & 4 != 0, execute: k & 2 != 0, shared: k & 1 != 0)
    if p.isNone {
      return (
        Classification(
          kind: .reserved, description: "PROT_NONE reservation: address space held, no access",
          evidence: ["permissions ---p, no name"], certainty: .observed), false
      )
    }
    if p.shared {
      return (
        Classification(
          kind: .sharedAnonymous, description: "shared anonymous memory",
          evidence: ["permissions \(p), no name"], certainty: .observed), true
      )
    }
    return (
      Classification(
        kind: .anonymous, description: "anonymous memory",
        evidence: ["permissions \(p), no name"], certainty: .observed), false
    )
  }

  /// 0 to 15, one per combination of the four permission characters.
  static func permissionIndex(_ p: Permissions) -> Int {
    (p.read ? 8 : 0) | (p.write ? 4 : 0) | (p.execute ? 2 : 0) | (p.shared ? 1 : 0)
  }

  /// The bit of a VmFlags code in `VMFlags.known` (0 for a code the table does not know).
  static func vmFlagBit(_ code: String) -> UInt64 {
    VMFlags.codes.firstIndex { $0.code == code }.map { 1 << UInt64($0) } ?? 0
  }
  /// `ht`: area uses huge tlb pages.
  static let vmFlagHT = vmFlagBit("ht")
  /// `hg`: MADV_HUGEPAGE was asked.
  static let vmFlagHG = vmFlagBit("hg")

  /// The label a region gets from its name and permissions alone; `specific` is false for the
  /// defaults (anonymous, reservation, file) that later rules may refine.
  func nameLabel(_ r: Region) -> (Classification, specific: Bool) {
    let perms = r.permissions
    let kernelName = "name \(r.mapping.rawName.string) in maps"
    // Names from the kernel are observed; a saved file's path-shaped name may be a real file
    // with an odd name (`x (deleted)`, `/memfd:…`), unless map_files resolved it.
    let nameCertainty: Certainty =
      isLive || r.resolved != nil || !r.mapping.name.isAmbiguous ? .observed : .inferred
    func c(
      _ kind: RegionKind, _ description: String, _ evidence: [String],
      _ certainty: Certainty = .observed
    ) -> Classification {
      Classification(
        kind: kind, description: description, evidence: evidence, certainty: certainty)
    }

    if let huge = hugetlbEvidence(r) {
      return (c(.hugetlb, "hugetlbfs huge pages" + fileSuffix(r), huge), true)
    }

    switch r.mapping.name {
    case .anonymous:
      if perms.isNone {
        return (
          c(
            .reserved, "PROT_NONE reservation: address space held, no access",
            ["permissions ---p, no name"]), false
        )
      }
      if perms.shared {
        return (
          c(.sharedAnonymous, "shared anonymous memory", ["permissions \(perms), no name"]), true
        )
      }
      return (c(.anonymous, "anonymous memory", ["permissions \(perms), no name"]), false)
    case .heap:
      return (c(.heap, "[heap], brk() managed, grows upward", [kernelName]), true)
    case .stack:
      return (
        c(
          .mainStack,
          "main thread stack, grows downward; the kernel keeps a guard gap of stack_guard_gap"
            + " below it", [kernelName]), true
      )
    case .threadStack(let tid):
      var l = c(.threadStack, "thread stack of TID \(tid)", [kernelName + " (kernel before 4.5)"])
      l.threadID = tid
      return (l, true)
    case .vdso:
      return (
        c(.vdso, "vDSO: virtual syscalls, clock_gettime without entering the kernel", [kernelName]),
        true
      )
    case .vvar:
      return (c(.vvar, "vvar: kernel variables read by the vDSO", [kernelName]), true)
    case .vvarVclock:
      return (
        c(.vvar, "vvar_vclock: clock pages read by the vDSO (Linux 6.13+)", [kernelName]), true
      )
    case .vsyscall:
      return (
        c(
          .vsyscall,
          "vsyscall: legacy fixed-address syscalls, above user space; not counted in VmSize",
          [kernelName]), true
      )
    case .uprobes:
      return (c(.uprobes, "uprobes: breakpoint trampolines for user probes", [kernelName]), true)
    case .namedAnonymous(let name):
      return (
        c(
          .anonymous, "anonymous memory named \"\(name.string)\" (PR_SET_VMA_ANON_NAME)",
          [kernelName]), true
      )
    case .namedSharedAnonymous(let name):
      return (
        c(.sharedAnonymous, "shared anonymous memory named \"\(name.string)\"", [kernelName]), true
      )
    case .otherPseudo(let raw):
      return (
        c(.device, "kernel mapping \(raw.string)", [kernelName + ": a pseudo name"], .inferred),
        true
      )
    case .otherName(let raw):
      return (c(.device, "kernel object \(raw.string)", [kernelName]), true)
    case .file:
      return fileLabel(r, kernelName: kernelName, certainty: nameCertainty)
    }
  }

  private func fileLabel(
    _ r: Region, kernelName: String, certainty: Certainty
  ) -> (Classification, specific: Bool) {
    let path = r.filePath ?? r.mapping.name.filePath ?? PathBytes([])
    let perms = r.permissions
    func c(_ kind: RegionKind, _ description: String, _ evidence: [String]) -> Classification {
      Classification(
        kind: kind, description: description, evidence: [kernelName] + evidence,
        certainty: certainty)
    }
    if r.isDeleted, path.bytes == Array("/dev/zero".utf8), perms.shared {
      return (
        c(
          .sharedAnonymous, "shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS)",
          ["the kernel names shared anonymous memory /dev/zero (deleted); shmem inode"]), true
      )
    }
    if r.isDeleted, path.hasPrefix("/memfd:") {
      let name = PathBytes(Array(path.bytes.dropFirst(7))).string
      return (c(.memfd, "memfd \"\(name)\" (memfd_create)", ["/memfd: prefix"]), true)
    }
    if r.isDeleted, path.hasPrefix("/SYSV"), path.bytes.count == 13,
      let key = UInt32(String(decoding: path.bytes.dropFirst(5), as: UTF8.self), radix: 16)
    {
      return (
        c(
          .sysvShm,
          "System V shared memory, key \(Format.hex(UInt64(key))), shmid \(r.mapping.inode)",
          ["/SYSV<key> name; the inode is the shmid"]), true
      )
    }
    if path.hasPrefix("/dev/") {
      return (c(.device, "device \(path.string)", ["/dev/ path"]), true)
    }
    if perms.shared {
      return (c(.sharedFile, "file mapped shared (MAP_SHARED)", ["permissions \(perms)"]), true)
    }
    if perms.isNone {
      return (
        c(.reserved, "PROT_NONE file mapping: address space held, no access", ["permissions ---p"]),
        false
      )
    }
    return (c(.privateFile, "file mapped privately", ["permissions \(perms)"]), false)
  }

  /// Why the region is hugetlbfs memory, or nil.
  func hugetlbEvidence(_ r: Region) -> [String]? {
    if r.isDeleted, r.filePath?.bytes == Array("/anon_hugepage".utf8) {
      return ["name /anon_hugepage (deleted): MAP_HUGETLB anonymous memory"]
    }
    if let counters = r.counters {
      if counters.has(.kernelPageSize), counters[.kernelPageSize] > pageSize {
        return ["smaps KernelPageSize \(Format.iec(counters[.kernelPageSize]))"]
      }
      if let flags = counters.vmFlags, flags.known & Self.vmFlagHT != 0 {
        return ["VmFlags ht: area uses huge tlb pages"]
      }
    }
    return nil
  }

  func fileSuffix(_ r: Region) -> String {
    guard let path = r.filePath else { return "" }
    return " (\(path.string))"
  }
}
