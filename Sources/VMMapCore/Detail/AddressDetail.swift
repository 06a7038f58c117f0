import Glibc

/// Everything vmmap can say about one address of one process (`--detail ADDR`).
public struct AddressDetail: Sendable {
  public var address: UInt64
  public var addressClass: AddressClass
  /// The neighbourhood: the region before, the one holding the address (if any), the one after,
  /// classified. For a saved file, the whole map.
  public var map: MemoryMap
  /// Index in `map.regions` of the region holding the address.
  public var regionIndex: Int?
  /// The gap holding the address, when no region does (user space only).
  public var gap: Gap?
  /// The pagemap view of the page (live processes only).
  public var page: PageInfo?
  /// Why `page` is missing or partial ("pagemap needs …", "a saved file has no page data").
  public var pageNote: String?
  public var pageSize: UInt64
  /// The byte's offset in the mapped file (file-backed regions).
  public var fileOffset: UInt64?
  /// The mapped file's size, when it could be read (to tell a page past the end of the file).
  public var fileSize: UInt64?
  public var outcomes: [AccessOutcome]
  /// How the region was found ("PROCMAP_QUERY ioctl", "/proc/PID/maps", "saved file").
  public var lookup: String

  public var region: Region? { regionIndex.map { map.regions[$0] } }
  public var pageNumber: UInt64 { address / pageSize }
  public var pageOffset: UInt64 { address % pageSize }

  /// Builds the detail from a map that holds the neighbourhood, plus page data if any.
  public init(
    address: UInt64, map: MemoryMap, page: PageInfo?, pageNote: String?, fileSize: UInt64?,
    lookup: String, space: AddressSpace = .current, guardGap: UInt64 = stackGuardGap()
  ) {
    self.address = address
    self.addressClass = AddressClass(address, space: space)
    self.map = map
    self.page = page
    self.pageNote = pageNote
    self.pageSize = space.pageSize
    self.fileSize = fileSize
    self.lookup = lookup
    regionIndex = map.regionIndex(containing: address)
    if let i = regionIndex {
      let r = map.regions[i]
      gap = nil
      let offset = r.mapping.offset + (address - r.start)
      if r.filePath != nil || r.mapping.inode != 0 { fileOffset = offset }
      // SIGBUS territory: the page starts at or past the page that holds the file's last byte.
      let size = space.pageSize
      var beyond = false
      if let fileSize { beyond = offset / size * size >= (fileSize + size - 1) / size * size }
      outcomes = AccessAnalysis.outcomes(
        in: r, page: page, beyondEndOfFile: beyond && r.filePath != nil)
    } else if addressClass == .user || (addressClass == .aboveUserSpace && map.regions.isEmpty) {
      let g = map.gap(containing: address)
      gap = g
      let above = g.after.map { map.regions[$0] }
      let growsDown =
        above.map { $0.mapping.name == .stack || ($0.counters?.vmFlags?.contains("gd") ?? false) }
        ?? false
      outcomes = AccessAnalysis.outcomes(
        inGapBelow: growsDown ? above : nil, address: address, gapStart: g.start, guardGap: guardGap
      )
    } else {
      gap = nil
      outcomes = AccessAnalysis.outcomes(outside: addressClass, space: space)
    }
  }
}

/// The kernel's stack_guard_gap: 256 pages unless the `stack_guard_gap=` boot parameter says
/// otherwise (read from /proc/cmdline).
public func stackGuardGap() -> UInt64 {
  let page = AddressSpace.current.pageSize
  if let cmdline = try? readSmallFile("/proc/cmdline") {
    for word in cmdline.split(whereSeparator: { $0 == " " || $0 == "\n" })
    where word.hasPrefix("stack_guard_gap=") {
      if let pages = UInt64(word.dropFirst("stack_guard_gap=".count)) { return pages * page }
    }
  }
  return 256 * page
}

/// Parses an address as people write it: `0x7ffd1234`, `7ffd1234` (hex), with optional `_` or
/// `'` separators. Rejects anything else with a usage error that names the input.
public func parseAddress(_ text: String) throws(VMMapError) -> UInt64 {
  var digits = Substring(text)
  if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
  let cleaned = digits.filter { $0 != "_" && $0 != "'" }
  guard !cleaned.isEmpty, cleaned.count <= 16, let value = UInt64(cleaned, radix: 16) else {
    throw VMMapError(
      .usage, what: "address '\(text)'",
      why: cleaned.count > 16 ? "longer than 64 bits" : "not a hexadecimal address",
      fix: "write it as 0x7ffd12345678")
  }
  return value
}

/// `vm.mmap_min_addr`: the lowest address a process may map (65536 by default), so that a
/// NULL-pointer dereference always faults.
public func mmapMinAddress() -> UInt64 {
  guard let text = try? readSmallFile("/proc/sys/vm/mmap_min_addr"),
    let value = UInt64(text.filter { $0.isNumber })
  else { return 65536 }
  return value
}
