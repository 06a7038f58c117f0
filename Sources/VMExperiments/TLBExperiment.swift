import CVMProbes
import Glibc
import VMMapCore

/// The child side of `vmmap --tlb`: time dependent loads, one per page, over working sets from
/// one page up to `maxWorkingSet`, in random and in address order, first over 4 KiB pages
/// (`MADV_NOHUGEPAGE`), then over transparent huge pages (`MADV_HUGEPAGE`), pinned to one CPU.
///
/// Each access lands at a line chosen by a hash of its page number, so the lines spread over
/// every cache set and the data of even a 1 GiB working set is 16 MiB of cache lines: what
/// grows with the working set is mostly the number of pages, which is what the TLB caches.
/// The huge-page curve runs the same chase; only the page size behind it differs.
enum TLBExperiment {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// Seeds the random cycle of each working set (the same cycle in every round).
  static let seed: UInt64 = 0x7_1b_5eed
  /// Steps per timed chunk: 8,192 loads take 10 µs to 2 ms, well inside a time slice, so a
  /// chunk during which the thread was switched out can be left out.
  static let chunk: UInt64 = 8192

  static func run(_ options: TLBOptions) throws -> TLBReport {
    let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))
    let hugePageSize = THPSettings.read().hugePageSize
    let pinned = vmp_pin_to_current_cpu()
    let maxPages = max(1, Int(options.maxWorkingSet / pageSize))
    let counts = workingSetPages(upTo: maxPages, perOctave: options.pointsPerOctave)
    let scratch = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: maxPages)
    defer { scratch.deallocate() }

    var counter = openCounter()
    defer { if counter.fd >= 0 { close(counter.fd) } }

    var curves: [TLBCurve] = []
    var regions: [TLBRegion] = []
    for backing in TLBBacking.allCases {
      let orders: [TLBOrder] =
        backing == .base ? [.random, .sequential, .packed] : [.random, .sequential]
      let region = try TLBRegionMapping(
        bytes: UInt64(maxPages) * pageSize, backing: backing, hugePageSize: hugePageSize)
      defer { region.unmap() }
      _ = vmp_touch_pages(
        region.base.assumingMemoryBound(to: UInt8.self), Int(pageSize), maxPages, 1)
      regions.append(try region.view())

      // [order][point][round]
      var times = [[[Double]]](
        repeating: [[Double]](repeating: [], count: counts.count), count: orders.count)
      var misses = times
      var discarded = [[Int]](
        repeating: [Int](repeating: 0, count: counts.count), count: orders.count)
      for _ in 0..<options.repeats {
        for (o, order) in orders.enumerated() {
          for (k, pages) in counts.enumerated() {
            let start = vmp_tlb_chain(
              region.base, pages, Int(pageSize), order == .sequential ? 0 : 1,
              order == .packed ? 1 : 0, seed &+ UInt64(pages), scratch.baseAddress!)
            let accesses = max(options.minAccesses, pages)
            var result = vmp_chase_result()
            // Warm the TLB and the caches, then time.
            vmp_tlb_chase(start, UInt64(pages), 0, -1, &result)
            vmp_tlb_chase(start, UInt64(accesses), chunk, counter.fd, &result)
            times[o][k].append(Double(result.nanoseconds) / Double(max(result.steps_timed, 1)))
            discarded[o][k] += Int(result.chunks_discarded)
            if counter.fd >= 0 {
              if result.counter_error != 0 {
                counter.fail(-result.counter_error)
              } else {
                misses[o][k].append(Double(result.counter) / Double(accesses))
              }
            }
          }
        }
      }
      let linesPerPage = Int(pageSize / 64)
      for (o, order) in orders.enumerated() {
        let points = counts.enumerated().map { k, lines in
          TLBPoint(
            workingSet: UInt64(lines) * pageSize, lines: lines,
            pages: order == .packed ? (lines + linesPerPage - 1) / linesPerPage : lines,
            accesses: max(options.minAccesses, lines),
            nanosecondsPerAccess: KneeFinder.median(times[o][k]), samples: times[o][k],
            preemptedChunks: discarded[o][k],
            missesPerAccess: counter.fd >= 0 && misses[o][k].count == times[o][k].count
              ? KneeFinder.median(misses[o][k]) : nil)
        }
        let knees = KneeFinder(window: max(2, options.pointsPerOctave)).knees(
          points.map { ($0.workingSet, $0.nanosecondsPerAccess) })
        curves.append(TLBCurve(backing: backing, order: order, points: points, knees: knees))
      }
    }

    let reported = reportedTLB()
    let reach = classify(&curves, pageSize: pageSize, reported: reported)
    var report = TLBReport(
      options: options, pageSize: pageSize, hugePageSize: hugePageSize,
      cpu: pinned >= 0 ? Int(pinned) : nil,
      pinError: pinned >= 0 ? nil : String(cString: strerror(-pinned)),
      reportedTLB: reported, regions: regions, counter: counter.description, curves: curves,
      reach: reach, explanation: [], lesson: "")
    let explainer = TLBExplainer(report: report)
    report.explanation = explainer.explanation()
    report.lesson = explainer.lesson()
    return report
  }

  /// Page counts from 1 to `maxPages`, `perOctave` per doubling (rounded, without repeats),
  /// always ending at `maxPages`.
  static func workingSetPages(upTo maxPages: Int, perOctave: Int) -> [Int] {
    var counts: [Int] = []
    var k = 0
    while true {
      let pages = Int((pow(2, Double(k) / Double(perOctave))).rounded())
      if pages >= maxPages { break }
      if counts.last != pages { counts.append(pages) }
      k += 1
    }
    counts.append(maxPages)
    return counts
  }

  /// Marks each knee `tlb` or `cache`. A knee of the 4 KiB random curve is a TLB knee when
  /// the packed control (the same cache lines on 64 times fewer pages) has no knee within an
  /// octave of it; a knee of another curve is a TLB knee when it lies within an octave of one.
  static func classify(_ curves: inout [TLBCurve], pageSize: UInt64, reported: String?)
    -> TLBReach
  {
    func near(_ a: UInt64, _ b: UInt64) -> Bool { a <= b * 2 && b <= a * 2 }
    let baseIndex = curves.firstIndex { $0.backing == .base && $0.order == .random }
    let packed = curves.first { $0.order == .packed }
    let reportedEntries = reported.flatMap { UInt64($0.split(separator: " ").first ?? "") }
    var tlbKnees: [UInt64] = []
    var walkKnees: [UInt64] = []
    if let b = baseIndex {
      for (i, knee) in curves[b].knees.enumerated() {
        let shared = packed?.knees.contains { near($0.workingSet, knee.workingSet) } ?? true
        // Past every TLB the CPU reports, a translation knee is the page tables themselves
        // falling out of a cache: each walk then misses.
        let beyond = reportedEntries.map { knee.workingSet / pageSize > $0 * 3 / 2 } ?? false
        let cause = shared ? "cache" : beyond ? "page-walk" : "tlb"
        curves[b].knees[i].cause = cause
        if cause == "tlb" { tlbKnees.append(knee.workingSet) }
        if cause == "page-walk" { walkKnees.append(knee.workingSet) }
      }
    }
    for c in curves.indices where c != baseIndex {
      for i in curves[c].knees.indices {
        let w = curves[c].knees[i].workingSet
        let packedCurve = curves[c].order == .packed
        curves[c].knees[i].cause =
          !packedCurve && tlbKnees.contains { near($0, w) }
          ? "tlb" : !packedCurve && walkKnees.contains { near($0, w) } ? "page-walk" : "cache"
      }
    }
    let huge = curves.first { $0.backing == .huge && $0.order == .random }
    var moved: Bool?
    if !tlbKnees.isEmpty, let huge {
      moved = !tlbKnees.contains { k in huge.knees.contains { near($0.workingSet, k) } }
    }
    let largest = curves.first?.points.last?.workingSet ?? 0
    let cpuinfo = (try? readSmallFile("/proc/cpuinfo")) ?? ""
    let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
    return TLBReach(
      tlbKnees: tlbKnees, entries: tlbKnees.map { Int($0 / pageSize) }, pageWalkKnees: walkKnees,
      largestWorkingSet: largest,
      baseNanoseconds: baseIndex.flatMap { curves[$0].points.last?.nanosecondsPerAccess },
      hugeNanoseconds: huge?.points.last?.nanosecondsPerAccess, hugePagesMoveKnees: moved,
      virtualMachine: flags.split(separator: " ").contains("hypervisor"),
      reportedReach: reportedEntries.map { $0 * pageSize })
  }

  /// `/proc/cpuinfo`'s first `TLB size` value (`3584 4K pages`), when there is one.
  static func reportedTLB() -> String? {
    guard let text = try? readSmallFile("/proc/cpuinfo") else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("TLB size") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      return String(line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" })
    }
    return nil
  }

  /// The dTLB-miss counter, or why it is not there.
  struct Counter {
    var fd: Int32
    var description: TLBCounter

    mutating func fail(_ error: Int32) {
      description.available = false
      description.error =
        "reading the counter failed: \(String(cString: strerror(error))); misses are not shown"
      close(fd)
      fd = -1
    }
  }

  static func openCounter() -> Counter {
    let sources = ((try? listDirectory("/sys/bus/event_source/devices")) ?? []).sorted()
    var description = TLBCounter(
      event: "dTLB-load-misses (PERF_TYPE_HW_CACHE: DTLB | OP_READ << 8 | RESULT_MISS << 16)",
      available: false, error: nil, eventSources: sources)
    let fd = vmp_dtlb_miss_counter_open()
    if fd >= 0 {
      description.available = true
      return Counter(fd: fd, description: description)
    }
    let e = -fd
    let name = String(cString: strerror(e))
    let hardware = sources.filter {
      !["software", "tracepoint", "breakpoint", "kprobe", "uprobe", "msr", "power"].contains($0)
    }
    switch e {
    case ENOENT, EOPNOTSUPP, ENODEV:
      description.error =
        hardware.isEmpty
        ? "perf_event_open: \(name): the kernel exposes no hardware performance-monitoring unit (/sys/bus/event_source/devices lists only \(sources.joined(separator: ", "))); on a virtual machine the hypervisor has not passed one through"
        : "perf_event_open: \(name): this CPU's PMU (\(hardware.joined(separator: ", "))) has no dTLB-load-misses event"
    case EACCES, EPERM:
      description.error =
        "perf_event_open: \(name): kernel.perf_event_paranoid (\((try? readSmallFile("/proc/sys/kernel/perf_event_paranoid"))?.filter { $0 != "\n" } ?? "?")) or a security module forbids it; as root with CAP_PERFMON, or sysctl kernel.perf_event_paranoid=1"
    default:
      description.error = "perf_event_open: \(name)"
    }
    return Counter(fd: -1, description: description)
  }

  /// The names in a directory (without `.` and `..`).
  static func listDirectory(_ path: String) throws -> [String] {
    guard let dir = opendir(path) else { throw Failure(description: "opendir \(path)") }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafePointer(to: entry.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }
}

