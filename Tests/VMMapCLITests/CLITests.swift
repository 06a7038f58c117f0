import VMExperiments
import Foundation
import Testing
import VMMapCore
import VMMapTestSupport

@Suite(.serialized) struct CLIMapTests {
  @Test func selfShowsTheGroupedLayout() throws {
    let r = try vmmap("--self")
    #expect(r.status == 0, "\(r.stderr)")
    for title in [
      "=== VIRTUAL MEMORY MAP (PID", "SUMMARY", "EXECUTABLE", "HEAP:", "SHARED LIBRARIES:",
      "STACK:", "SPECIAL:", "=== END MAP ===",
    ] {
      #expect(r.text.contains(title), "missing \(title)")
    }
    #expect(r.text.contains("libc.so.6"))
    #expect(r.stderr.isEmpty)
  }

  /// For an idle process the summed counters equal smaps_rollup, and each region's counters
  /// equal that region's smaps entry. Pss moves when other processes map or unmap the same
  /// files (tests run in parallel), so it is compared with rollups read just before and after,
  /// and the check is retried until those two agree.
  @Test func totalsMatchSmapsRollup() throws {
    let sleeper = try Sleeper(isolated: true)
    var pssChecked = false
    for _ in 0..<5 where !pssChecked {
      let before = try naiveFieldSums("/proc/\(sleeper.pid)/smaps_rollup")
      let r = try vmmap("--map", String(sleeper.pid), "--json")
      let after = try naiveFieldSums("/proc/\(sleeper.pid)/smaps_rollup")
      #expect(r.status == 0, "\(r.stderr)")
      let object = try jsonObject(r.stdout)
      let summary = try #require(object["summary"] as? [String: Any])
      #expect(summary["rss"] as? UInt64 == after["Rss"])
      #expect(summary["swap"] as? UInt64 == after["Swap"])
      #expect(summary["anonymous"] as? UInt64 == after["Anonymous"])
      #expect(summary["privateDirty"] as? UInt64 == after["Private_Dirty"])
      #expect(summary["pssSource"] as? String == "smaps_rollup")
      if before["Pss"] == after["Pss"] {
        #expect(summary["pss"] as? UInt64 == after["Pss"])
        pssChecked = true
      }
      let regions = try #require(object["regions"] as? [[String: Any]])
      let rss = regions.reduce(UInt64(0)) {
        $0 + (($1["counters"] as? [String: Any])?["rss"] as? UInt64 ?? 0)
      }
      #expect(rss == after["Rss"])
      let status = try readProcFile("/proc/\(sleeper.pid)/status")
      let vmSize = status.split(separator: "\n").first { $0.hasPrefix("VmSize:") }
        .flatMap { UInt64($0.split(separator: " ", omittingEmptySubsequences: true)[1]) }.map {
          $0 * 1024
        }
      let vsyscall = summary["vsyscall"] as? UInt64 ?? 0
      #expect((summary["totalVirtual"] as? UInt64).map { $0 - vsyscall } == vmSize)
    }
    #expect(pssChecked, "smaps_rollup's Pss never held still across a vmmap run")
  }

  /// Per-region Rss and Pss agree with pmap -XX, an independent reader of the same smaps.
  /// Rss must agree every time; Pss is retried, as other tests' processes share libc pages.
  @Test func perRegionNumbersMatchPmap() throws {
    let sleeper = try Sleeper(isolated: true)
    var pssAgreed = false
    for _ in 0..<5 where !pssAgreed {
      let r = try vmmap("--map", String(sleeper.pid), "--json")
      let regions = try #require(try jsonObject(r.stdout)["regions"] as? [[String: Any]])
      let pmap = try run("/usr/bin/pmap", ["-XX", String(sleeper.pid)])
      let lines = pmap.text.split(separator: "\n").map {
        $0.split(separator: " ", omittingEmptySubsequences: true)
      }
      let header = try #require(lines.dropFirst().first)
      let rssColumn = try #require(header.firstIndex(of: "Rss"))
      let pssColumn = try #require(header.firstIndex(of: "Pss"))
      var byStart: [UInt64: (UInt64, UInt64)] = [:]
      for fields in lines.dropFirst(2) where fields.count > pssColumn {
        guard let start = UInt64(fields[0], radix: 16), let rss = UInt64(fields[rssColumn]),
          let pss = UInt64(fields[pssColumn])
        else { continue }
        byStart[start] = (rss * 1024, pss * 1024)
      }
      var compared = 0
      var pssDiffers = 0
      for region in regions {
        let start = UInt64((region["start"] as! String).dropFirst(2), radix: 16)!
        guard let (rss, pss) = byStart[start], let counters = region["counters"] as? [String: Any]
        else { continue }
        #expect(counters["rss"] as? UInt64 == rss, "Rss of \(region["start"]!)")
        if counters["pss"] as? UInt64 != pss { pssDiffers += 1 }
        compared += 1
      }
      #expect(compared >= regions.count - 1)  // all but [vsyscall], which pmap leaves out
      pssAgreed = pssDiffers == 0
    }
    #expect(pssAgreed, "Pss never agreed with pmap -XX in 5 tries")
  }

