import ArgumentParser
import Glibc
import VMExperiments
import VMMapCore
import VMReport

/// `vmmap`: show and explain a process's virtual memory.
struct VMMapCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vmmap",
    abstract: "Show and explain a process's virtual memory.",
    discussion: """
      Every region is classified as the kernel and the ELF file see it (ELF headers, .text, .rodata, .data/.bss, RELRO, heap, stacks and their guard pages, malloc arenas, shared libraries, anonymous, file and shared mappings, memfd, SysV shm, vdso, vvar, vsyscall), with its size, RSS, PSS, clean/dirty pages and swap.

      Examples:
        vmmap --self                          this process, grouped as in the handout
        vmmap --map 1234 --table --top 20     the 20 largest regions by RSS
        vmmap --map 1234 --kind thread-stack,guard-page
        vmmap --detail 0x7ffd12345678 --pid 1234
        vmmap --walk 0x7ffd12345678 --pid 1234  follow an address through the page tables
        vmmap --fault write-readonly          make a fault in a child and explain it
        vmmap --cow                           fork, write one page, watch it being copied
        vmmap --faults -- make -j2            a command's page faults, max RSS, times
        vmmap --sample -- ls -l /             where a command's page faults happen
        vmmap --demand --size 64M --thp       demand paging, counted fault by fault
        vmmap --tlb --size 256M               access time against working set: TLB reach, huge pages
        vmmap --aslr --runs 100               where ASLR puts things, run after run
        vmmap --smaps-file smaps.txt --json   a saved smaps file, as JSON
        vmmap --self --format md -o map.md    Markdown for a bug ticket

      --format md renders the map views (--self, --map, --maps-file, --smaps-file); --detail is text or json only.
      """,
    version: VMMapVersion.description,
    subcommands: [ReportCommand.self, RenderCommand.self, CompareCommand.self, WatchCommand.self])

  @Flag(name: .customLong("self"), help: "Show vmmap's own memory map.")
  var selfMap = false

  @Option(
    name: .customLong("map"), parsing: .upToNextOption,
    help: ArgumentHelp("Show the memory map of each PID.", valueName: "pid"),
    completion: Completions.pids)
  var mapPIDs: [String] = []

  @Option(
    help: ArgumentHelp(
      "Explain one address: its region, page and what an access does.", valueName: "addr"))
  var detail: String?

  @Option(
    help: ArgumentHelp(
      "Follow one address through the page tables: indices per level, region, page size, frame, pagemap and kpageflags bits, and the page-table cost (in a sandboxed child).",
      valueName: "addr"))
  var walk: String?

  @Option(
    help: ArgumentHelp(
      "Make a memory fault in a sandboxed child and explain it (all: every type).",
      valueName: "type"),
    completion: Completions.faultTypes)
  var fault: FaultChoice?

  @Flag(
    help:
      "Copy-on-write, shown from the kernel: fill a private region, fork, let the child write one page (in a sandboxed child)."
  )
  var cow = false
  @Option(
    parsing: .remaining,
    help: ArgumentHelp(
      "Run CMD (no shell; everything after --faults is the command) and report its page faults, max RSS and times on stderr; exits with its status.",
      valueName: "cmd"))
  var faults: [String] = []

  @Option(
    parsing: .remaining,
    help: ArgumentHelp(
      "Run CMD (no shell; everything after --sample is the command) with every page fault sampled (perf_event_open) and report the faults per region, in first-touch order, on stderr; exits with its status.",
      valueName: "cmd"))
  var sample: [String] = []

  @Flag(
    name: .customLong("no-ptrace"),
    help:
      "With --faults: do not trace the command; max RSS is then wait4's ru_maxrss, an upper bound that includes vmmap."
  )
  var noPtrace = false

  @Flag(
    help:
      "Demand paging: mmap a region in a sandboxed child, touch every page, count the faults.")
  var demand = false

  @Flag(
    help:
      "TLB reach and locality: time one access per page over working sets up to --size (default 1G), 4 KiB and huge pages, in a sandboxed child."
  )
  var tlb = false

  @Option(
    name: .customLong("size"),
    help: ArgumentHelp(
      "--demand's region: 100M or 100MiB (MiB), 100MB (10^6 bytes), 4K… (default 100M); --tlb's largest working set (default 1G).",
      valueName: "size"))
  var demandSize: String?

  @Flag(
    name: .customLong("thp"),
    help: "--demand with madvise(MADV_HUGEPAGE): 2 MiB transparent huge pages, a fault each.")
  var demandTHP = false

  @Flag(
    name: .customLong("read"),
    help: "--demand reads each page instead of writing it: every page maps the zero page.")
  var demandRead = false

  @Flag(
    name: .customLong("file"),
    help: "--demand on a file dropped from the page cache: major faults.")
  var demandFile = false

  @Flag(
    help:
      "Address-space layout randomisation, observed: start a specimen N times with ASLR and N times with ADDR_NO_RANDOMIZE (sandboxed children) and compare where the executable, heap, stack, mmap base, vdso and libc land."
  )
  var aslr = false

  @Option(
    name: .customLong("runs"),
    help: ArgumentHelp(
      "--aslr's runs per series (default \(AslrExperiment.defaultRuns)).", valueName: "n"))
  var aslrRuns: Int?

  @Option(
    help: ArgumentHelp(
      "The process for --detail or --walk (default: vmmap itself).", valueName: "pid"),
    completion: Completions.pids)
  var pid: String?

  @Option(
    name: .customLong("maps-file"),
    help: ArgumentHelp("Read a saved /proc/PID/maps file.", valueName: "file"),
    completion: .file())
  var mapsFile: String?

  @Option(
    name: .customLong("smaps-file"),
    help: ArgumentHelp("Read a saved /proc/PID/smaps file.", valueName: "file"),
    completion: .file())
  var smapsFile: String?

  @Flag(
    help:
      "Cheaper counters: RSS and swap from the page tables (PAGEMAP_SCAN) instead of smaps; no PSS or clean/dirty."
  )
  var fast = false

  @Flag(help: "One address-ordered table (with gaps) instead of the grouped layout.")
  var table = false

  @Option(
    help: ArgumentHelp(
      "Only regions of these kinds (comma-separated): \(RegionKind.allCases.map(\.rawValue).joined(separator: ", ")).",
      valueName: "kind"),
    completion: Completions.regionKinds)
  var kind: [String] = []

  @Option(
    help: ArgumentHelp(
      "Order regions by addr, size, rss, pss or swap (largest first).", valueName: "key"))
  var sort: RegionSelection.SortKey?

  @Option(
    help: ArgumentHelp(
      "Only the N first regions after sorting (default order: RSS).", valueName: "n"))
  var top: Int?

  @Option(
    help: ArgumentHelp(
      "Output format: text, json or md (Markdown; map views only, not --detail).",
      valueName: "format"))
  var format: OutputFormat?

  @Flag(help: "Same as --format json.")
  var json = false

  @Option(
    name: .shortAndLong,
    help: ArgumentHelp("Write to this file (atomically); - is standard output.", valueName: "path"),
    completion: .file())
  var output: String?

  @Option(
    help: ArgumentHelp(
      "Colour: auto (a terminal without NO_COLOR), always or never.", valueName: "when"))
  var color: ColorChoice = .auto

  func validate() throws {
    if tlb {
      let others =
        demand || cow || fault != nil || selfMap || !mapPIDs.isEmpty || detail != nil
        || pid != nil || mapsFile != nil || smapsFile != nil || fast || table || !kind.isEmpty
        || sort != nil || top != nil || faultsGiven || sampleGiven || noPtrace || walk != nil
        || demandTHP || demandRead || demandFile || aslr || aslrRuns != nil
      if others { throw ValidationError("--tlb goes alone (with --size, --json or --format)") }
      if effectiveFormat == .md { throw ValidationError("--tlb renders as text or json, not md") }
      if json && format != nil && format != .json {
        throw ValidationError("--json contradicts --format \(format!)")
      }
      return
    }
    if aslr {
      try validateAslr()
      return
    }
    if aslrRuns != nil { throw ValidationError("--runs goes with --aslr") }
    if walk != nil {
      let others =
        demand || cow || fault != nil || selfMap || !mapPIDs.isEmpty || detail != nil
        || mapsFile != nil || smapsFile != nil || fast || table || !kind.isEmpty || sort != nil
        || top != nil || faultsGiven || sampleGiven || noPtrace || demandSize != nil || demandTHP
        || demandRead || demandFile || tlb || aslr
      if others { throw ValidationError("--walk ADDR goes alone (with --pid, --json or --format)") }
      if effectiveFormat == .md { throw ValidationError("--walk renders as text or json, not md") }
      if json && format != nil && format != .json {
        throw ValidationError("--json contradicts --format \(format!)")
      }
      return
    }
    if demand {
      let others =
        cow || fault != nil || selfMap || !mapPIDs.isEmpty || detail != nil || pid != nil
        || mapsFile != nil || smapsFile != nil || fast || table || !kind.isEmpty || sort != nil
        || top != nil || faultsGiven || sampleGiven || walk != nil || tlb || aslr
      if others {
        throw ValidationError(
          "--demand goes alone (with --size, --thp, --read, --file, --json or --format)")
      }
      if effectiveFormat == .md {
        throw ValidationError("--demand renders as text or json, not md")
      }
      if demandTHP && demandFile {
        throw ValidationError(
          "--thp is for anonymous memory: a file mapping gets no transparent huge pages here (drop --thp or --file)"
        )
      }
      if json && format != nil && format != .json {
        throw ValidationError("--json contradicts --format \(format!)")
      }
      return
    }
    if demandSize != nil || demandTHP || demandRead || demandFile {
      throw ValidationError("--size, --thp, --read and --file go with --demand")
    }
    if cow {
      let others =
        fault != nil || selfMap || !mapPIDs.isEmpty || detail != nil || pid != nil
        || mapsFile != nil || smapsFile != nil || fast || table || !kind.isEmpty || sort != nil
        || top != nil || faultsGiven || sampleGiven || walk != nil || tlb || aslr
      if others { throw ValidationError("--cow goes alone (with --json or --format)") }
      if effectiveFormat == .md { throw ValidationError("--cow renders as text or json, not md") }
      return
    }
    if faultsGiven {
      try validateFaults()
      return
    }
    if sampleGiven {
      try validateSample()
      return
    }
    if noPtrace { throw ValidationError("--no-ptrace goes with --faults CMD") }
    if fault != nil {
      let others =
        selfMap || !mapPIDs.isEmpty || detail != nil || pid != nil || mapsFile != nil
        || smapsFile != nil || fast || table || !kind.isEmpty || sort != nil || top != nil
        || walk != nil || tlb || aslr
      if others { throw ValidationError("--fault TYPE goes alone (with --json or --format)") }
      if effectiveFormat == .md { throw ValidationError("--fault renders as text or json, not md") }
      return
    }
    let files = [mapsFile != nil, smapsFile != nil].filter { $0 }.count
    if files > 1 { throw ValidationError("give either --maps-file or --smaps-file, not both") }
    // "Nothing to show" is checked in run(): validate() also runs before a subcommand.
    if selfMap && !mapPIDs.isEmpty {
      throw ValidationError("give either --self or --map PID, not both")
    }
    if files > 0 && (selfMap || !mapPIDs.isEmpty) {
      throw ValidationError("a saved file is its own map: drop --self/--map")
    }
    if pid != nil && detail == nil { throw ValidationError("--pid goes with --detail ADDR") }
    if detail != nil && (selfMap || !mapPIDs.isEmpty) {
      throw ValidationError("--detail ADDR takes --pid PID, not --self or --map")
    }
    if fast && (mapsFile != nil || smapsFile != nil || detail != nil) {
      throw ValidationError(
        "--fast reads a live process's page tables: it goes with --self or --map PID")
    }
    if fast && format == .md {
      throw ValidationError("--fast has no Markdown form yet: use text or --json")
    }
    if let top, top < 1 { throw ValidationError("--top takes a positive number, not \(top)") }
    if json && format != nil && format != .json {
      throw ValidationError("--json contradicts --format \(format!)")
    }
    if detail != nil && effectiveFormat == .md {
      throw ValidationError("--detail ADDR renders as text or json, not md")
    }
    _ = try kinds()
  }

  func kinds() throws -> Set<RegionKind> {
    var set: Set<RegionKind> = []
    for word in kind.flatMap({ $0.split(separator: ",") }) {
      guard let k = RegionKind(rawValue: word.filter { $0 != " " }) else {
        throw ValidationError(
          "unknown kind '\(word)'; kinds: \(RegionKind.allCases.map(\.rawValue).joined(separator: ", "))"
        )
      }
      set.insert(k)
    }
    return set
  }

  var effectiveFormat: OutputFormat { json ? .json : format ?? .text }

  func run() throws {
    let modes = [
      selfMap, !mapPIDs.isEmpty, detail != nil, mapsFile != nil, smapsFile != nil, fault != nil,
      cow, faultsGiven, demand, sampleGiven, walk != nil, tlb, aslr,
    ]
    if !modes.contains(true) {
      throw ValidationError(
        "say what to show: --self, --map PID, --detail ADDR, --maps-file F, --smaps-file F, --fault TYPE, --cow, --demand, --tlb, --aslr, --faults CMD, --sample CMD, --walk ADDR, or report"
      )
    }
    let selection = RegionSelection(kinds: try kinds(), sort: sort, top: top)
    let style = TextStyle(
      enabled: color.enabled(forFileDescriptor: output == nil || output == "-" ? 1 : -1))
    var bytes: [UInt8] = []
    var firstError: VMMapError?

    if let fault {
      try runFault(fault, style: style)
      return
    }
    if cow {
      try runCow(style: style)
      return
    }
    if faultsGiven {
      try runFaults()
      return
    }
    if sampleGiven {
      try runSample()
      return
    }

    if demand {
      try runDemand(style: style)
      return
    }
    if tlb {
      try runTLB(style: style)
      return
    }
    if aslr {
      try runAslr(style: style)
      return
    }
    if let walk {
      try runWalk(walk, style: style)
      return
    }

    if let detail {
      let address = try parseAddress(detail)
      let d: AddressDetail
      if let file = mapsFile ?? smapsFile {
        d = try DetailLoader.saved(address: address, path: file, smaps: smapsFile != nil)
      } else {
        d = try DetailLoader.live(address: address, pid: try pid.map(parsePID) ?? getpid())
      }
      bytes =
        effectiveFormat == .json
        ? DetailJSONRenderer().render(d) : Array(DetailTextRenderer(style: style).render(d).utf8)
      try emit(bytes)
      return
    }

    var maps: [MemoryMap] = []
    if let file = mapsFile {
      maps.append(try MemoryMapLoader.saved(path: file, smaps: false))
    } else if let file = smapsFile {
      maps.append(try MemoryMapLoader.saved(path: file, smaps: true))
    } else {
      let pids = selfMap ? [getpid()] : try mapPIDs.map(parsePID)
      for pid in pids {
        do throws(VMMapError) {
          maps.append(
            fast
              ? try MemoryMapLoader.liveFast(pid: pid)
              : try MemoryMapLoader.live(pid: pid, counters: true))
        } catch {
          // As pmap does: report this one, go on with the others, fail at the end.
          guard pids.count > 1 else { throw error }
          reportError(error)
          if firstError == nil { firstError = error }
        }
      }
    }

    let swap = mapsFile == nil && smapsFile == nil ? swapIsConfigured() : nil
    switch effectiveFormat {
    case .json:
      let renderer = MapJSONRenderer(selection: selection, swapConfigured: swap)
      if maps.count == 1 && mapPIDs.count <= 1 {
        bytes = renderer.render(maps[0])
      } else {
        var w = JSONWriter(prettyDepth: 3)
        w.beginArray()
        for m in maps {
          w.element()
          renderer.write(m, into: &w)
        }
        w.endArray()
        bytes = w.bytes + [UInt8(ascii: "\n")]
      }
    case .md:
      let renderer = MapMarkdownRenderer(
        layout: table ? .table : .grouped, selection: selection, swapConfigured: swap)
      for (i, m) in maps.enumerated() {
        if i > 0 { bytes.append(UInt8(ascii: "\n")) }
        bytes += try renderer.renderBytes(m)
      }
    case .text:
      let renderer = MapTextRenderer(
        layout: table ? .table : .grouped, selection: selection, style: style, swapConfigured: swap)
      for (i, m) in maps.enumerated() {
        if i > 0 { bytes.append(UInt8(ascii: "\n")) }
        if bytes.isEmpty {
          bytes = renderer.renderBytes(m)
        } else {
          bytes += renderer.renderBytes(m)
        }
      }
    }
    try emit(bytes)
    if let firstError { throw ExitCode(firstError.exitCode) }
  }

  func emit(_ bytes: [UInt8]) throws(VMMapError) {
    if let output, output != "-" {
      try AtomicFile.write(bytes, to: output)
    } else {
      try writeStandardOutput(bytes)
    }
  }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json, md
}

enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
  case auto, always, never

  func enabled(forFileDescriptor fd: Int32) -> Bool {
    switch self {
    case .always: return true
    case .never: return false
    case .auto:
      guard fd >= 0, isatty(fd) != 0 else { return false }
      if let v = getenv("NO_COLOR"), v.pointee != 0 { return false }
      if let term = getenv("TERM"), String(cString: term) == "dumb" { return false }
      return true
    }
  }
}

extension RegionSelection.SortKey: ExpressibleByArgument {}

/// A PID as people type it; anything else is a usage error naming the input.
func parsePID(_ text: String) throws(VMMapError) -> Int32 {
  guard let pid = Int32(text), pid > 0 else {
    throw VMMapError(
      .usage, what: "PID '\(text)'", why: "not a process ID",
      fix: "give a positive number, as ps -e lists")
  }
  return pid
}

/// One line on standard error: `vmmap: <what failed>: <why> (<what to do>)`.
func reportError(_ error: VMMapError) {
  let line = "vmmap: " + TerminalEscape.escape(error.description) + "\n"
  _ = line.withCString { write(2, $0, strlen($0)) }
}
