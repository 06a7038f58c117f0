import Foundation
import Glibc
import Testing
@testable import VMExperiments
import VMMapTestSupport

/// `vmmap --demand`: the experiment runs for real in a sandboxed child; the tests check the
/// fault counts against the pages touched, and the report's numbers against each other and
/// against the kernel's own text (the smaps lines it carries, parsed naively here).
@Suite struct DemandTests {
  static let mib = 1 << 20
  static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

  /// Runs `vmmap --demand ARGS --json` and decodes the report.
  static func demand(_ arguments: [String]) throws -> [String: Any] {
    let r = try run(vmmapBinary, ["--demand", "--json"] + arguments)
    #expect(r.status == 0, "\(r.stderr)")
    // Not a terminal: no progress bar, nothing at all on stderr.
    #expect(r.stderr.isEmpty, "\(r.stderr)")
    return try jsonObject(r.stdout)
  }

  static func int(_ object: [String: Any], _ path: String) -> Int {
    var value: Any? = object
    for key in path.split(separator: ".") { value = (value as? [String: Any])?[String(key)] }
    return value as? Int ?? Int.min
  }

  /// `Name:  N kB` from the smaps lines the report carries, in bytes (an independent parse).
  static func smapsField(_ region: [String: Any], _ name: String) -> Int? {
    for line in region["smapsLines"] as? [String] ?? [] where line.hasPrefix(name + ":") {
      let parts = line.split(separator: " ")
      if parts.count == 3, parts[2] == "kB", let v = Int(parts[1]) { return v * 1024 }
    }
    return nil
  }

  /// The selected word of a `always [madvise] never` sysfs file.
  static func selected(_ path: String) -> String? {
    guard let text = try? readProcFile(path), let open = text.firstIndex(of: "["),
      let close = text[open...].firstIndex(of: "]")
    else { return nil }
    return String(text[text.index(after: open)..<close])
  }

  @Test func writingFaultsOncePerPage() throws {
    let j = try Self.demand([])  // the default, 100 MiB
    let size = 100 * Self.mib
    let pages = size / Self.pageSize
    #expect(Self.int(j, "pages") == pages)
    #expect(Self.int(j, "size") == size)
    let minor = Self.int(j, "faults.minor")
    // One minor fault per page, plus at most 2% for the child's own code, stack and heap.
    #expect(minor >= pages && minor <= pages + pages / 50, "minor \(minor) for \(pages) pages")
    #expect(Self.int(j, "faults.major") == 0)
    // The two fault counters agree (stat is read just outside getrusage).
    let statMinor = Self.int(j, "faults.statMinor")
    #expect(statMinor >= minor && statMinor <= minor + 64)
    // The region, from pagemap and smaps: nothing before, every page after.
    let before = try #require(j["before"] as? [String: Any])
    let after = try #require(j["after"] as? [String: Any])
    let regionBefore = try #require(before["region"] as? [String: Any])
    let regionAfter = try #require(after["region"] as? [String: Any])
    #expect(Self.int(regionBefore, "presentPages") == 0)
    #expect(Self.int(regionAfter, "presentPages") == pages)
    #expect(Self.int(regionAfter, "zeroPages") == 0)
    #expect(Self.smapsField(regionBefore, "Rss") == 0)
    #expect(Self.smapsField(regionAfter, "Rss") == size)
    #expect(Self.smapsField(regionAfter, "Private_Dirty") == size)
    #expect(Self.int(regionAfter, "rss") == Self.smapsField(regionAfter, "Rss"))
    #expect(Self.smapsField(regionAfter, "Size") == size)
    // The header line is the region's own, as the kernel printed it.
    let header = (regionAfter["smapsLines"] as? [String])?.first ?? ""
    let start = (regionAfter["start"] as? String ?? "").dropFirst(2)
    let end = (regionAfter["end"] as? String ?? "").dropFirst(2)
    #expect(header.hasPrefix("\(start)-\(end) rw-p "))
    // VmRSS grew by the size, within 2% (the child's own allocations move it a little).
    let grown = Self.int(after, "vmRSS") - Self.int(before, "vmRSS")
    #expect(abs(grown - size) <= size / 50, "VmRSS grew by \(grown)")

    // The samples: before any access, then evenly through the loop, ending with every page.
    let samples = try #require(j["samples"] as? [[String: Any]])
    #expect(samples.count == 33)
    let touched = samples.map { Self.int($0, "pagesTouched") }
    #expect(touched.first == 0 && touched.last == pages)
    #expect(zip(touched, touched.dropFirst()).allSatisfy { $0 < $1 })
    for s in samples {
      let faults = Self.int(s, "minorFaults")
      let page = Self.int(s, "pagesTouched")
      #expect(faults >= page && faults <= page + pages / 50, "\(faults) faults at \(page) pages")
    }
    let rssGrowth = Self.int(samples[32], "rssBytes") - Self.int(samples[0], "rssBytes")
    #expect(abs(rssGrowth - size) <= size / 50)
  }