  @Test func jsonValidatesAgainstTheSchema() throws {
    let r = try vmmap("--self", "--json", "-o", "/tmp/vmmap-schema-test.json")
    #expect(r.status == 0, "\(r.stderr)")
    let check = try run(
      "/usr/bin/env",
      [
        "python3", "-c",
        "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))); print('valid')",
        "/tmp/vmmap-schema-test.json", repositoryRoot + "/docs/schema/map.schema.json",
      ])
    #expect(check.status == 0, "\(check.stderr)")
    #expect(check.text == "valid\n")
  }

  @Test func tableKindAndTop() throws {
    let r = try vmmap("--self", "--table", "--top", "3")
    #expect(r.status == 0)
    #expect(r.text.contains("Showing 3 of"))
    let k = try vmmap("--self", "--kind", "heap,main-stack", "--json")
    let regions = try #require(try jsonObject(k.stdout)["regions"] as? [[String: Any]])
    #expect(!regions.isEmpty)
    #expect(Set(regions.compactMap { $0["kind"] as? String }).isSubset(of: ["heap", "main-stack"]))
  }

  @Test func severalPIDs() throws {
    let a = try Sleeper()
    let b = try Sleeper()
    let r = try vmmap("--map", String(a.pid), String(b.pid), "--json")
    #expect(r.status == 0, "\(r.stderr)")
    let list = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [[String: Any]])
    #expect(
      list.compactMap { ($0["source"] as? [String: Any])?["pid"] as? Int32 } == [a.pid, b.pid])
  }
}

@Suite struct CLIMarkdownTests {
  @Test func selfAsMarkdown() throws {
    let r = try vmmap("--self", "--format", "md")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.text.hasPrefix("# Virtual memory map of PID "))
    for heading in [
      "## Summary", "### By kind", "## EXECUTABLE", "## HEAP", "## SHARED LIBRARIES", "## STACK",
      "## SPECIAL", "## Gaps",
    ] {
      #expect(r.text.contains("\n" + heading), "missing \(heading)")
    }
    #expect(r.text.contains("| Address range | Size | Perms |"))
    #expect(r.text.contains("`[stack]`"))
    #expect(!r.text.contains("```"))
    #expect(r.stderr.isEmpty)
  }

  @Test func narrowedAndTableLayouts() throws {
    let top = try vmmap("--self", "--format", "md", "--table", "--top", "3")
    #expect(top.status == 0, "\(top.stderr)")
    #expect(top.text.contains("## Regions"))
    #expect(top.text.split(separator: "\n").filter { $0.hasPrefix("| 0x") }.count == 3)
    let heap = try vmmap("--self", "--format", "md", "--kind", "heap")
    #expect(heap.text.contains("## HEAP") && !heap.text.contains("## STACK"))
  }

  @Test func detailIsNotMarkdown() throws {
    let r = try vmmap("--detail", "0x1000", "--format", "md")
    #expect(r.status == 64)
    #expect(r.stderr.hasPrefix("vmmap: ") && r.stderr.contains("md"), "\(r.stderr)")
  }
}

