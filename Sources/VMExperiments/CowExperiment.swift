import CVMProbes
import Glibc
import VMMapCore

/// The child side of `vmmap --cow`, which is the demo's parent: fill a private region, look,
/// fork (in C), look at both, let the child write page 0, look at both again, reap the child.
///
/// The forked child runs only C (`vmp_cow_*`): it reads its own page 0 and reports it over a
/// pipe, then blocks until told to write; everything else is read here, from /proc, while the
/// child waits, so the two never race and their output never interleaves.
enum CowExperiment {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  static let size = 10 << 20
  static let initialValue: UInt32 = 0xDEAD_BEEF
  static let writtenValue: UInt32 = 0xCAFE_BABE

  static func run() throws -> CowReport {
    // The fork's pipe may outlive its reader: an error, not a SIGPIPE.
    signal(SIGPIPE, SIG_IGN)
    var cow = vmp_cow()
    defer { vmp_cow_release(&cow) }
    try check(vmp_cow_map(size, initialValue, &cow), "mapping \(size >> 20) MiB")
    let start = UInt64(cow.start)
    let parent = getpid()
    let parentPages = try PagemapReader(pid: parent)

    let region = try regionEntry(pid: parent, start: start)
    let before = try look(
      pid: parent, pages: parentPages, cow: cow, value: vmp_cow_read(&cow, 0), selfReported: nil)

    var afterForkView = vmp_cow_view()
    try check(vmp_cow_fork(&cow, &afterForkView), "fork and the child's first report")
    let child = cow.child_pid
    let childPages = try PagemapReader(pid: child)
    let afterFork = try lookAtBoth(
      parent: parent, parentPages: parentPages, child: child, childPages: childPages, cow: cow,
      childView: afterForkView)

    var afterWriteView = vmp_cow_view()
    try check(vmp_cow_child_write(&cow, writtenValue, &afterWriteView), "the child's write")
    let afterWrite = try lookAtBoth(
      parent: parent, parentPages: parentPages, child: child, childPages: childPages, cow: cow,
      childView: afterWriteView)

    let parentWrite = try writeAsParent(&cow, pages: parentPages)

    var status: Int32 = 0
    try check(vmp_cow_finish(&cow, &status), "reaping the child")
    guard status == 0 else {
      throw Failure(description: "the forked child ended with wait status \(status)")
    }

    let visible = parentPages.canReadFrames && before.entries[0].frameNumber != nil
    let flags = region.counters?.vmFlags ?? VMFlags()
    var report = CowReport(
      schemaVersion: 1, pageSize: parentPages.pageSize, parentPID: parent, childPID: child,
      region: CowRegion(
        start: hex(start), end: hex(start + UInt64(cow.length)), size: UInt64(cow.length),
        pages: cow.length / cow.page_size, permissions: "\(region.permissions)",
        vmFlags: flags.codeList,
        vmFlagMeanings: flags.codeList.map { code in
          "\(code): " + (VMFlags.codes.first { $0.code == code }?.meaning ?? "not in proc(5)")
        },
        setup:
          "mmap(MAP_PRIVATE|MAP_ANONYMOUS, PROT_READ|PROT_WRITE) between two PROT_NONE pages (so it stays one VMA), MADV_NOHUGEPAGE (one 4 KiB frame per page), every word written"
      ),
      initialValue: hex32(initialValue), writtenValue: hex32(writtenValue),
      framesVisible: visible,
      framesNote: visible ? nil : framesNote(parentPages),
      stages: [
        CowStage(stage: .beforeFork, parent: before.view, child: nil, frames: nil),
        afterFork.stage(.afterFork), afterWrite.stage(.afterChildWrite),
      ],
      childWriteMinorFaults: afterWriteView.write_minor_faults,
      pagesCopied: nil, parentWrite: parentWrite, childExitStatus: status, explanation: [],
      lesson: "", sandbox: nil)
    report.pagesCopied = visible ? report.stage(.afterChildWrite)?.frames?.differing : nil
    report.explanation = CowExplainer(report: report).explanation()
    report.lesson = CowExplainer.lesson
    return report
  }

  /// The parent writes its page 0 (the value it holds) while the child still runs.
  static func writeAsParent(_ cow: inout vmp_cow, pages: PagemapReader) throws -> CowParentWrite {
    let start = UInt64(cow.start)
    let before = try pages.page(at: start)
    let faults = vmp_cow_write(&cow, 0, initialValue)
    guard faults >= 0 else {
      throw Failure(description: "the parent's write: \(String(cString: strerror(Int32(-faults))))")
    }
    let after = try pages.page(at: start)
    let old = before.entry.frameNumber
    let new = after.entry.frameNumber
    return CowParentWrite(
      value: hex32(initialValue), minorFaults: faults, frameBefore: old.map(hex),
      frameAfter: new.map(hex), mapCountAfter: after.mapCount,
      exclusiveAfter: after.entry.isExclusive,
      reused: old != nil && new != nil ? old == new : nil)
  }

