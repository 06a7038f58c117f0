import CVMProbes
import Glibc
import VMMapCore

/// The child side of `vmmap --demand`: map a region without touching it, look at it, touch one
/// byte per page while counting faults, look again.
///
/// The region is placed inside a `PROT_NONE` reservation, on a huge-page boundary: it starts
/// where a 2 MiB page can, and its neighbours have other permissions, so the kernel never
/// merges it into an adjacent mapping (its smaps entry is the region and nothing else).
enum DemandExperiment {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  static func run(_ options: DemandOptions, progressFD: Int32?) throws -> DemandReport {
    let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))
    let size = (options.size + pageSize - 1) / pageSize * pageSize
    let pages = Int(size / pageSize)
    guard pages > 0 else { throw Failure(description: "the size must be at least one byte") }
    var thp = THPSettings.read()
    thp.advice = options.file ? "none" : options.hugePages ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE"

    // The reservation: room for the region on a huge-page boundary, and a guard page each side.
    let reserveLength = Int(size + thp.hugePageSize + 2 * pageSize)
    let reserve = mmap(
      nil, reserveLength, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
    guard let reserve, reserve != MAP_FAILED else {
      throw Failure(description: "reserving \(reserveLength) bytes: \(errnoText())")
    }
    defer { munmap(reserve, reserveLength) }
    let reserveStart = UInt64(UInt(bitPattern: reserve))
    let start =
      (reserveStart + pageSize + thp.hugePageSize - 1) / thp.hugePageSize * thp.hugePageSize
    let hint = UnsafeMutableRawPointer(bitPattern: UInt(start))

    var setup = [
      "reserved \(SizeText.iec(UInt64(reserveLength))) PROT_NONE (MAP_NORESERVE) and placed the region in it at a \(SizeText.iec(thp.hugePageSize)) boundary, so that no neighbour merges with it"
    ]
    let mmapCall: String
    var file: DemandFile?
    var scratch: ScratchFile?
    defer { scratch?.remove() }
    let base: UnsafeMutableRawPointer
    if options.file {
      let s = try ScratchFile.create(size: size)
      scratch = s
      let mapped = mmap(hint, Int(size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, s.fd, 0)
      guard let mapped, mapped != MAP_FAILED else {
        throw Failure(description: "mmap of \(s.path): \(errnoText())")
      }
      base = mapped
      mmapCall =
        "mmap(\(hex(start)), \(size), PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED, fd, 0)"
      setup.append(
        "wrote \(SizeText.iec(size)) to \(s.path) (\(s.filesystem)) and fsync()ed it")
      let cachedAfterWrite = residentPages(base, size: size, pageSize: pageSize)
      let advice = posix_fadvise(s.fd, 0, 0, POSIX_FADV_DONTNEED)
      guard advice == 0 else {
        throw Failure(description: "posix_fadvise(DONTNEED): \(String(cString: strerror(advice)))")
      }
      let cachedAfterDrop = residentPages(base, size: size, pageSize: pageSize)
      guard madvise(base, Int(size), MADV_RANDOM) == 0 else {
        throw Failure(description: "madvise(MADV_RANDOM): \(errnoText())")
      }
      setup.append(mmapCall + ": no MAP_POPULATE")
      setup.append(
        "posix_fadvise(POSIX_FADV_DONTNEED) dropped its pages from the page cache (mincore: \(cachedAfterWrite) cached before, \(cachedAfterDrop) after)"
      )
      setup.append(
        "madvise(MADV_RANDOM): no read-ahead, so each fault reads only its own page")
      file = DemandFile(
        path: s.path, filesystem: s.filesystem, bytesWritten: size,
        cachedAfterWrite: cachedAfterWrite, cachedAfterDrop: cachedAfterDrop, cachedAfterTouch: 0)
    } else {
      let mapped = mmap(
        hint, Int(size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
      guard let mapped, mapped != MAP_FAILED else {
        throw Failure(description: "mmap of \(size) bytes: \(errnoText())")
      }
      base = mapped
      mmapCall =
        "mmap(\(hex(start)), \(size), PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0)"
      setup.append(mmapCall + ": no MAP_POPULATE")
      let advice = options.hugePages ? MADV_HUGEPAGE : MADV_NOHUGEPAGE
      if madvise(base, Int(size), advice) == 0 {
        setup.append(
          options.hugePages
            ? "madvise(MADV_HUGEPAGE): the kernel may back each aligned 2 MiB extent with one huge page"
            : "madvise(MADV_NOHUGEPAGE): 4 KiB pages only, whatever THP's mode, so each page faults on its own"
        )
      } else {
        // Without CONFIG_TRANSPARENT_HUGEPAGE both pieces of advice fail with EINVAL.
        setup.append("madvise(\(thp.advice)) failed (\(errnoText())): no transparent huge pages")
        thp.advice = "none"
      }
    }

    let pagemap = try PagemapReader(pid: getpid())
    let procfs = try ProcessReader(pid: getpid())
    let beforeRegion = try regionView(
      start: start, size: size, pageSize: pageSize, procfs: procfs, pagemap: pagemap)

    // Warm up the loop's code, stack and statm reads on a scratch buffer already written, so
    // that the measured loop faults only on the region.
    let warmLength = 32 * Int(pageSize)
    guard
      let warm = mmap(nil, warmLength, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
      warm != MAP_FAILED
    else { throw Failure(description: "mmap of the warm-up buffer: \(errnoText())") }
    defer { munmap(warm, warmLength) }
    _ = vmp_touch_pages(warm.assumingMemoryBound(to: UInt8.self), Int(pageSize), 32, 1)
    var loop = try TouchLoop(chunks: 32)
    defer { loop.close() }
    _ = loop.run(
      base: warm, pages: 32, pageSize: Int(pageSize), write: !options.read, progressFD: nil)

    // Before: status, stat, then getrusage right before the loop; after, the reverse.
    let statusBefore = try procfs.readStatus()
    let statBefore = try procfs.readStat()
    let usageBefore = resourceUsage()
    let touch = loop.run(
      base: base, pages: pages, pageSize: Int(pageSize), write: !options.read,
      progressFD: progressFD)
    let usageAfter = resourceUsage()
    let statAfter = try procfs.readStat()
    let statusAfter = try procfs.readStatus()

    // The same loop again over pages that are all mapped now: what the loop costs by itself.
    let repeatBefore = resourceUsage()
    _ = vmp_touch_pages(
      base.assumingMemoryBound(to: UInt8.self), Int(pageSize), pages, options.read ? 0 : 1)
    let repeatAfter = resourceUsage()

    let afterRegion = try regionView(
      start: start, size: size, pageSize: pageSize, procfs: procfs, pagemap: pagemap)
    if file != nil { file?.cachedAfterTouch = residentPages(base, size: size, pageSize: pageSize) }

    let before = DemandSnapshot(
      region: beforeRegion, status: statusBefore,
      faults: DemandFaultCounts(usage: usageBefore, stat: statBefore))
    let after = DemandSnapshot(
      region: afterRegion, status: statusAfter,
      faults: DemandFaultCounts(usage: usageAfter, stat: statAfter))
    let faults = DemandFaults.measure(
      options: options, pages: pages, pageSize: pageSize, start: start, size: size, thp: thp,
      before: before, after: after,
      repeatPass: repeatAfter.minor + repeatAfter.major
        - repeatBefore.minor - repeatBefore.major)
    var report = DemandReport(
      options: options, access: options.access, pageSize: pageSize, size: size, pages: pages,
      mmapCall: mmapCall, setup: setup, thp: thp, file: file, before: before, after: after,
      faults: faults, samples: loop.samples, touchNanoseconds: touch, explanation: [], lesson: [])
    let explainer = DemandExplainer(report: report)
    report.explanation = explainer.explanation()
    report.lesson = explainer.lesson()
    return report
  }

  // MARK: Looking at the region

  /// The region's smaps entry (exact lines and counters), pagemap and kpageflags counts.
  static func regionView(
    start: UInt64, size: UInt64, pageSize: UInt64, procfs: ProcessReader, pagemap: PagemapReader
  ) throws -> DemandRegion {
    let smaps = try procfs.readFile("smaps")
    guard let lines = entryLines(smaps, start: start) else {
      throw Failure(description: "no entry for \(hex(start)) in /proc/self/smaps")
    }
    let entry = Array(lines.joined(separator: "\n").utf8) + [UInt8(ascii: "\n")]
    let parsed = try SmapsParser.parse(entry, source: "/proc/self/smaps")
    guard let region = parsed.first, let counters = region.counters else {
      throw Failure(description: "the smaps entry of \(hex(start)) has no counters")
    }
    guard region.start == start, region.end == start + size else {
      throw Failure(
        description:
          "the smaps entry is \(hex(region.start))-\(hex(region.end)), not the region \(hex(start))-\(hex(start + size))"
      )
    }

    let entries = try pagemap.entries(at: start, count: Int(size / pageSize))
    var present = 0
    var visible = pagemap.canReadFrames
    var zero = 0
    var thp = 0
    var heads = 0
    for e in entries where e.isPresent {
      present += 1
      guard let frame = e.frameNumber, let flags = pagemap.flags(ofFrame: frame) else {
        visible = false
        continue
      }
      if flags.contains(.zeroPage) { zero += 1 }
      if flags.contains(.transparentHuge) { thp += 1 }
      if flags.contains(.compoundHead) { heads += 1 }
    }
    return DemandRegion(
      start: hex(region.start), end: hex(region.end), permissions: "\(region.permissions)",
      smapsLines: lines, size: counters.size, rss: counters.rss, pss: counters.pss,
      privateClean: counters.privateClean, privateDirty: counters.privateDirty,
      anonymous: counters.anonymous, anonHugePages: counters.anonHugePages,
      thpEligible: counters.has(.thpEligible) ? counters[.thpEligible] != 0 : nil,
      presentPages: present, framesVisible: visible, zeroPages: visible ? zero : nil,
      thpPages: visible ? thp : nil, compoundHeads: visible ? heads : nil)
  }

  /// The lines of the smaps entry whose header starts at `start`, as the kernel printed them.
  static func entryLines(_ smaps: [UInt8], start: UInt64) -> [String]? {
    let prefix = Array((String(start, radix: 16) + "-").utf8)
    var lines: [String] = []
    var inEntry = false
    for line in smaps.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
      if isHeader(line) {
        if inEntry { break }
        inEntry = line.starts(with: prefix)
      }
      if inEntry { lines.append(String(decoding: line, as: UTF8.self)) }
    }
    return lines.isEmpty ? nil : lines
  }

  /// `start-end perms …`: hex digits up to a hyphen. Field lines start with a capital letter.
  static func isHeader(_ line: ArraySlice<UInt8>) -> Bool {
    guard let hyphen = line.firstIndex(of: UInt8(ascii: "-")), hyphen > line.startIndex else {
      return false
    }
    return line[..<hyphen].allSatisfy {
      ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
        || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f"))
    }
  }

  /// Pages of the range in memory, as `mincore` says (for a file mapping: in the page cache).
  static func residentPages(_ base: UnsafeMutableRawPointer, size: UInt64, pageSize: UInt64) -> Int
  {
    var vector = [UInt8](repeating: 0, count: Int(size / pageSize))
    guard mincore(base, Int(size), &vector) == 0 else { return -1 }
    return vector.reduce(0) { $0 + Int($1 & 1) }
  }

  static func resourceUsage() -> (minor: Int, major: Int) {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return (usage.ru_minflt, usage.ru_majflt)
  }

  static func errnoText() -> String { String(cString: strerror(errno)) }
}

extension DemandSnapshot {
  init(region: DemandRegion, status: ProcessStatus, faults: DemandFaultCounts) {
    self.init(
      region: region, vmRSS: status[memory: "VmRSS"] ?? 0, rssAnon: status[memory: "RssAnon"] ?? 0,
      rssFile: status[memory: "RssFile"] ?? 0, vmPTE: status[memory: "VmPTE"] ?? 0,
      faults: faults)
  }
}

extension DemandFaultCounts {
  init(usage: (minor: Int, major: Int), stat: ProcessStat) {
    self.init(
      minor: usage.minor, major: usage.major, statMinor: Int(stat.minorFaults),
      statMajor: Int(stat.majorFaults))
  }
}

extension DemandFaults {
  /// The differences around the loop, and what they should be.
  static func measure(
    options: DemandOptions, pages: Int, pageSize: UInt64, start: UInt64, size: UInt64,
    thp: DemandTHP, before: DemandSnapshot, after: DemandSnapshot, repeatPass: Int
  ) -> DemandFaults {
    let minor = after.faults.minor - before.faults.minor
    let major = after.faults.major - before.faults.major
    let huge = thp.hugePageSize
    // Whole 2 MiB extents inside the region (all of them: it starts on a boundary).
    let firstExtent = (start + huge - 1) / huge
    let endExtent = (start + size) / huge
    let extents = endExtent > firstExtent ? Int(endExtent - firstExtent) : 0
    // Huge mappings: THP pages allocated (smaps), plus huge zero pages (kpageflags says zero
    // page and THP for each of their 512 base pages).
    let perHuge = Int(huge / pageSize)
    var hugeMappings = Int(after.region.anonHugePages / huge)
    if let zero = after.region.zeroPages, let thpPages = after.region.thpPages, zero > 0,
      after.region.anonHugePages == 0
    {
      hugeMappings += min(zero, thpPages) / perHuge
    }
    let expected = hugeMappings + (pages - hugeMappings * perHuge)
    return DemandFaults(
      minor: minor, major: major, statMinor: after.faults.statMinor - before.faults.statMinor,
      statMajor: after.faults.statMajor - before.faults.statMajor, expected: expected,
      expectedKind: options.file ? "major" : "minor", hugeMappings: hugeMappings,
      hugeExtents: extents, surplus: minor + major - expected, repeatPass: repeatPass)
  }
}

/// The touch loop: one byte per page, in chunks, with a sample (faults from `getrusage`,
/// RSS from `/proc/self/statm`) after each. Nothing in it allocates: the sample array is
/// reserved, statm is read with `pread` into a buffer made beforehand, progress lines are
/// formatted into that buffer.
struct TouchLoop {
  let chunks: Int
  let statm: Int32
  let buffer: UnsafeMutableRawBufferPointer
  /// Room for a sample per chunk and one before the first, made beforehand: `Array`'s
  /// `removeAll(keepingCapacity:)` was seen to take 4 faults on its second use.
  let storage: UnsafeMutableBufferPointer<DemandSample>
  private var count = 0

  /// The samples of the last run.
  var samples: [DemandSample] { Array(storage.prefix(count)) }

  init(chunks: Int) throws {
    self.chunks = chunks
    statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
    guard statm >= 0 else {
      throw DemandExperiment.Failure(
        description: "/proc/self/statm: \(DemandExperiment.errnoText())")
    }
    buffer = .allocate(byteCount: 256, alignment: 8)
    storage = .allocate(capacity: chunks + 1)
  }

  func close() {
    _ = Glibc.close(statm)
    buffer.deallocate()
    storage.deallocate()
  }

  /// Touches `pages` pages from `base`; returns the wall time in nanoseconds.
  mutating func run(
    base: UnsafeMutableRawPointer, pages: Int, pageSize: Int, write: Bool, progressFD: Int32?
  ) -> UInt64 {
    count = 0
    let startUsage = DemandExperiment.resourceUsage()
    let startTime = ContinuousClock.now
    sample(touched: 0, since: startUsage, pageSize: pageSize)
    var done = 0
    for chunk in 1...chunks {
      let upTo = pages * chunk / chunks
      if upTo > done {
        _ = vmp_touch_pages(
          (base + done * pageSize).assumingMemoryBound(to: UInt8.self), pageSize, upTo - done,
          write ? 1 : 0)
        done = upTo
        sample(touched: done, since: startUsage, pageSize: pageSize)
        if let progressFD { report(done, of: pages, to: progressFD) }
      }
    }
    let elapsed = ContinuousClock.now - startTime
    let (seconds, attoseconds) = elapsed.components
    return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
  }

  private mutating func sample(touched: Int, since start: (minor: Int, major: Int), pageSize: Int) {
    let usage = DemandExperiment.resourceUsage()
    storage.initializeElement(
      at: count,
      to: DemandSample(
        pagesTouched: touched, rssBytes: residentPages() * UInt64(pageSize),
        minorFaults: usage.minor - start.minor, majorFaults: usage.major - start.major))
    count += 1
  }

  /// Field 2 of statm (resident pages), parsed in place.
  private func residentPages() -> UInt64 {
    let n = pread(statm, buffer.baseAddress, buffer.count, 0)
    guard n > 0 else { return 0 }
    var field = 0
    var value: UInt64 = 0
    for i in 0..<n {
      let b = buffer[i]
      if b == UInt8(ascii: " ") {
        if field == 1 { return value }
        field += 1
      } else if field == 1 {
        value = value * 10 + UInt64(b &- UInt8(ascii: "0"))
      }
    }
    return value
  }

  /// Writes `done total\n` to the progress descriptor (the parent draws the bar).
  private func report(_ done: Int, of total: Int, to fd: Int32) {
    var length = 0
    func put(_ v: Int) {
      var digits = 1
      var rest = v / 10
      while rest > 0 {
        digits += 1
        rest /= 10
      }
      var x = v
      for i in stride(from: length + digits - 1, through: length, by: -1) {
        buffer[i] = UInt8(ascii: "0") + UInt8(x % 10)
        x /= 10
      }
      length += digits
    }
    put(done)
    buffer[length] = UInt8(ascii: " ")
    length += 1
    put(total)
    buffer[length] = UInt8(ascii: "\n")
    length += 1
    _ = write(fd, buffer.baseAddress, length)
  }
}

/// Sizes for the sentences the child writes (VMReport's formatter is one layer up).
enum SizeText {
  static func iec(_ bytes: UInt64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    let tenths = (value * 10).rounded()
    if tenths.truncatingRemainder(dividingBy: 10) == 0 || value >= 100 {
      return "\(Int64(value.rounded())) \(units[unit])"
    }
    return "\(Int64(tenths) / 10).\(Int64(tenths) % 10) \(units[unit])"
  }
}