  @Test func readingMapsTheZeroPage() throws {
    let j = try Self.demand(["--read"])
    let size = 100 * Self.mib
    let pages = size / Self.pageSize
    let minor = Self.int(j, "faults.minor")
    #expect(minor >= pages && minor <= pages + pages / 50, "minor \(minor) for \(pages) pages")
    let after = try #require(j["after"] as? [String: Any])
    let region = try #require(after["region"] as? [String: Any])
    #expect(Self.int(region, "presentPages") == pages)
    // Every present page is the zero page (kpageflags), and smaps counts none of them.
    #expect(Self.int(region, "zeroPages") == pages)
    #expect(Self.smapsField(region, "Rss") == 0)
    let grown = Self.int(after, "vmRSS") - Self.int(j, "before.vmRSS")
    #expect(grown < size / 100, "VmRSS grew by \(grown)")
    let text = (j["explanation"] as? [String] ?? []).joined(separator: " ")
    #expect(text.contains("zero page"))
  }

  /// Major faults: the file's pages were dropped from the page cache (mincore says none is
  /// left) and MADV_RANDOM turns read-ahead off, so every page needs its own disk read: the
  /// first access to each is a major fault, no fewer than the pages left uncached. Fault-around
  /// maps only pages already cached, so it cannot lower that. Above: 2%, as for anonymous
  /// memory. Measured on this machine: 25,600 major faults for 25,600 pages, 0 minor.
  @Test(arguments: [["--file"], ["--file", "--read", "--size", "64M"]])
  func fileFaultsAreMajor(_ arguments: [String]) throws {
    let j = try Self.demand(arguments)
    let pages = Self.int(j, "pages")
    let file = try #require(j["file"] as? [String: Any])
    #expect(Self.int(file, "cachedAfterWrite") == pages)
    let uncached = pages - Self.int(file, "cachedAfterDrop")
    #expect(Self.int(file, "cachedAfterDrop") == 0)
    let major = Self.int(j, "faults.major")
    let minor = Self.int(j, "faults.minor")
    #expect(major >= uncached, "major \(major) for \(uncached) uncached pages")
    #expect(major + minor <= pages + pages / 50, "\(major) major + \(minor) minor for \(pages)")
    #expect(Self.int(j, "faults.statMajor") >= major)
    #expect(Self.int(j, "after.region.presentPages") == pages)
    #expect(Self.int(file, "cachedAfterTouch") == pages)
    // Not tmpfs (no major faults there), and the file is gone afterwards.
    let fs = file["filesystem"] as? String ?? ""
    #expect(fs != "tmpfs" && fs != "ramfs" && !fs.isEmpty)
    let path = try #require(file["path"] as? String)
    #expect(!FileManager.default.fileExists(atPath: path))
    #expect(
      !FileManager.default.fileExists(
        atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path))
    let after = try #require(j["after"] as? [String: Any])
    let before = try #require(j["before"] as? [String: Any])
    let size = Self.int(j, "size")
    if arguments.contains("--read") {
      // Clean page-cache pages, mapped as they are: file-backed RSS.
      let grown = Self.int(after, "rssFile") - Self.int(before, "rssFile")
      #expect(abs(grown - size) <= size / 50, "RssFile grew by \(grown)")
    } else {
      // Each write copied its page into a private anonymous one.
      #expect(Self.smapsField(after["region"] as? [String: Any] ?? [:], "Private_Dirty") == size)
    }
  }

  /// `--thp` on this machine: one fault per 2 MiB when the kernel grants huge pages (smaps'
  /// AnonHugePages tells how many it did), one per 4 KiB page for the rest; with `--read`, the
  /// huge zero page. THP's mode is read from sysfs, not assumed.
  @Test(arguments: [false, true])
  func hugePages(read: Bool) throws {
    let j = try Self.demand(["--thp"] + (read ? ["--read"] : []))
    let pages = Self.int(j, "pages")
    let perHuge = 2 * Self.mib / Self.pageSize
    let minor = Self.int(j, "faults.minor")
    let region = try #require((j["after"] as? [String: Any])?["region"] as? [String: Any])
    let enabled = Self.selected("/sys/kernel/mm/transparent_hugepage/enabled")
    let text = (j["explanation"] as? [String] ?? []).joined(separator: " ")
    if enabled == nil || enabled == "never" {
      #expect(Self.int(j, "faults.hugeMappings") == 0)
      #expect(minor >= pages && minor <= pages + pages / 50)
      #expect(text.contains("MADV_HUGEPAGE changed nothing"))
      return
    }
    #expect((j["thp"] as? [String: Any])?["advice"] as? String == "MADV_HUGEPAGE")
    let huge: Int
    if read {
      // The huge zero page: every page is a zero page inside a huge mapping, no Rss.
      #expect(Self.smapsField(region, "Rss") == 0)
      let zero = Self.int(region, "zeroPages")
      #expect(zero == pages)
      huge = min(zero, Self.int(region, "thpPages")) / perHuge
    } else {
      let anonHuge = try #require(Self.smapsField(region, "AnonHugePages"))
      huge = anonHuge / (2 * Self.mib)
      #expect(Self.int(region, "anonHugePages") == anonHuge)
      // kpageflags agrees with smaps: 512 THP pages and one compound head per huge page.
      #expect(Self.int(region, "thpPages") == huge * perHuge)
      #expect(Self.int(region, "compoundHeads") == huge)
      #expect(Self.smapsField(region, "Rss") == pages * Self.pageSize)
    }
    #expect(Self.int(j, "faults.hugeMappings") == huge)
    let expected = huge + (pages - huge * perHuge)
    #expect(Self.int(j, "faults.expected") == expected)
    #expect(minor >= expected && minor <= expected + 8, "minor \(minor), expected \(expected)")
    let extents = Self.int(j, "faults.hugeExtents")
    #expect(extents == 50)
    if !read && huge < extents {
      // Honest when the kernel gave fewer huge pages than the region could hold.
      #expect(text.contains("The kernel gave \(huge) of the \(extents) huge pages"))
    }
  }

  @Test func textTellsTheStory() throws {
    let r = try vmmap("--demand", "--size", "8M")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.isEmpty)
    for line in [
      "=== DEMAND PAGING DEMONSTRATION === (write, anonymous)",
      "Step 1: mmap 8 MiB without touching it (2,048 pages of 4 KiB)",
      "PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED,", "no MAP_POPULATE",
      "    Rss:                   0 kB", "    Rss:                8192 kB",
      "  Pages present (pagemap): 0 of 2,048", "  Pages present (pagemap): 2,048 of 2,048",
      "  New minor faults:   2,048  <-- one per page", "LESSON:", "=== END DEMO ===",
    ] {
      #expect(r.text.contains(line), "missing \(line)")
    }
  }

  /// The bar is drawn only on a terminal: `script` gives vmmap one (the report goes to a file).
  @Test func progressBarOnATerminal() throws {
    let script = "/usr/bin/script"
    try #require(FileManager.default.isExecutableFile(atPath: script))
    let out = "/tmp/vmmap-demand-tty-\(getpid()).txt"
    defer { unlink(out) }
    let r = try run(
      script, ["-qec", "\(vmmapBinary) --demand --size 16M -o \(out)", "/dev/null"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.text.contains("Writing ["))
    #expect(r.text.contains("100%  4,096 / 4,096 pages"))
    let report = try String(contentsOfFile: out, encoding: .utf8)
    #expect(report.hasPrefix("=== DEMAND PAGING DEMONSTRATION ==="))
    #expect(!report.contains("Writing ["))
  }

  @Test(
    arguments: [
      ("8MB", 8_000_000, 1954), ("8MiB", 8 << 20, 2048), ("8M", 8 << 20, 2048), ("1", 1, 1),
    ] as [(String, Int, Int)])
  func sizesReadAsDdReadsThem(text: String, asked: Int, pages: Int) throws {
    let j = try Self.demand(["--size", text])
    #expect(Self.int(j, "options.size") == asked)
    #expect(Self.int(j, "pages") == pages)
    #expect(Self.int(j, "size") == pages * Self.pageSize)
  }

  @Test(arguments: [
    ["--demand", "--size", "10XB"], ["--demand", "--size", "1.5M"], ["--demand", "--size", "0"],
    ["--demand", "--thp", "--file"], ["--size", "4M"], ["--read"], ["--demand", "--self"],
    ["--demand", "--format", "md"], ["--demand", "--fault", "null"],
  ])
  func usageErrors(_ arguments: [String]) throws {
    let r = try run(vmmapBinary, arguments)
    #expect(r.status == 64)
    #expect(r.stdout.isEmpty)
    #expect(r.stderr.hasPrefix("vmmap: ") && r.stderr.filter { $0 == "\n" }.count == 1)
  }

  @Test func jsonValidatesAgainstTheSchema() throws {
    for (i, arguments) in [
      ["--size", "8M"], ["--size", "8M", "--file", "--read"], ["--size", "8M", "--thp"],
    ]
    .enumerated() {
      let out = "/tmp/vmmap-demand-schema-\(getpid())-\(i).json"
      defer { unlink(out) }
      let r = try run(vmmapBinary, ["--demand", "--json", "-o", out] + arguments)
      #expect(r.status == 0, "\(r.stderr)")
      let check = try run(
        "/usr/bin/env",
        [
          "python3", "-c",
          "import json,sys,jsonschema; jsonschema.Draft202012Validator(json.load(open(sys.argv[2]))).validate(json.load(open(sys.argv[1]))); print('valid')",
          out, repositoryRoot + "/docs/schema/demand.schema.json",
        ])
      #expect(check.status == 0, "\(arguments): \(check.stderr)")
      #expect(check.text == "valid\n")
    }
  }
}

