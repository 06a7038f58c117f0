extension ClassificationPass {
  /// Rule 2: ELF objects, from the headers of the mapped files or, without them, from the
  /// order and permissions of a file's regions.
  mutating func labelELFObjects() {
    var objects = findObjectsFromHeaders()
    objects += findObjectsFromLayout()
    objects.sort { $0.firstIndex < $1.firstIndex }
    for k in objects.indices {
      findBSSTail(&objects[k])
      findGaps(&objects[k])
    }
    decideExecutable(&objects)
    let interp = executableInterpreter
    for object in objects { labelObject(object, executableInterpreter: interp) }
  }

  /// A file-backed private region that might be an ELF segment.
  func isSegmentCandidate(_ i: Int) -> Bool {
    // Cheap tests first, in place; anonymous regions (inode 0) never get to `filePath`.
    let perms = map.regions[i].mapping.permissions
    guard !claimed[i], map.regions[i].mapping.inode != 0, !perms.shared, !perms.isNone,
      map.regions[i].classification.kind == .privateFile
    else { return false }
    return map.regions[i].filePath != nil
  }

  private func findObjectsFromHeaders() -> [LoadedObject] {
    struct Key: Hashable {
      var identity: FileIdentity
      var bias: UInt64
    }
    typealias Match = (header: Int, bias: UInt64, role: ELFSegmentRole)
    var candidates: [(index: Int, lookup: ELFLookup, matches: [Match])] = []
    // Biases of regions that match exactly one PT_LOAD settle the ambiguous ones (a page
    // shared by the end of .eh_frame and the start of RELRO matches two PT_LOADs).
    var settled: [FileIdentity: Set<UInt64>] = [:]
    for i in map.regions.indices where isSegmentCandidate(i) {
      let r = map.regions[i]
      guard let lookup = elf.headers(for: r), let file = lookup.file else { continue }
      let matches = Self.matchSegments(r, file)
      guard !matches.isEmpty else { continue }
      candidates.append((i, lookup, matches))
      if matches.count == 1 {
        settled[FileIdentity(mapping: r.mapping), default: []].insert(matches[0].bias)
      }
    }
    var byKey: [Key: LoadedObject] = [:]
    for (i, lookup, matches) in candidates {
      let r = map.regions[i]
      let identity = FileIdentity(mapping: r.mapping)
      let known = settled[identity] ?? []
      let match = matches.first { known.contains($0.bias) } ?? matches[0]
      let key = Key(identity: identity, bias: match.bias)
      var object =
        byKey[key]
        ?? LoadedObject(
          path: r.filePath ?? PathBytes([]), identity: identity, lookup: lookup, bias: match.bias)
      object.segments.append(.init(index: i, role: match.role, header: match.header))
      byKey[key] = object
    }
    return Array(byKey.values)
  }

  /// The `PT_LOAD`s a region may map (by file offset and permissions), best first.
  static func matchSegments(
    _ r: Region, _ file: ELFFile
  ) -> [(header: Int, bias: UInt64, role: ELFSegmentRole)] {
    let perms = r.permissions
    let relro = file.relro
    var found: [(header: Int, bias: UInt64, role: ELFSegmentRole, score: Int)] = []
    for (k, p) in file.programHeaders.enumerated()
    where p.type == ProgramHeader.load && p.fileSize > 0 {
      let offsetDown = pageDown(p.offset)
      let (fileEnd, overflow) = p.offset.addingReportingOverflow(p.fileSize)
      guard !overflow, r.mapping.offset >= offsetDown, r.mapping.offset < pageUp(fileEnd),
        perms.execute == p.isExecutable, !perms.write || p.isWritable
      else { continue }
      let vaddr = pageDown(p.virtualAddress) &+ (r.mapping.offset - offsetDown)
      guard r.start >= vaddr else { continue }
      let role: ELFSegmentRole
      var score = 2
      if p.isExecutable {
        role = .text
      } else if p.isWritable {
        if !perms.write, let relro, vaddr >= pageDown(relro.virtualAddress),
          vaddr < pageUp(relro.memoryEnd)
        {
          role = .relro
        } else {
          role = .data
          if !perms.write { score = 1 }
        }
      } else {
        role = offsetDown == 0 ? .headers : .rodata
      }
      found.append((k, r.start - vaddr, role, score))
    }
    return found.sorted { $0.score > $1.score }.map { ($0.header, $0.bias, $0.role) }
  }

  /// Objects whose headers could not be read: runs of one file's regions that include code.
  private func findObjectsFromLayout() -> [LoadedObject] {
    var objects: [LoadedObject] = []
    var i = 0
    let regions = map.regions
    while i < regions.count {
      guard isSegmentCandidate(i), headersUnavailable(regions[i]) else {
        i += 1
        continue
      }
      let identity = FileIdentity(mapping: regions[i].mapping)
      var run = [i]
      var j = i + 1
      while j < regions.count, adjacent(j - 1, j) {
        let r = regions[j]
        let sameFile = r.mapping.inode != 0 && FileIdentity(mapping: r.mapping) == identity
        if sameFile && (isSegmentCandidate(j) || r.permissions.isNone) {
          run.append(j)
          j += 1
        } else {
          break
        }
      }
      defer { i = j }
      guard run.contains(where: { regions[$0].permissions.execute }) else { continue }
      var object = LoadedObject(
        path: regions[i].filePath ?? PathBytes([]), identity: identity, lookup: nil, bias: nil)
      for (n, k) in run.enumerated() {
        let p = regions[k].permissions
        if p.isNone {
          object.gaps.append(k)
          continue
        }
        let role: ELFSegmentRole
        if p.execute {
          role = .text
        } else if p.write {
          role = .data
        } else if n == 0 && regions[k].mapping.offset == 0 {
          role = .headers
        } else if n + 1 < run.count, regions[run[n + 1]].permissions.write {
          role = .relro
        } else {
          role = .rodata
        }
        object.segments.append(.init(index: k, role: role, header: nil))
      }
      objects.append(object)
    }
    return objects
  }

  /// True when no headers will be read for this region (no provider file, or unreadable), as
  /// opposed to headers that say "not ELF".
  private func headersUnavailable(_ r: Region) -> Bool {
    guard let lookup = elf.headers(for: r) else { return true }
    switch lookup.result {
    case .success: return false  // ELF, but at no PT_LOAD position: mapped as data
    case .failure(let e):
      if case .system = e.reason { return true }
      return false
    }
  }

  /// The anonymous `rw-p` region right after the object's last data segment, inside the
  /// memory size of that segment's `PT_LOAD`.
  private func findBSSTail(_ object: inout LoadedObject) {
    guard let last = object.segments.filter({ $0.role == .data }).max(by: { $0.index < $1.index })
    else { return }
    let j = last.index + 1
    guard j < map.regions.count, adjacent(last.index, j), isPlainAnonymous(j), !claimed[j],
      map.regions[j].permissions.read, map.regions[j].permissions.write,
      !map.regions[j].permissions.execute
    else { return }
    if let file = object.elf, let bias = object.bias, let h = last.header {
      let p = file.programHeaders[h]
      guard p.memorySize > p.fileSize else { return }
      let tailEnd = bias &+ pageUp(p.memoryEnd)
      guard map.regions[j].end <= tailEnd else { return }
    }
    object.bssTail = j
  }

  /// `---p` regions inside the object's span: padding ld.so leaves between segments.
  private func findGaps(_ object: inout LoadedObject) {
    let first = object.firstIndex
    let last = max(object.lastIndex, object.bssTail ?? 0)
    guard first < last else { return }
    for k in first...last where !claimed[k] && map.regions[k].permissions.isNone {
      let r = map.regions[k]
      let sameFile = r.mapping.inode != 0 && FileIdentity(mapping: r.mapping) == object.identity
      if (sameFile || isPlainAnonymous(k)) && !object.gaps.contains(k) { object.gaps.append(k) }
    }
  }

  /// Main program or shared library: by the file behind `/proc/PID/exe`, never by the name.
  private func decideExecutable(_ objects: inout [LoadedObject]) {
    let exeIdentity = elf.executableIdentity
    let exePath = map.executable
    for k in objects.indices {
      if let exeIdentity, let id = objects[k].lookup?.identity, id == exeIdentity {
        objects[k].isExecutable = true
        objects[k].executableCertainty = .observed
        objects[k].executableEvidence = ["same file as /proc/PID/exe (\(id))"]
      } else if let exePath, objects[k].path == exePath {
        objects[k].isExecutable = true
        objects[k].executableCertainty = isLive ? .observed : .inferred
        objects[k].executableEvidence = ["path equals the executable (/proc/PID/exe)"]
      }
    }
    guard exeIdentity == nil, exePath == nil, !objects.contains(where: \.isExecutable) else {
      return
    }
    // Unknown executable (saved text): ET_EXEC, else the lowest object with a PT_INTERP,
    // else the lowest object of all (the loader maps libraries high, the program low).
    let pick =
      objects.firstIndex { $0.elf?.type == .executable }
      ?? objects.firstIndex { $0.elf?.interpreter != nil }
      ?? (objects.first?.elf == nil ? objects.indices.first : nil)
    if let pick {
      objects[pick].isExecutable = true
      objects[pick].executableCertainty = .inferred
      objects[pick].executableEvidence = [
        "executable unknown (no /proc/PID/exe): taken as the program because "
          + (objects[pick].elf?.type == .executable
            ? "e_type is EXEC"
            : objects[pick].elf != nil
              ? "it is the lowest object with PT_INTERP" : "it is the lowest mapped object")
      ]
    }
  }
}