@Suite(.serialized) struct CLIErrorTests {
  func expectOneLine(_ r: RunResult, status: Int32, mentioning words: [String]) {
    #expect(r.status == status, "status \(r.status): \(r.stderr)")
    #expect(r.stdout.isEmpty)
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(r.stderr)")
    #expect(r.stderr.hasPrefix("vmmap: "))
    for w in words { #expect(r.stderr.contains(w), "\(r.stderr) lacks \(w)") }
    #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"))
  }

  @Test func unknownPID() throws {
    expectOneLine(
      try vmmap("--map", "999999999"), status: 66, mentioning: ["999999999", "no process"])
  }

  @Test func kernelThread() throws {
    expectOneLine(try vmmap("--map", "2"), status: 69, mentioning: ["kernel thread"])
  }

  @Test func zombie() throws {
    // A child that exits and is not reaped stays a zombie: start it from a shell that then
    // sleeps without waiting for it.
    let shell = Process()
    shell.executableURL = URL(fileURLWithPath: "/bin/sh")
    shell.arguments = ["-c", "sleep 0 & echo $!; exec sleep 30"]
    let out = Pipe()
    shell.standardOutput = out
    try shell.run()
    defer {
      shell.terminate()
      shell.waitUntilExit()
    }
    let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
    let zombie = try #require(Int32(line.trimmingCharacters(in: .whitespacesAndNewlines)))
    for _ in 0..<200 {
      if let stat = try? readProcFile("/proc/\(zombie)/stat"), stat.contains(") Z ") { break }
      usleep(10_000)
    }
    expectOneLine(try vmmap("--map", String(zombie)), status: 69, mentioning: ["zombie"])
  }

  @Test func permissionDeniedNamesTheCause() throws {
    try #require(
      geteuid() == 0, "this test becomes another user, which needs root (CI runs as root)")
    // nobody reading PID 1 (root): denied by ptrace access rules, not by a missing file. The
    // binary is copied where nobody may run it (the checkout may sit under a private home).
    let dir = "/tmp/vmmap-nobody-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try? FileManager.default.removeItem(atPath: dir + "/vmmap")
    try FileManager.default.copyItem(atPath: vmmapBinary, toPath: dir + "/vmmap")
    chmod(dir, 0o755)
    chmod(dir + "/vmmap", 0o755)
    let r = try retryingTextFileBusy { try run(dir + "/vmmap", ["--map", "1"], user: 65534) }
    expectOneLine(r, status: 77, mentioning: ["/proc/1/", "permission denied"])
    #expect(r.stderr.contains("ptrace") || r.stderr.contains("CAP_SYS_PTRACE"))
  }

  @Test func malformedInputs() throws {
    expectOneLine(try vmmap("--detail", "0xzz"), status: 64, mentioning: ["0xzz"])
    expectOneLine(try vmmap("--map", "abc"), status: 64, mentioning: ["abc"])
    let unknownFlag = try vmmap("--frobnicate")
    #expect(unknownFlag.status == 64)
    #expect(!unknownFlag.stderr.isEmpty)
  }

  @Test func savedFiles() throws {
    expectOneLine(
      try vmmap("--maps-file", "/nonexistent/maps"), status: 66, mentioning: ["/nonexistent/maps"])
    let bad = "/tmp/vmmap-bad-maps.txt"
    try
      "00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/dbus-daemon\nthis is not a maps line\n"
      .write(toFile: bad, atomically: true, encoding: .utf8)
    expectOneLine(try vmmap("--maps-file", bad), status: 65, mentioning: ["line 2"])
  }

  @Test func outputFileIsAtomic() throws {
    let r = try vmmap("--self", "-o", "/nonexistent-dir/out.txt")
    expectOneLine(r, status: 73, mentioning: ["/nonexistent-dir/out.txt"])
    #expect(!FileManager.default.fileExists(atPath: "/nonexistent-dir"))
  }
}

@Suite(.serialized) struct CLIDetailTests {
  @Test func detailOfAStackAddress() throws {
    let sleeper = try Sleeper()
    let maps = try readProcFile("/proc/\(sleeper.pid)/maps")
    let stackLine = try #require(maps.split(separator: "\n").first { $0.hasSuffix("[stack]") })
    let range = stackLine.split(separator: " ")[0].split(separator: "-")
    let end = UInt64(range[1], radix: 16)!
    let address = "0x" + String(end - 16, radix: 16)
    let r = try vmmap("--detail", address, "--pid", String(sleeper.pid), "--json")
    #expect(r.status == 0, "\(r.stderr)")
    let object = try jsonObject(r.stdout)
    let region = try #require(object["region"] as? [String: Any])
    #expect(region["kind"] as? String == "main-stack")
    let page = try #require(object["page"] as? [String: Any])
    #expect(page["present"] as? Bool == true)  // the top of the stack holds argv and envp
    if geteuid() == 0 { #expect(page["frame"] is String) }
    let access = try #require(object["access"] as? [[String: Any]])
    #expect(access.map { $0["result"] as? String } == ["succeeds", "succeeds", "signal"])
    #expect(access[2]["code"] as? String == "SEGV_ACCERR")
  }

  @Test func detailOfAGapAndOfKernelSpace() throws {
    let gap = try vmmap("--detail", "0x1000")
    #expect(gap.status == 0, "\(gap.stderr)")
    #expect(gap.text.contains("SEGV_MAPERR"))
    let kernel = try vmmap("--detail", "0xffff888000000000", "--json")
    #expect(try jsonObject(kernel.stdout)["addressClass"] as? String == "kernel")
    let odd = try vmmap("--detail", "0x0000900000000000", "--json")
    #expect(try jsonObject(odd.stdout)["addressClass"] as? String == "non-canonical")
  }
}

@Suite struct CLISavedFileTests {
  static let fixtures = repositoryRoot + "/Tests/VMMapCoreTests/Fixtures/"

