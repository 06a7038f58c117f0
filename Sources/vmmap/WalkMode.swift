import ArgumentParser
import FoundationEssentials
import Glibc
import VMExperiments
import VMMapCore
import VMReport

extension VMMapCommand {
  /// Follows one address of `--pid` (default: this vmmap) through the page tables, in a
  /// sandboxed child, and renders the walk.
  func runWalk(_ text: String, style: TextStyle) throws {
    let address = try parseAddress(text)
    let target = try pid.map(parsePID) ?? getpid()
    // The child's failures come back as one line; check here what has its own exit code (no
    // such process 66, a kernel thread or zombie 69, permission 77).
    let reader = try ProcessReader(pid: target)
    try reader.checkUserProcess(try reader.readStat(), status: try reader.readStatus())
    let report = try runSandboxed(
      .walk(WalkRequest(pid: target, addresses: [address])), as: WalkReport.self)
    try emitResult(report) { WalkTextRenderer(style: style).render(report) }
  }
}

/// The text form of a walk: the address's bits, the walk drawn level by level, the page, what
/// an access does, and the page-table cost.
struct WalkTextRenderer {
  var style: TextStyle

  func render(_ r: WalkReport) -> String {
    var out: [String] = []
    for w in r.walks { out += walk(w, r) }
    out.append("")
    out += cost(r.pageTables, pageSize: r.pageSize)
    out.append("")
    out.append("HIDDEN FROM USER SPACE")
    for h in r.hidden { out += wrap(h, first: "  - ", rest: "    ") }
    if let usage = r.sandbox {
      out.append("")
      out += wrap(sandboxLine(usage, role: "read the process from outside"), first: "", rest: "  ")
    }
    out.append("=== END WALK ===")
    return out.joined(separator: "\n") + "\n"
  }