/// The experiment driven as a library: the parent's own view of the child (wait4's rusage)
/// as an independent check, the progress channel, and the explanation of a THP shortfall.
@Suite struct DemandSandboxTests {
  @Test func childUsageCoversTheFaultsItReported() throws {
    let options = DemandOptions(size: 32 << 20)
    var progress: [UInt8] = []
    let run = try Sandbox.run(
      .demand(options), as: DemandReport.self, executable: vmmapBinary,
      progress: { progress += $0 })
    guard case .finished(let report) = run.outcome else {
      Issue.record("expected a report, got \(run.outcome)")
      return
    }
    // wait4 counts every fault of the child's life: at least those it counted up to the end
    // of the touch, and no fewer than the touch's own.
    let usage = try #require(run.usage)
    #expect(usage.minorFaults >= report.after.faults.minor)
    #expect(usage.minorFaults - report.before.faults.minor >= report.faults.minor)
    #expect(report.faults.minor >= report.pages)
    // Progress arrived as `done total` lines, ending with every page.
    let lines = String(decoding: progress, as: UTF8.self).split(separator: "\n")
    #expect(lines.count == 32)
    #expect(lines.last == "\(report.pages) \(report.pages)")
  }

  @Test func fewerHugePagesThanAskedIsSaid() throws {
    let run = try Sandbox.run(
      .demand(DemandOptions(size: 8 << 20, hugePages: true)), as: DemandReport.self,
      executable: vmmapBinary)
    guard case .finished(var report) = run.outcome else {
      Issue.record("expected a report, got \(run.outcome)")
      return
    }
    // As if the kernel had granted one huge page of the four: 512 base pages in one fault,
    // 1,536 in their own.
    report.options.read = false
    report.thp.enabled = "madvise"
    report.thp.advice = "MADV_HUGEPAGE"
    report.after.region.anonHugePages = 2 << 20
    report.faults.hugeMappings = 1
    report.faults.hugeExtents = 4
    let text = DemandExplainer(report: report).explanation().joined(separator: " ")
    #expect(
      text.contains(
        "The kernel gave 1 of the 4 huge pages the region could hold: the other 1,536 pages came as 4 KiB pages, one fault each"
      ))
    report.after.region.anonHugePages = 0
    report.faults.hugeMappings = 0
    let none = DemandExplainer(report: report).explanation().joined(separator: " ")
    #expect(none.contains("but the kernel gave none of the 4 the region could hold"))
  }
}