  /// A saved smaps (as attached to a ticket) gets the same views as a live process, with the
  /// totals of its own text.
  @Test func savedSmapsViews() throws {
    let path = Self.fixtures + "smaps-6.18-sleep.txt"
    let grouped = try vmmap("--smaps-file", path)
    #expect(grouped.status == 0, "\(grouped.stderr)")
    for title in ["saved file", "SUMMARY", "HEAP:", "SHARED LIBRARIES:", "STACK:", "SPECIAL:"] {
      #expect(grouped.text.contains(title), "missing \(title)")
    }
    let json = try jsonObject(try vmmap("--smaps-file", path, "--json").stdout)
    let summary = try #require(json["summary"] as? [String: Any])
    let sums = try naiveFieldSums(path)
    #expect(summary["rss"] as? UInt64 == sums["Rss"])
    #expect(summary["pss"] as? UInt64 == sums["Pss"])
    #expect(summary["pssSource"] as? String == "sum of regions")
    let regions = try #require(json["regions"] as? [[String: Any]])
    #expect(regions.contains { $0["kind"] as? String == "heap" })
    #expect(regions.contains { $0["kind"] as? String == "shared-library" })
    // ELF segment labels of a saved file come from this machine's copy of the file, which may
    // not be the one that was mapped: inferred. What the kernel printed (heap, a private file
    // mapping) stays observed.
    let segments = regions.filter { $0["segment"] != nil }
    #expect(!segments.isEmpty)
    #expect(segments.allSatisfy { $0["certainty"] as? String == "inferred" })
    #expect(
      regions.first { $0["kind"] as? String == "heap" }?["certainty"] as? String == "observed")
  }

  /// Hostile names from a saved maps file: escaped in text, exact in JSON, ambiguity flagged.
  @Test func savedHostileMaps() throws {
    let path = Self.fixtures + "maps-hostile.txt"
    let text = try vmmap("--maps-file", path, "--table")
    #expect(text.status == 0, "\(text.stderr)")
    #expect(!text.stdout.contains(0x1b))
    #expect(text.text.contains("RSS") == false || text.text.contains("unknown"))
    let json = try jsonObject(try vmmap("--maps-file", path, "--json").stdout)
    let regions = try #require(json["regions"] as? [[String: Any]])
    let newline = try #require(regions.first { ($0["path"] as? String)?.contains("line") == true })
    #expect(newline["path"] as? String == "/tmp/new\nline")
    #expect(newline["nameAmbiguous"] as? Bool == true)
    let bad = try #require(regions.first { ($0["path"] as? String)?.hasPrefix("/tmp/bad") == true })
    #expect(bad["pathBytes"] != nil)
    #expect(regions.contains { $0["start"] as? String == "0x8000000000000000" })
  }

  @Test func detailOnASavedFile() throws {
    let path = Self.fixtures + "maps-hostile.txt"
    let r = try vmmap("--detail", "0x7ffffffde010", "--maps-file", path, "--json")
    #expect(r.status == 0, "\(r.stderr)")
    let object = try jsonObject(r.stdout)
    #expect((object["region"] as? [String: Any])?["kind"] as? String == "main-stack")
    #expect(object["page"] == nil)
    #expect((object["pageNote"] as? String)?.contains("saved") == true)
    let vsyscall = try jsonObject(
      try vmmap("--detail", "0xffffffffff600000", "--maps-file", path, "--json").stdout)
    let access = try #require(vsyscall["access"] as? [[String: Any]])
    #expect(access.map { $0["result"] as? String } == ["signal", "signal", "succeeds"])
  }