  func walk(_ w: AddressWalk, _ r: WalkReport) -> [String] {
    var out: [String] = []
    let label = w.label.map { " (\(esc($0)))" } ?? ""
    out.append("=== PAGE WALK \(w.address)\(label) ===")
    out.append("Process:  PID \(r.pid) (\(esc(r.command)))")
    out.append(
      "Paging:   \(r.levels) levels, \(r.virtualAddressBits)-bit virtual addresses (the CPU \(r.cpuHasLA57 ? "has" : "has no") la57), \(SizeFormat.iec(r.pageSize)) pages; user space ends at \(r.userTop)"
    )
    out.append("")
    out.append("ADDRESS BITS")
    out += bitTable(w)
    if !w.canonical || !w.userSpace {
      out.append("")
      out += wrap(esc(w.conclusion), first: "", rest: "")
      out += accesses(w)
      return out
    }
    out.append("")
    out.append(
      "THE WALK (indices computed from the address; pages below each entry from PAGEMAP_SCAN)")
    out.append("  CR3 (the PGD's physical address: kernel-only)")
    var indent = "  "
    for s in w.steps {
      let head = "\(indent)└→ \(s.level.rawValue) (\(s.intelName))[\(s.index)]"
      var line =
        padded(head, 34) + "bits \(s.bits.high)–\(s.bits.low)  entry covers "
        + "\(SizeFormat.iec(s.entrySpan)) \(s.spanStart)-\(s.spanEnd)"
      if let n = s.mappedPagesBelow {
        line += ": \(thousands(Int(n))) page\(n == 1 ? "" : "s") mapped below"
      }
      if !s.usedForThisAddress { line = style.dim(line + "  (not used: the walk ended above)") }
      out.append(line)
      if s.isLeaf, let p = w.page, let size = w.mappedPageSize {
        out.append(
          indent + "   "
            + style.bold(
              "this entry maps the \(SizeFormat.iec(size)) page"
                + (p.frame.map { " at frame \($0)" } ?? "")))
      }
      indent += "   "
    }
    if let p = w.page, p.present {
      let offset = w.leafOffset ?? w.pageOffset
      let phys = p.physicalAddress.map { style.bold($0.description) } ?? "not visible"
      out.append(
        "\(indent)└→ + offset \(hex(offset.value)) (bits \(offset.high)–0) = physical address \(phys)"
      )
    }
    out.append("")
    out += wrap(esc(w.conclusion), first: "", rest: "")

    out.append("")
    out.append("REGION")
    if let g = w.region {
      out.append(
        "  \(g.start)-\(g.end) \(g.permissions)  \(g.kind.rawValue)  \(esc(g.description))")
      if !g.name.isEmpty { out.append("  Name:          \(esc(g.name))") }
      var sizes = ""
      if let size = w.mappedPageSize {
        sizes += "\(SizeFormat.iec(size))"
        if let source = w.pageSizeSource { sizes += " (\(esc(source)))" }
      } else {
        sizes +=
          "smaps KernelPageSize \(SizeFormat.iec(g.kernelPageSize ?? r.pageSize)) (no page here yet)"
      }
      out += wrap(sizes, first: "  Page size:     ", rest: "                 ")
      out.append(
        "  smaps:         KernelPageSize \(SizeFormat.iec(g.kernelPageSize ?? 0)), MMUPageSize \(SizeFormat.iec(g.mmuPageSize ?? 0)), AnonHugePages \(SizeFormat.iec(g.anonHugePages ?? 0)), Rss \(SizeFormat.iec(g.rss ?? 0))"
      )
      out.append("  VmFlags:       \(esc(g.vmFlags.joined(separator: " ")))")
    } else if let gap = w.gap {
      out.append("  none: the address lies in the gap \(gap.start)-\(gap.end)")
    }

    if let p = w.page {
      out.append("")
      out.append("PAGE (/proc/\(r.pid)/pagemap entry \(p.pagemap))")
      out.append("  Present:       \(p.present ? "yes (bit 63)" : "no (bit 63 clear)")")
      out.append(
        "  Swapped:       \(p.swapped ? "yes (bit 62): type \(p.swapType ?? 0), offset \(p.swapOffset ?? 0)" : "no (bit 62 clear)")"
      )
      out.append(
        "  File/shared:   \(p.fileOrShared ? "yes (bit 61): a file page or shared anonymous memory" : "no (bit 61 clear): private anonymous, or nothing mapped")"
      )
      out.append(
        "  Exclusive:     \(p.exclusive ? "yes (bit 56): mapped by this process only" : "no (bit 56 clear)")"
      )
      let soft: String
      switch (r.softDirtySupported, p.softDirty) {
      case (true?, let bit?): soft = bit ? "yes (bit 55)" : "no (bit 55 clear)"
      case (false?, _):
        soft = "not tracked by this kernel (\(esc(r.softDirtySource))): bit 55 is always 0"
      default: soft = "unknown (\(esc(r.softDirtySource)))"
      }
      out += wrap(soft, first: "  Soft-dirty:    ", rest: "                 ")
      if p.uffdWriteProtected { out.append("  uffd-wp:       yes (bit 57)") }
      if p.present {
        out.append(
          "  Frame:         \(p.frame?.description ?? "not visible")"
            + (p.physicalAddress.map { " → physical address \($0)" } ?? ""))
        if let note = p.frameNote {
          out += wrap(esc(note), first: "  Note:          ", rest: "                 ")
        }
        if let count = p.mapCount {
          out.append("  kpagecount:    \(count) (page-table entries mapping this frame)")
        }
        if let flags = p.flags {
          out.append(
            "  kpageflags:    \(flags.joined(separator: " ")) (\(p.flagsRaw?.description ?? ""))")
          for f in flags {
            if let m = Self.flagMeaning[f] { out.append("                   \(padded(f, 14))\(m)") }
          }
        }
        if let huge = p.hugeMapped {
          out.append("  PMD-mapped:    \(huge ? "yes" : "no") (PAGEMAP_SCAN PAGE_IS_HUGE)")
        }
      }
    }

    out += accesses(w)
    return out
  }