/// One of the two regions: placed on a huge-page boundary (so that every 2 MiB extent of it
/// can be one huge page), advised, unmapped at the end.
struct TLBRegionMapping {
  let reservation: UnsafeMutableRawPointer
  let reservationLength: Int
  let base: UnsafeMutableRawPointer
  let bytes: UInt64
  let backing: TLBBacking
  let advice: String

  init(bytes: UInt64, backing: TLBBacking, hugePageSize: UInt64) throws {
    reservationLength = Int(bytes + hugePageSize)
    let mapped = mmap(
      nil, reservationLength, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
      -1, 0)
    guard let mapped, mapped != MAP_FAILED else {
      throw TLBExperiment.Failure(
        description:
          "mmap of \(SizeText.iec(bytes)): \(String(cString: strerror(errno)))")
    }
    reservation = mapped
    let raw = UInt64(UInt(bitPattern: mapped))
    let aligned = (raw + hugePageSize - 1) / hugePageSize * hugePageSize
    base = mapped + Int(aligned - raw)
    self.bytes = bytes
    self.backing = backing
    let advice = backing == .huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE
    let name = backing == .huge ? "madvise(MADV_HUGEPAGE)" : "madvise(MADV_NOHUGEPAGE)"
    // The whole mapping gets the advice, so that it stays one VMA in smaps.
    if madvise(mapped, reservationLength, advice) == 0 {
      self.advice = name
    } else {
      self.advice = name + " failed: " + String(cString: strerror(errno))
    }
  }

  func unmap() { munmap(reservation, reservationLength) }

  /// The mapping's smaps entry: how much of it the kernel backed with huge pages.
  func view() throws -> TLBRegion {
    let procfs = try ProcessReader(pid: getpid())
    let start = UInt64(UInt(bitPattern: reservation))
    let smaps = try procfs.readFile("smaps")
    guard let lines = DemandExperiment.entryLines(smaps, start: start) else {
      throw TLBExperiment.Failure(description: "no entry for \(hex(start)) in /proc/self/smaps")
    }
    let entry = Array(lines.joined(separator: "\n").utf8) + [UInt8(ascii: "\n")]
    let parsed = try SmapsParser.parse(entry, source: "/proc/self/smaps")
    guard let region = parsed.first, let counters = region.counters else {
      throw TLBExperiment.Failure(description: "the smaps entry of \(hex(start)) has no counters")
    }
    let baseAddress = UInt64(UInt(bitPattern: base))
    return TLBRegion(
      backing: backing, start: hex(baseAddress), end: hex(baseAddress + bytes), size: bytes,
      advice: advice, anonHugePages: counters.anonHugePages, rss: counters.rss)
  }
}