  @Test func detailJSONValidatesAgainstTheSchema() throws {
    let out = "/tmp/vmmap-detail-schema-\(getpid()).json"
    defer { unlink(out) }
    let r = try vmmap("--detail", "0x1000", "--json", "-o", out)
    #expect(r.status == 0, "\(r.stderr)")
    let check = try run(
      "/usr/bin/env",
      [
        "python3", "-c",
        """
        import json, sys, jsonschema, referencing
        root = sys.argv[2]
        schemas = {n: json.load(open(root + n)) for n in ["map.schema.json", "detail.schema.json"]}
        registry = referencing.Registry().with_resources(
            [(s["$id"], referencing.Resource.from_contents(s)) for s in schemas.values()])
        jsonschema.Draft202012Validator(schemas["detail.schema.json"], registry=registry).validate(json.load(open(sys.argv[1])))
        print("valid")
        """,
        out, repositoryRoot + "/docs/schema/",
      ])
    #expect(check.status == 0, "\(check.stderr)")
    #expect(check.text == "valid\n")
  }
}

/// `--fast` counts from the page tables what smaps counts as Rss: region by region they agree.
@Suite(.serialized) struct CLIFastTests {
  /// Rss per region start, from the smaps text (independent, naive parse).
  func smapsRss(_ pid: Int32) throws -> [UInt64: UInt64] {
    var result: [UInt64: UInt64] = [:]
    var current: UInt64?
    for line in try readProcFile("/proc/\(pid)/smaps").split(separator: "\n") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      if let first = fields.first, first.contains("-"), !first.hasSuffix(":") {
        current = UInt64(first.split(separator: "-")[0], radix: 16)
      } else if fields.first == "Rss:", let start = current, let kb = UInt64(fields[1]) {
        result[start] = kb * 1024
      }
    }
    return result
  }

  func fastRss(_ pid: Int32) throws -> [UInt64: UInt64] {
    let r = try vmmap("--map", String(pid), "--fast", "--json")
    #expect(r.status == 0, "\(r.stderr)")
    let object = try jsonObject(r.stdout)
    #expect((object["summary"] as? [String: Any])?["counterSource"] as? String == "page-tables")
    var result: [UInt64: UInt64] = [:]
    for region in try #require(object["regions"] as? [[String: Any]]) {
      let start = UInt64((region["start"] as! String).dropFirst(2), radix: 16)!
      result[start] = (region["counters"] as? [String: Any])?["rss"] as? UInt64
    }
    return result
  }

  @Test func idleProcessAgreesWithSmaps() throws {
    let sleeper = try Sleeper(isolated: true)
    let fast = try fastRss(sleeper.pid)
    let smaps = try smapsRss(sleeper.pid)
    #expect(!smaps.isEmpty)
    for (start, rss) in smaps {
      #expect(fast[start] == rss, "region 0x\(String(start, radix: 16))")
    }
    // The idle program read 4 MiB without writing: its pages are in the page tables (they map
    // the shared zero page), yet neither smaps nor --fast counts them.
    let maps = try readProcFile("/proc/\(sleeper.pid)/maps").split(separator: "\n")
    let zeroLine = try #require(
      maps.first {
        let r = $0.split(separator: " ")[0].split(separator: "-").map { UInt64($0, radix: 16)! }
        return r[1] - r[0] == 4 << 20
      })
    let zeroStart = UInt64(zeroLine.split(separator: "-")[0], radix: 16)!
    let entries = try PagemapReader(pid: sleeper.pid).entries(at: zeroStart, count: 1024)
    #expect(entries.filter(\.isPresent).count == 1024)
    #expect(smaps[zeroStart] == 0)
    #expect(fast[zeroStart] == 0)
  }

  /// The specimen has THP, shared memory, memfd, SysV shm, file mappings, a thread: each one's
  /// Rss must agree (regions of vmmap's own code can change between the two reads, so they are
  /// compared only where the specimen's own data lives).
  @Test func specimenAgreesWithSmaps() throws {
    let specimen = try SpecimenProcess()
    defer { specimen.stop() }
    let fast = try fastRss(specimen.pid)
    let smaps = try smapsRss(specimen.pid)
    var compared = 0
    for record in specimen.records where record.size > 0 {
      guard let start = smaps.keys.filter({ $0 <= record.address }).max() else { continue }
      #expect(
        fast[start] == smaps[start], "\(record.kind) at 0x\(String(record.address, radix: 16))")
      compared += 1
    }
    #expect(compared >= 10)
  }

  @Test func fastIsForLiveProcessesOnly() throws {
    let r = try vmmap("--maps-file", "/proc/self/maps", "--fast")
    #expect(r.status == 64)
  }
}
