import VMMapCore

/// The explanation of a copy-on-write run, from its own numbers: what fork shared, how the
/// kernel tells a copy-on-write page without a "COW bit", what the write copied, and why PSS
/// (not RSS) shows it.
struct CowExplainer {
  var report: CowReport

  static let lesson =
    "fork() does not copy memory: it copies page tables and write-protects private pages in both processes. A page is copied only when one of them writes it, and only that page."

  func explanation() -> [String] {
    let r = report
    guard let before = r.stage(.beforeFork), let forked = r.stage(.afterFork),
      let written = r.stage(.afterChildWrite), let forkedChild = forked.child,
      let writtenChild = written.child
    else { return [] }
    let kib = r.pageSize / 1024
    let regionMiB = r.region.size >> 20
    var lines: [String] = []

    if let frames = forked.frames, let frame = forked.parent.page0.frame {
      lines.append(
        "fork() copied the page tables, not the \(regionMiB) MiB: right after it, page 0 of both processes pointed at frame \(frame) (kpagecount \(count(forked.parent.page0))), and \(thousands(frames.shared)) of \(thousands(frames.pages)) pages shared their frame with the other process."
      )
    } else {
      lines.append(
        "fork() copied the page tables, not the \(regionMiB) MiB: the frames are hidden here, but PSS (below) shows that both processes share them."
      )
    }

    let cowMapping = r.region.vmFlags.contains("mw") && !r.region.vmFlags.contains("sh")
    lines.append(
      "x86-64 page-table entries have no \"COW bit\". What makes a page copy-on-write is its VMA: private and allowed to be written (VmFlags \(r.region.vmFlags.joined(separator: " ")): mw without sh, the kernel's is_cow_mapping\(cowMapping ? "" : " — not the case here")). At fork the kernel cleared the write bit of every present page-table entry of such a VMA, in both processes, while the VMA stayed writable. pagemap does not show that bit; it shows bit 56, \"exclusively mapped\", which went from \(bit(before.parent.page0.exclusive)) before the fork to \(bit(forked.parent.page0.exclusive)) in the parent and \(bit(forkedChild.page0.exclusive)) in the child."
    )

    var write =
      "The child's write hit a page-table entry without write permission in a VMA that allows writing: a write-protect fault (\(r.childWriteMinorFaults) minor fault\(r.childWriteMinorFaults == 1 ? "" : "s") in the child), not a SIGSEGV."
    if let frames = written.frames, let oldFrame = written.parent.page0.frame,
      let newFrame = writtenChild.page0.frame
    {
      write +=
        " The frame was mapped twice, so the kernel took a new frame (\(newFrame)), copied the \(kib) KiB into it and mapped it writable in the child; the parent keeps \(oldFrame). Comparing all \(thousands(frames.pages)) pages: \(thousands(frames.differing)) now differ\(frames.differing == 1 ? "s" : ""), \(thousands(frames.shared)) are still shared."
    } else {
      write +=
        " The kernel gave the child a copy of that one page, mapped writable; the parent keeps the original."
    }
    lines.append(write)

    var parent =
      "The parent still reads \(written.parent.page0.value), the child \(writtenChild.page0.value)."
    if let count = written.parent.page0.mapCount {
      parent +=
        " The parent's frame is mapped once again (kpagecount \(count), exclusive bit \(bit(written.parent.page0.exclusive))), but its entry stayed write-protected:"
    } else {
      parent += " The parent's entry stayed write-protected:"
    }
    let w = r.parentWrite
    parent +=
      " when the parent then wrote its page 0, that was a write-protect fault too (\(w.minorFaults) minor fault\(w.minorFaults == 1 ? "" : "s"))"
    switch w.reused {
    case true?:
      parent +=
        ", and the kernel, seeing no one else mapping the frame, made the entry writable again and kept the frame (\(w.frameAfter ?? "")): no copy."
    case false?:
      parent +=
        ", and this time the kernel copied anyway (\(w.frameBefore ?? "") → \(w.frameAfter ?? "")): something else held a reference to the page."
    case nil:
      parent += "; with frames hidden, whether it copied cannot be seen."
    }
    lines.append(parent)

    let rssSum = forked.parent.region.rss + forkedChild.region.rss
    let pssSum = forked.parent.region.pss + forkedChild.region.pss
    let pssAfter = written.parent.region.pss + writtenChild.region.pss
    lines.append(
      "RSS counts a shared page in full in every process that maps it, so RSS does not add up across processes: after the fork the region's RSS was \(kibString(forked.parent.region.rss)) in each, \(kibString(rssSum)) in all, for \(kibString(before.parent.region.rss)) of frames. PSS divides each page among its mappers: \(kibString(forked.parent.region.pss)) + \(kibString(forkedChild.region.pss)) = \(kibString(pssSum)). After the write, \(kibString(pssAfter)) in all: \(pssAfter >= pssSum ? kibString(pssAfter - pssSum) : "-" + kibString(pssSum - pssAfter)) more, the copied page."
    )
    if forkedChild.process.rss < forked.parent.process.rss {
      lines.append(
        "Whole processes (smaps_rollup): the child's RSS right after the fork was \(kibString(forkedChild.process.rss)) against the parent's \(kibString(forked.parent.process.rss)). fork copies page-table entries only for regions that hold anonymous pages; the child faults file-backed pages (the program, its libraries) in again when it touches them."
      )
    }
    return lines
  }

  func count(_ page: CowPage) -> String { page.mapCount.map { "\($0)" } ?? "unknown" }
  func bit(_ b: Bool) -> String { b ? "1" : "0" }
  func kibString(_ bytes: UInt64) -> String { thousands(Int(bytes / 1024)) + " KiB" }
}
