extension ClassificationPass {
  /// Writes the labels of one object's segments, bss tail and padding.
  mutating func labelObject(_ object: LoadedObject, executableInterpreter: String?) {
    let kind: RegionKind = object.isExecutable ? .executable : .sharedLibrary
    let certainty: Certainty =
      object.lookup?.certainty == .observed
        && (object.executableCertainty == .observed
          || !object.isExecutable
            && (elf.executableIdentity != nil || map.executable != nil))
      ? .observed : .inferred
    var common: [String] = []
    if let lookup = object.lookup {
      common.append("ELF headers of the mapped file via \(lookup.source)")
      if let file = object.elf {
        var what = "e_type \(file.type.name)"
        if let interp = file.interpreter { what += ", PT_INTERP \(interp)" }
        common.append(what)
      }
    } else {
      common.append("no ELF headers read: segment roles from the order and permissions")
    }
    common += object.executableEvidence
    if !object.isExecutable, let interp = executableInterpreter, object.path.hasSuffix(interp) {
      common.append("the dynamic loader: the executable's PT_INTERP is \(interp)")
    }

    for segment in object.segments {
      let r = map.regions[segment.index]
      var evidence = common
      let sections = sectionNames(object, start: r.start, end: r.end)
      if let file = object.elf, let bias = object.bias, let h = segment.header {
        let p = file.programHeaders[h]
        let n = file.programHeaders[..<h].filter { $0.type == ProgramHeader.load }.count
        evidence.append(
          "PT_LOAD #\(n) \(p.flagString.replacingSpaces) offset \(Format.hex(p.offset)) vaddr "
            + "\(Format.hex(p.virtualAddress)) filesz \(Format.hex(p.fileSize)) memsz "
            + "\(Format.hex(p.memorySize)); load bias \(Format.hex(bias))")
        if segment.role == .relro, let relro = file.relro {
          evidence.append(
            "inside PT_GNU_RELRO \(Format.hex(relro.virtualAddress))+"
              + "\(Format.hex(relro.memorySize)): read-only after relocation")
        }
        if !sections.isEmpty { evidence.append("sections: \(sections.joined(separator: " "))") }
      }
      label(
        segment.index,
        Classification(
          kind: kind, segment: segment.role,
          description: Self.describe(segment.role, sections: sections), evidence: evidence,
          certainty: certainty, owner: object.path, sections: sections))
    }

    if let j = object.bssTail {
      let r = map.regions[j]
      let sections = sectionNames(object, start: r.start, end: r.end)
      var evidence = common
      evidence.append(
        "anonymous rw-p right after the last file-backed segment of \(object.path.lastComponent)"
          + (object.elf != nil ? ", inside its PT_LOAD's memsz" : ""))
      label(
        j,
        Classification(
          kind: .bss, segment: .bss,
          description: Self.describe(.bss, sections: sections)
            + " of \(object.path.lastComponent)",
          evidence: evidence, certainty: object.lookup?.certainty ?? .inferred,
          owner: object.path, sections: sections))
    }

    for g in object.gaps {
      label(
        g,
        Classification(
          kind: .reserved,
          description:
            "alignment padding between segments of \(object.path.lastComponent), PROT_NONE",
          evidence: common + ["---p inside the span of \(object.path.lastComponent)'s segments"],
          certainty: object.lookup?.certainty ?? .inferred, owner: object.path))
    }
  }

  /// The PT_INTERP of the executable object, when its headers were read.
  var executableInterpreter: String? {
    guard let exe = elf.executableIdentity else { return nil }
    for i in map.regions.indices
    where map.regions[i].mapping.inode != 0 && !map.regions[i].permissions.shared {
      let r = map.regions[i]
      if let lookup = elf.headers(for: r), lookup.identity == exe,
        let interp = lookup.file?.interpreter
      {
        return String(PathBytes(interp).lastComponent.string)
      }
    }
    return nil
  }

  /// Allocated sections overlapping `[start, end)` of the object, in address order.
  func sectionNames(_ object: LoadedObject, start: UInt64, end: UInt64) -> [String] {
    guard let file = object.elf, let bias = object.bias else { return [] }
    let lo = start &- bias
    let hi = end &- bias
    return file.sections.filter { s in
      // .tbss (NOBITS + TLS) shares addresses with the sections after it.
      s.isAllocated && s.size > 0 && !s.name.isEmpty && !(s.isNoBits && s.flags & 0x400 != 0)
        && s.address < hi && s.addressEnd > lo
    }
    .sorted { $0.address < $1.address }
    .map(\.name)
  }

  /// One line for people: `.text (code: .text .plt .init .fini)`.
  static func describe(_ role: ELFSegmentRole, sections: [String]) -> String {
    let (name, what): (String, String) =
      switch role {
      case .headers: ("ELF headers", "read-only")
      case .text: (".text", "code")
      case .rodata: (".rodata", "read-only data")
      case .relro: ("RELRO", "read-only after relocation")
      case .data: (".data", "initialised data")
      case .bss: (".bss", "zero-initialised data")
      }
    return sections.isEmpty
      ? "\(name) (\(what))" : "\(name) (\(what): \(Format.sectionList(sections)))"
  }
}

extension String {
  /// `R E` → `R-E`, for evidence that reads as one word.
  fileprivate var replacingSpaces: String {
    String(map { $0 == " " ? "-" : $0 })
  }
}
