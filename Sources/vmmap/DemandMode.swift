import ArgumentParser
import FoundationEssentials
import Glibc
import VMExperiments
import VMMapCore
import VMReport

extension VMMapCommand {
  /// Runs the demand-paging experiment in a sandboxed child and renders its report. The
  /// progress bar goes to standard error, only when that is a terminal.
  func runDemand(style: TextStyle) throws {
    let options = try demandOptions()
    let bar = isatty(2) != 0 ? ProgressBar(verb: options.read ? "Reading" : "Writing") : nil
    let experiment = Experiment.demand(options)
    let run = try Sandbox.run(
      experiment, as: DemandReport.self, progress: bar.map { b in { b.feed($0) } })
    bar?.finish()
    // A child killed mid-run leaves its scratch file; one that finished removed it.
    if options.file { removeDemandLeftovers(childPID: run.pid) }
    guard case .finished(let report) = run.outcome else {
      throw run.outcome.error(experiment: experiment.name)
        ?? VMMapError(.internalError, what: "experiment demand", why: "no result")
    }
    try emitResult(report) { DemandTextRenderer(style: style).render(report) }
  }

  /// `--size` (default 100 MiB) and the flags, checked: at least one byte, at most half of
  /// MemAvailable (the child makes it resident).
  func demandOptions() throws(VMMapError) -> DemandOptions {
    let size =
      try demandSize.map { (s) throws(VMMapError) in try ByteSize.parse(s) }
      ?? DemandOptions.defaultSize
    guard size > 0 else {
      throw VMMapError(
        .usage, what: "--size '\(demandSize ?? "")'", why: "the region must be at least one byte",
        fix: "give a size such as 100M")
    }
    if let available = memAvailable(), size > available / 2 {
      throw VMMapError(
        .usage, what: "--size '\(demandSize ?? "")'",
        why:
          "\(SizeFormat.iec(size)) is more than half of the memory available now (\(SizeFormat.iec(available)))",
        fix: "give at most \(SizeFormat.iec(available / 2))")
    }
    return DemandOptions(size: size, hugePages: demandTHP, read: demandRead, file: demandFile)
  }

  /// `MemAvailable` of /proc/meminfo, in bytes.
  func memAvailable() -> UInt64? {
    guard let text = try? readSmallFile("/proc/meminfo") else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
      let fields = line.split(separator: " ")
      if fields.count >= 2, let kB = UInt64(fields[1]) { return kB * 1024 }
    }
    return nil
  }
}

/// `Writing [##########..........]  50%  12,800 / 25,600 pages` on standard error, redrawn
/// in place from the child's `done total` lines.
final class ProgressBar {
  let verb: String
  var pending: [UInt8] = []
  var drawn = false

  init(verb: String) { self.verb = verb }

  func feed(_ bytes: ArraySlice<UInt8>) {
    pending += bytes
    guard let lastNewline = pending.lastIndex(of: UInt8(ascii: "\n")) else { return }
    let complete = pending[..<lastNewline]
    let lastLine = complete.split(separator: UInt8(ascii: "\n")).last ?? []
    pending.removeFirst(lastNewline + 1)
    let fields = lastLine.split(separator: UInt8(ascii: " "))
    guard fields.count == 2, let done = Int(String(decoding: fields[0], as: UTF8.self)),
      let total = Int(String(decoding: fields[1], as: UTF8.self)), total > 0
    else { return }
    draw(done: done, total: total)
  }

  func draw(done: Int, total: Int) {
    let width = 40
    let filled = width * done / total
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let line =
      "\r\(verb) [\(bar)] \(String(repeating: " ", count: 3 - String(100 * done / total).count))\(100 * done / total)%  \(thousands(done)) / \(thousands(total)) pages"
    _ = line.withCString { write(2, $0, strlen($0)) }
    drawn = true
  }

  /// Ends the bar's line (left on screen as a record of the run).
  func finish() {
    if drawn { _ = write(2, "\n", 1) }
  }
}

/// The text form of a demand-paging report, in the handout's shape.
struct DemandTextRenderer {
  var style: TextStyle

  /// The smaps lines worth showing (the rest are in --json).
  static let shownFields: Set<String> = [
    "Size", "KernelPageSize", "Rss", "Pss", "Private_Clean", "Private_Dirty", "Anonymous",
    "AnonHugePages", "THPeligible",
  ]

