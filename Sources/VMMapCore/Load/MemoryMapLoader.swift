import Glibc

/// Reads a memory map and classifies it: the one call the views need.
public enum MemoryMapLoader {
  /// A live process: smaps (`counters`) or maps, resolved through map_files, classified with
  /// the ELF headers of the files actually mapped.
  public static func live(pid: Int32, counters: Bool) throws(VMMapError) -> MemoryMap {
    let reader = try ProcessReader(pid: pid)
    // Reading on a second thread maps that thread's stack and, at its first malloc, a 64 MiB
    // arena, in the middle of the read. Another process does not care; vmmap reading itself
    // (--self) would see its map change under it, so it reads on one thread.
    if pid == getpid() { reader.readsOnSecondThread = false }
    var map = try reader.readMemoryMap(counters: counters)
    Classifier.classify(&map, elf: LiveELFProvider(pid: pid))
    return map
  }

  /// A live process the cheap way (`--fast`): maps for the regions, the page tables
  /// (PAGEMAP_SCAN) for each region's RSS and swap; no smaps, so no Pss or clean/dirty splits.
  public static func liveFast(pid: Int32) throws(VMMapError) -> MemoryMap {
    var map = try ProcessReader(pid: pid).readMemoryMap(counters: false)
    try PageTableResidency.measure(pid: pid, &map)
    Classifier.classify(&map, elf: LiveELFProvider(pid: pid))
    return map
  }

  /// A saved maps (`smaps: false`) or smaps file. Labels that need the ELF file use the path
  /// on this machine when it exists, and are marked inferred.
  public static func saved(path: String, smaps: Bool) throws(VMMapError) -> MemoryMap {
    var map = smaps ? try readMemoryMap(smapsFile: path) : try readMemoryMap(mapsFile: path)
    Classifier.classify(&map, elf: SavedFileELFProvider())
    return map
  }
}

/// Builds `AddressDetail`s: the lookup, the page, the classification of the neighbourhood.
public enum DetailLoader {
  /// One address of a live process. The region and its neighbours come from `PROCMAP_QUERY`
  /// (three to fifty ioctls, whatever the map's size); kernels without it, and addresses above
  /// user space (`[vsyscall]`), read maps instead.
  public static func live(address: UInt64, pid: Int32) throws(VMMapError) -> AddressDetail {
    let space = AddressSpace.current
    let reader = try ProcessReader(pid: pid)
    var map: MemoryMap
    var lookup: String
    if address < space.userTop, let query = ProcmapQuery(pid: pid) {
      let stat = try reader.readStat()
      try reader.checkUserProcess(stat)
      let (previous, holding, next) = try query.neighbourhood(of: address)
      var regions = [previous, holding, next].compactMap { $0 }.map { Region(mapping: $0) }
      MapFilesResolver(reader: reader).resolve(&regions)
      map = MemoryMap(
        source: .live(pid: pid), regions: regions, stat: stat, threads: reader.readThreads(),
        commandLine: reader.readCommandLine(), executable: reader.readExecutable())
      lookup = "PROCMAP_QUERY ioctl on /proc/\(pid)/maps"
    } else {
      map = try reader.readMemoryMap(counters: false)
      lookup = "/proc/\(pid)/maps"
    }
    Classifier.classify(&map, elf: LiveELFProvider(pid: pid))

    var page: PageInfo?
    var note: String?
    if address < space.userTop {
      do {
        let pagemap = try PagemapReader(pid: pid)
        page = try pagemap.page(at: address)
        if let p = page, p.entry.isPresent, p.entry.frameNumber == nil {
          note = "the frame number reads as 0: pagemap shows frames only to CAP_SYS_ADMIN"
        } else if page?.entry.frameNumber != nil && !pagemap.canReadFrames {
          note =
            "/proc/kpageflags and /proc/kpagecount are unreadable: page flags and map count unavailable"
        }
      } catch {
        note = "page state unavailable: \(error)"
      }
    }
    var fileSize: UInt64?
    if let i = map.regionIndex(containing: address), map.regions[i].filePath != nil {
      let r = map.regions[i]
      var st = stat()
      if stat(
        "/proc/\(pid)/map_files/\(String(r.start, radix: 16))-\(String(r.end, radix: 16))", &st)
        == 0,
        st.st_mode & S_IFMT == S_IFREG
      {
        fileSize = UInt64(st.st_size)
      }
    }
    return AddressDetail(
      address: address, map: map, page: page, pageNote: note, fileSize: fileSize, lookup: lookup)
  }

  /// One address of a saved maps or smaps file: the same lookup, no page data.
  public static func saved(address: UInt64, path: String, smaps: Bool) throws(VMMapError)
    -> AddressDetail
  {
    let map = try MemoryMapLoader.saved(path: path, smaps: smaps)
    return AddressDetail(
      address: address, map: map, page: nil,
      pageNote:
        "a saved \(smaps ? "smaps" : "maps") file has no page data (present, frame): run vmmap --detail on the live process",
      fileSize: nil, lookup: "saved file \(path)")
  }
}
