import ArgumentParser
import FoundationEssentials
import Glibc
import VMExperiments
import VMMapCore
import VMReport

extension VMMapCommand {
  /// Runs the copy-on-write demo in a sandboxed child and renders its report.
  func runCow(style: TextStyle) throws {
    let report = try runSandboxed(.copyOnWrite, as: CowReport.self)
    try emitResult(report) { CowTextRenderer(style: style).render(report) }
  }
}

/// The text form of a copy-on-write report, in the handout's shape, with the kernel's numbers.
struct CowTextRenderer {
  var style: TextStyle

  func render(_ r: CowReport) -> String {
    var out: [String] = []
    let kib = r.pageSize / 1024
    out.append("=== COPY-ON-WRITE DEMONSTRATION ===")
    out.append(
      "Step 1: Parent process (PID \(r.parentPID)) fills \(SizeFormat.iec(r.region.size)) of private memory"
    )
    out.append(
      "  Region:  \(r.region.start)-\(r.region.end) \(r.region.permissions), \(thousands(r.region.pages)) pages of \(kib) KiB"
    )
    out += wrap(esc(r.region.setup), first: "  Made by: ", rest: "           ")
    let flags = r.region.vmFlags
    out.append(
      "  VmFlags: " + esc(flags.joined(separator: " "))
        + (flags.contains("mw") && !flags.contains("sh")
          ? "  (private, may be written: mw without sh, so copy-on-write after fork)" : ""))
    out.append("  Every 32-bit word: \(r.initialValue)")
    if let note = r.framesNote { out += wrap(esc(note), first: "  Note:    ", rest: "           ") }

    if let before = r.stage(.beforeFork) {
      out.append("Step 2: Before fork()")
      out.append(memory("Parent", before.parent))
      out.append("  Page 0:  " + page(before.parent.page0))
    }
    out.append("Step 3: fork() → child PID \(r.childPID)")
    if let forked = r.stage(.afterFork), let child = forked.child {
      out.append("Step 4: Right after fork()")
      out.append(memory("Parent", forked.parent))
      out.append(memory("Child", child))
      out.append(
        style.bold(
          "  Region, both: RSS \(k(forked.parent.region.rss + child.region.rss)) ← NOT one copy: RSS counts shared pages in each process; PSS \(k(forked.parent.region.pss + child.region.pss)) = one copy"
        ))
      out.append("  Page 0:  parent → " + page(forked.parent.page0))
      out.append(
        "           child  → " + page(child.page0) + same(forked.parent.page0, child.page0))
      out.append("  Both read \(forked.parent.page0.value) at page 0")
      out.append("  " + frames(forked.frames, pages: r.region.pages))
    }
    let faults = r.childWriteMinorFaults
    out.append(
      "Step 5: The child writes \(r.writtenValue) to page 0 (\(faults) minor fault\(faults == 1 ? "" : "s"): a write-protect fault, no signal)"
    )
    if let written = r.stage(.afterChildWrite), let child = written.child,
      let forked = r.stage(.afterFork), let forkedChild = forked.child
    {
      out.append("Step 6: After the child's write")
      out.append(memory("Parent", written.parent))
      out.append(memory("Child", child))
      let pss = written.parent.region.pss + child.region.pss
      let earlier = forked.parent.region.pss + forkedChild.region.pss
      let delta = pss >= earlier ? "+" + k(pss - earlier) : "-" + k(earlier - pss)
      out.append(style.bold("  Region, both: PSS \(k(pss)) (\(delta): the copied page)"))
      out.append("  Page 0:  parent → " + page(written.parent.page0))
      out.append(
        "           child  → " + page(child.page0) + same(written.parent.page0, child.page0))
      out.append(
        "  Parent reads \(written.parent.page0.value) (original), child reads \(child.page0.value) (its copy)"
      )
      var line = "  " + frames(written.frames, pages: r.region.pages)
      if let copied = r.pagesCopied {
        line +=
          copied == 1
          ? ": exactly one page copied (\(kib) KiB)" : ": \(copied) pages copied"
      }
      out.append(style.bold(line))
    }
    let w = r.parentWrite
    var step7 =
      "Step 7: The parent writes \(w.value) to its page 0 ("
      + (w.minorFaults > 0
        ? "\(w.minorFaults) minor fault\(w.minorFaults == 1 ? "" : "s"): its entry was still write-protected)"
        : "no fault: its entry was already writable)")
    switch w.reused {
    case true?: step7 += "\n  Frame \(w.frameBefore ?? "") → \(w.frameAfter ?? ""): reused, no copy"
    case false?:
      step7 += "\n  Frame \(w.frameBefore ?? "") → \(w.frameAfter ?? ""): copied after all"
    case nil: step7 += "\n  Frame not visible"
    }
    out.append(step7)
    out.append("")
    out.append("HOW IT WORKS (x86-64 has no \"COW bit\")")
    for paragraph in r.explanation { out += wrap(esc(paragraph), first: "  - ", rest: "    ") }
    out.append("")
    out += wrap("LESSON: " + esc(r.lesson), first: "", rest: "  ")
    if let usage = r.sandbox {
      out += wrap(
        sandboxLine(usage, role: "the demo's parent, with its reaped fork"), first: "", rest: "  ")
    }
    out.append("=== END DEMO ===")
    return out.joined(separator: "\n") + "\n"
  }