  func accesses(_ w: AddressWalk) -> [String] {
    guard !w.accesses.isEmpty else { return [] }
    var out = ["", "WHAT AN ACCESS HERE WOULD DO"]
    for a in w.accesses {
      out.append("  \(padded(a.access, 8))→ \(a.result)" + (a.fault.map { "  [\(esc($0))]" } ?? ""))
      out += wrap("why: " + esc(a.reason), first: "            ", rest: "            ")
    }
    return out
  }

  /// The address cut into fields, most significant first, as the seed's figure draws it.
  func bitTable(_ w: AddressWalk) -> [String] {
    var fields: [(bits: String, text: String)] = [
      ("\(w.signBits.high)–\(w.signBits.low)", "sign " + hex(w.signBits.value))
    ]
    for s in w.steps {
      fields.append(("\(s.bits.high)–\(s.bits.low)", "\(s.level.rawValue) \(s.index)"))
    }
    fields.append(
      ("\(w.pageOffset.high)–0", "offset " + hex(w.pageOffset.value)))
    let widths = fields.map { max($0.bits.count, $0.text.count) + 2 }
    var top = "  ┌"
    var bits = "   "
    var mid = "  │"
    var bottom = "  └"
    for (i, f) in fields.enumerated() {
      let w = widths[i]
      let bar = String(repeating: "─", count: w)
      top += bar + (i == fields.count - 1 ? "┐" : "┬")
      bottom += bar + (i == fields.count - 1 ? "┘" : "┴")
      mid += " " + padded(f.text, w - 1) + "│"
      bits += " " + padded(f.bits, w - 1) + " "
    }
    return [bits, top, mid, bottom]
  }

  func cost(_ c: PageTableCost, pageSize: UInt64) -> [String] {
    var out: [String] = ["PAGE-TABLE COST (\(thousands(c.regions)) regions)"]
    out.append(
      "  VmPTE (status):  " + (c.vmPTE.map { SizeFormat.iec($0) } ?? "not reported")
        + "  the kernel's count of PUD, PMD and PTE tables")
    out.append("  Computed from the map (labelled: not the kernel's count):")
    out.append("    level  one table covers  tables (every region)  tables (present/swapped pages)")
    for l in c.levels {
      out.append(
        "    " + padded(l.level.rawValue, 7) + padded(SizeFormat.iec(l.tableSpan), 18)
          + padded(thousands(l.fromMap), 23) + (l.fromPages.map(thousands) ?? "?")
          + (l.inVmPTE ? "" : "  (not in VmPTE)"))
    }
    out.append(
      "    VmPTE's levels: \(SizeFormat.iec(c.fromMapBytes)) if every page were touched, "
        + (c.fromPagesBytes.map { SizeFormat.iec($0) + " for the pages present now" } ?? "?"))
    out += wrap(esc(c.note), first: "  ", rest: "  ")
    return out
  }

  /// One line per kpageflags bit, for people.
  static let flagMeaning: [String: String] = [
    "locked": "locked for I/O", "referenced": "recently referenced (LRU aging)",
    "uptodate": "contents valid", "dirty": "written since last written back",
    "lru": "on an LRU list (reclaimable)", "active": "on the active LRU list",
    "slab": "kernel slab memory", "writeback": "being written back", "reclaim": "to be reclaimed",
    "buddy": "free (buddy allocator)", "mmap": "mapped into some process",
    "anon": "anonymous memory", "swapcache": "in the swap cache",
    "swapbacked": "backed by swap (anonymous or shmem)",
    "compound_head": "first page of a compound page",
    "compound_tail": "later page of a compound page", "huge": "hugetlbfs page",
    "unevictable": "cannot be reclaimed (mlock)", "hwpoison": "hardware memory error",
    "nopage": "no page frame here", "ksm": "merged by KSM",
    "thp": "part of a transparent huge page (or large folio)", "offline": "offline memory",
    "zero_page": "the shared zero page", "idle": "not accessed since marked idle",
    "pgtable": "a page table",
  ]

  func esc(_ s: String) -> String { TerminalEscape.escape(s) }
  func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
  func padded(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
  }

  func wrap(_ text: String, first: String, rest: String) -> [String] {
    wrapText(text, width: 100, first: first, rest: rest)
  }
}