  /// What one look at a process found: the view, and every pagemap entry of the region.
  struct Look {
    var view: CowProcessView
    var entries: [PagemapEntry]
  }

  struct BothLook {
    var parent: Look
    var child: Look

    func stage(_ name: CowStageName) -> CowStage {
      CowStage(
        stage: name, parent: parent.view, child: child.view,
        frames: CowExperiment.compare(parent.entries, child.entries))
    }
  }

  static func lookAtBoth(
    parent: Int32, parentPages: PagemapReader, child: Int32, childPages: PagemapReader,
    cow: vmp_cow, childView: vmp_cow_view
  ) throws -> BothLook {
    var cow = cow
    let parentLook = try look(
      pid: parent, pages: parentPages, cow: cow, value: vmp_cow_read(&cow, 0), selfReported: nil)
    let childLook = try look(
      pid: child, pages: childPages, cow: cow, value: childView.value,
      selfReported: page(childView))
    return BothLook(parent: parentLook, child: childLook)
  }

  /// Page 0 and all the region's entries from pagemap (page 0's frame count from kpagecount),
  /// the region's Rss and Pss from smaps, the process's from smaps_rollup.
  static func look(
    pid: Int32, pages: PagemapReader, cow: vmp_cow, value: UInt32, selfReported: CowPage?
  ) throws -> Look {
    let start = UInt64(cow.start)
    let entries = try pages.entries(at: start, count: cow.length / cow.page_size)
    let first = try pages.page(at: start)
    let region = try regionEntry(pid: pid, start: start)
    let rollup = try ProcessReader(pid: pid).readRollup()
    let page0 = CowPage(
      present: first.entry.isPresent, frame: first.entry.frameNumber.map(hex),
      mapCount: first.mapCount, exclusive: first.entry.isExclusive,
      pagemapEntry: hex(first.entry.rawValue), value: hex32(value))
    let view = CowProcessView(
      pid: pid, page0: page0, selfReported: selfReported,
      region: CowMemory(rss: region.counters?[.rss] ?? 0, pss: region.counters?[.pss] ?? 0),
      process: CowMemory(rss: rollup[.rss], pss: rollup[.pss]))
    return Look(view: view, entries: entries)
  }

  /// The smaps entry of the region that starts at `start`.
  static func regionEntry(pid: Int32, start: UInt64) throws -> Region {
    guard let region = try ProcessReader(pid: pid).readRegions().first(where: { $0.start == start })
    else {
      throw Failure(description: "no region starts at \(hex(start)) in /proc/\(pid)/smaps")
    }
    return region
  }

  /// What the child read of its own page 0.
  static func page(_ view: vmp_cow_view) -> CowPage {
    let entry = PagemapEntry(rawValue: view.pagemap_entry)
    return CowPage(
      present: entry.isPresent, frame: entry.frameNumber.map(hex),
      mapCount: view.map_count_known != 0 ? view.map_count : nil, exclusive: entry.isExclusive,
      pagemapEntry: hex(entry.rawValue), value: hex32(view.value))
  }

  /// Frame against frame over every page; nil when no frame is visible at all.
  static func compare(_ a: [PagemapEntry], _ b: [PagemapEntry]) -> CowFrameComparison? {
    var result = CowFrameComparison(
      pages: a.count, shared: 0, differing: 0, incomparable: 0, differingPages: [])
    for (i, (x, y)) in zip(a, b).enumerated() {
      guard let fx = x.frameNumber, let fy = y.frameNumber else {
        result.incomparable += 1
        continue
      }
      if fx == fy {
        result.shared += 1
      } else {
        result.differing += 1
        if result.differingPages.count < 16 { result.differingPages.append(i) }
      }
    }
    return result.incomparable == result.pages ? nil : result
  }

  static func framesNote(_ pages: PagemapReader) -> String {
    let counts =
      pages.canReadFrames ? "" : "; /proc/kpagecount and /proc/kpageflags cannot be opened"
    return
      "frame numbers are hidden: pagemap shows them only to a process with CAP_SYS_ADMIN (it reads 0 otherwise)\(counts). Sharing still shows in PSS."
  }

  static func check(_ result: Int32, _ what: String) throws {
    guard result == 0 else {
      throw Failure(description: "\(what): \(String(cString: strerror(-result)))")
    }
  }
}

/// `0xDEADBEEF`: a 32-bit value, eight upper-case digits.
func hex32(_ v: UInt32) -> String {
  let digits = String(v, radix: 16, uppercase: true)
  return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