  func memory(_ who: String, _ v: CowProcessView) -> String {
    "  " + padded(who, 7) + "PID \(v.pid): region RSS \(k(v.region.rss)), PSS \(k(v.region.pss));"
      + " process RSS \(SizeFormat.iec(v.process.rss)), PSS \(SizeFormat.iec(v.process.pss))"
  }

  func page(_ p: CowPage) -> String {
    guard p.present else { return "not present" }
    var s = "frame " + (p.frame ?? "not visible")
    if let count = p.mapCount { s += ", kpagecount \(count)" }
    s += p.exclusive ? ", exclusive (pagemap bit 56 = 1)" : ", not exclusive (bit 56 = 0)"
    return s
  }

  func same(_ a: CowPage, _ b: CowPage) -> String {
    guard let x = a.frame, let y = b.frame else { return "" }
    return x == y ? "  ← the SAME frame" : "  ← a NEW frame"
  }

  func frames(_ c: CowFrameComparison?, pages: Int) -> String {
    guard let c else { return "All \(thousands(pages)) pages: frames not visible" }
    var s =
      "All \(thousands(c.pages)) pages: \(thousands(c.shared)) frames shared, \(thousands(c.differing)) \(c.differing == 1 ? "differs" : "differ")"
    if !c.differingPages.isEmpty {
      s += " (page " + c.differingPages.map(String.init).joined(separator: ", ") + ")"
    }
    if c.incomparable > 0 { s += ", \(thousands(c.incomparable)) not comparable" }
    return s
  }

  func k(_ bytes: UInt64) -> String { thousands(Int(bytes / 1024)) + " KiB" }
  func esc(_ s: String) -> String { TerminalEscape.escape(s) }
  func padded(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
  }

  /// Words of `text` on lines of at most 100 columns.
  func wrap(_ text: String, first: String, rest: String) -> [String] {
    wrapText(text, width: 100, first: first, rest: rest)
  }
}

/// One line for the sandboxed child's rusage: `Sandbox: PID 123 (…): 212 minor faults, …`.
func sandboxLine(_ u: SandboxUsage, role: String) -> String {
  func ms(_ seconds: Double) -> String { "\(Int((seconds * 1000).rounded())) ms" }
  return
    "Sandbox: PID \(u.pid) (\(role)): \(thousands(u.minorFaults)) minor faults, \(thousands(u.majorFaults)) major, max RSS \(SizeFormat.iec(u.maxRSS)) (the whole re-executed vmmap), CPU \(ms(u.userCPUSeconds + u.systemCPUSeconds)), wall \(ms(u.wallSeconds))"
}