  func render(_ r: DemandReport) -> String {
    var out: [String] = []
    let kind =
      (r.options.file ? "file-backed" : "anonymous")
      + (r.options.hugePages ? ", MADV_HUGEPAGE" : "")
    out.append(style.bold("=== DEMAND PAGING DEMONSTRATION ===") + " (\(r.access), \(kind))")
    out.append("")
    out.append(
      style.bold("Step 1:")
        + " mmap \(SizeFormat.iec(r.size)) without touching it (\(thousands(r.pages)) pages of \(SizeFormat.iec(r.pageSize)))"
    )
    for step in r.setup {
      out += wrap(TerminalEscape.escape(step), width: 96, first: "  - ", rest: "    ")
    }
    out.append("  Region: \(r.before.region.start)-\(r.before.region.end)")
    out.append("")
    out.append(style.bold("Step 2:") + " the new region before any access")
    out += snapshot(r.before, r, after: false)
    out.append("")
    let verb = r.options.read ? "Reading" : "Writing"
    out.append(
      style.bold("Step 3:")
        + " \(verb.lowercased()) one byte of every page (\(thousands(r.pages)) pages)")
    let ms = Double(r.touchNanoseconds) / 1_000_000
    out.append(
      "  Done in \(formatMilliseconds(ms)); \(r.samples.count) samples of RSS and faults along the way (in --json)"
    )
    out.append("")
    out.append(style.bold("Step 4:") + " the same region after")
    out += snapshot(r.after, r, after: true)
    out.append("")
    out.append(style.bold("Page fault analysis:"))
    let f = r.faults
    let mark = "  <-- " + (f.expectedKind == "major" ? "one per page" : expectedText(r))
    out.append(
      "  New minor faults: \(padLeft(thousands(f.minor), 7))"
        + (f.expectedKind == "minor" ? mark : ""))
    out.append(
      "  New major faults: \(padLeft(thousands(f.major), 7))"
        + (f.expectedKind == "major" ? mark : ""))
    out.append(
      "  Expected:         \(padLeft(thousands(f.expected), 7))  (\(f.expectedKind); \(thousands(r.pages)) pages touched)"
    )
    out.append(
      "  Surplus:          \(padLeft(f.surplus == 0 ? "0" : signed(f.surplus), 7))  (a second pass over the same pages: \(thousands(f.repeatPass)))"
    )
    out.append(
      "  /proc/self/stat:  \(padLeft(thousands(f.statMinor), 7)) minor, \(thousands(f.statMajor)) major"
    )
    out.append("")
    out.append(style.bold("What happened:"))
    for paragraph in r.explanation {
      out += wrap(TerminalEscape.escape(paragraph), width: 96, first: "  - ", rest: "    ")
    }
    out.append("")
    out.append(style.bold("LESSON:"))
    for line in r.lesson {
      out += wrap(TerminalEscape.escape(line), width: 96, first: "  ", rest: "  ")
    }
    out.append(style.bold("=== END DEMO ==="))
    return out.joined(separator: "\n") + "\n"
  }

  func snapshot(_ s: DemandSnapshot, _ r: DemandReport, after: Bool) -> [String] {
    var out = [
      "  /proc/self/smaps (the kernel's lines; all \(s.region.smapsLines.count) in --json):"
    ]
    for (i, line) in s.region.smapsLines.enumerated() {
      let key = line.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
      if i == 0 || Self.shownFields.contains(key) {
        out.append("    " + TerminalEscape.escape(line))
      }
    }
    var present =
      "  Pages present (pagemap): \(thousands(s.region.presentPages)) of \(thousands(r.pages))"
    var flags: [String] = []
    if let zero = s.region.zeroPages, zero > 0 { flags.append("\(thousands(zero)) ZERO_PAGE") }
    if let thp = s.region.thpPages, thp > 0 { flags.append("\(thousands(thp)) THP") }
    if let heads = s.region.compoundHeads, heads > 0 {
      flags.append("\(thousands(heads)) compound heads")
    }
    if !flags.isEmpty { present += " (kpageflags: " + flags.joined(separator: ", ") + ")" }
    if s.region.presentPages > 0 && !s.region.framesVisible {
      present += " (frames not visible: kpageflags needs CAP_SYS_ADMIN)"
    }
    out.append(present)
    if let file = r.file {
      let cached = after ? file.cachedAfterTouch : file.cachedAfterDrop
      out.append(
        "  In the page cache (mincore): \(thousands(cached)) of \(thousands(r.pages)) pages")
    }
    var rss = "  RSS (VmRSS):  \(SizeFormat.iec(s.vmRSS))"
    if after {
      rss += "  (\(signedIEC(Int64(s.vmRSS) - Int64(r.before.vmRSS))))"
    }
    rss += "  RssAnon \(SizeFormat.iec(s.rssAnon)), RssFile \(SizeFormat.iec(s.rssFile))"
    out.append(rss)
    var faults =
      "  Page faults:  minor \(thousands(s.faults.minor)), major \(thousands(s.faults.major)) (getrusage)"
    if after {
      faults =
        "  Page faults:  minor \(thousands(s.faults.minor)) (+\(thousands(s.faults.minor - r.before.faults.minor))), major \(thousands(s.faults.major)) (+\(thousands(s.faults.major - r.before.faults.major))) (getrusage)"
    }
    out.append(faults)
    return out
  }

  func expectedText(_ r: DemandReport) -> String {
    let f = r.faults
    if f.hugeMappings == 0 { return "one per page" }
    let perHuge = Int(r.thp.hugePageSize / r.pageSize)
    let small = r.pages - f.hugeMappings * perHuge
    return small == 0
      ? "one per huge page (\(thousands(f.hugeMappings)) × \(SizeFormat.iec(r.thp.hugePageSize)))"
      : "one per huge page (\(thousands(f.hugeMappings))) and per 4 KiB page (\(thousands(small)))"
  }

  func formatMilliseconds(_ ms: Double) -> String {
    ms >= 1000
      ? SizeFormat.fixed(ms / 1000, places: 2) + " s"
      : SizeFormat.fixed(ms, places: 1) + " ms"
  }

  func signedIEC(_ v: Int64) -> String { (v < 0 ? "-" : "+") + SizeFormat.iec(v.magnitude) }

  func signed(_ v: Int) -> String { (v < 0 ? "-" : "+") + thousands(abs(v)) }

  func padLeft(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
  }

  func wrap(_ text: String, width: Int, first: String, rest: String) -> [String] {
    wrapText(text, width: width, first: first, rest: rest)
  }
}
