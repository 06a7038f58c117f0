import Glibc
import Testing

@testable import VMMapCore

@Suite struct LiveReaderTests {
  /// For an idle process, Rss, Swap, Anonymous and Private_Dirty summed over the regions equal
  /// smaps_rollup exactly, and each region equals a naive parse of the same text.
  @Test(arguments: [true, false])
  func idleProcessTotalsMatchRollup(pipelined: Bool) throws {
    let child = try TestSupport.spawn(["/bin/sleep", "30"])
    defer { TestSupport.killAndReap(child.pid) }
    #expect(TestSupport.waitForState(child.pid, UInt8(ascii: "S")))
    usleep(100_000)  // let exec settle
    let reader = try ProcessReader(pid: child.pid)
    reader.readsOnSecondThread = pipelined
    let map = try reader.readMemoryMap(counters: true)
    try map.checkInvariants()
    let rollup = try #require(map.rollup)
    var total = SmapsCounters()
    for r in map.regions { total.add(try #require(r.counters)) }
    for f in [SmapsField.rss, .swap, .anonymous, .privateDirty] {
      #expect(total[f] == rollup[f], "\(f.kernelName)")
    }
    #expect(map.status?.name == "sleep")
    #expect(map.stat?.comm == PathBytes("sleep"))
    #expect(map.commandLine == [PathBytes("/bin/sleep"), PathBytes("30")])
    #expect(map.executable?.lastComponent == PathBytes("sleep"))
    #expect(map.threads.count == 1)
    let thread = try #require(map.threads.first)
    #expect(thread.tid == child.pid)
    let sp = try #require(thread.stackPointer)
    let stack = try #require(map.regions.first { $0.mapping.name == .stack })
    #expect(stack.mapping.contains(sp), "sp \(String(sp, radix: 16)) is in [stack]")
    // map_files resolves the executable's regions (we are root).
    let exe = try #require(
      map.regions.first { $0.mapping.name.filePath?.hasSuffix("sleep") == true })
    #expect(exe.resolved?.path == exe.mapping.name.filePath)
    #expect(exe.resolved?.deleted == false)
    // Total virtual = VmSize once [vsyscall] is left out.
    let virtual = map.regions.filter { $0.mapping.name != .vsyscall }.reduce(0) { $0 + $1.size }
    #expect(virtual == map.status?[memory: "VmSize"])

    // The same smaps text, parsed by the real parser and by a naive one, agrees on every field.
    let bytes = try reader.readFile("smaps")
    let parsed = try SmapsParser.parse(bytes, source: "smaps")
    let naive = TestSupport.naiveSmaps(String(decoding: bytes, as: UTF8.self))
    #expect(naive.count == parsed.count && parsed.count == map.regions.count)
    for (r, n) in zip(parsed, naive) {
      #expect(r.start == n.start && r.end == n.end)
      for (key, value) in n.fields {
        if let f = SmapsField(kernelName: Array(key.utf8)) {
          #expect(r.counters?[f] == value, "\(key)")
        }
      }
    }
    // Against the live read: the fields that other processes cannot move (Pss and the
    // shared/private split change when this suite's children map the same libraries).
    for (live, again) in zip(map.regions, parsed) {
      #expect(live.mapping == again.mapping)
      for f in [SmapsField.size, .rss, .anonymous, .swap, .kernelPageSize, .thpEligible] {
        #expect(live.counters?[f] == again.counters?[f], "\(f.kernelName)")
      }
    }
  }

  /// Rss and Pss per region agree with `pmap -XX` (procps).
  @Test func agreesWithPmap() throws {
    guard access("/usr/bin/pmap", X_OK) == 0 else { return }
    let child = try TestSupport.spawn(["/bin/sleep", "30"])
    defer { TestSupport.killAndReap(child.pid) }
    #expect(TestSupport.waitForState(child.pid, UInt8(ascii: "S")))
    usleep(100_000)
    let map = try ProcessReader(pid: child.pid).readMemoryMap(counters: true)
    let pmap = try TestSupport.spawn(["/usr/bin/pmap", "-XX", "\(child.pid)"], pipeStdout: true)
    let output = TestSupport.readUntil(pmap.stdout, marker: "\u{0}")
    close(pmap.stdout)
    var status: CInt = 0
    waitpid(pmap.pid, &status, 0)
    let lines = output.split(separator: "\n")
    let header = try #require(lines.dropFirst().first).split(separator: " ")
    let rssColumn = try #require(header.firstIndex(of: "Rss"))
    let pssColumn = try #require(header.firstIndex(of: "Pss"))
    let sharedColumns = try ["Shared_Clean", "Shared_Dirty"].map {
      try #require(header.firstIndex(of: Substring($0)))
    }
    var compared = 0
    for line in lines.dropFirst(2) {
      let words = line.split(separator: " ")
      guard words.count > pssColumn, Permissions(String(words[1])) != nil,
        let start = UInt64(words[0], radix: 16)
      else { continue }
      let region = try #require(map.regions.first { $0.start == start })
      let counters = try #require(region.counters)
      #expect(counters.rss == UInt64(words[rssColumn])! * 1024)
      // Pss of shared pages moves as other processes (this suite's children) map the same
      // files, between our read and pmap's; it is stable only for regions that have no
      // shared pages in either read.
      let pmapShared = try sharedColumns.map { try #require(UInt64(words[$0])) }.reduce(0, +)
      if counters.shared == 0 && pmapShared == 0 {
        #expect(counters.pss == UInt64(words[pssColumn])! * 1024)
      }
      compared += 1
    }
    #expect(compared == map.regions.count)
  }

  @Test func ownProcessWithMapsOnly() throws {
    let map = try readMemoryMap(pid: getpid(), counters: false)
    try map.checkInvariants()
    #expect(!map.hasCounters && map.rollup == nil)
    #expect(map.regions.allSatisfy { $0.counters == nil })
    #expect(map.threads.contains { $0.stackPointerSource == "self" })
    #expect(map.regions.contains { $0.mapping.name == .vdso })
  }

  @Test func unknownPIDIsNoInput() throws {
    let error = try #require(throws: VMMapError.self) { try ProcessReader(pid: 999_999_999) }
    #expect(error.code == .noInput && error.exitCode == 66)
    #expect(error.why.contains("no process with PID 999999999"))
    #expect(error.fix?.contains("ps -p 999999999") == true)
  }

  @Test func kernelThreadIsNotAUserProcess() throws {
    let error = try #require(throws: VMMapError.self) {
      try readMemoryMap(pid: 2, counters: true)
    }
    #expect(error.code == .notAUserProcess && error.exitCode == 69)
    #expect(
      error.description.hasPrefix(
        "PID 2 is a kernel thread (kthreadd): it has no user address space"))
  }

  @Test func zombieIsNotAUserProcess() throws {
    let child = try TestSupport.spawn(["/bin/true"])
    defer { TestSupport.killAndReap(child.pid) }
    #expect(TestSupport.waitForState(child.pid, UInt8(ascii: "Z")))
    let error = try #require(throws: VMMapError.self) {
      try readMemoryMap(pid: child.pid, counters: true)
    }
    #expect(error.code == .notAUserProcess)
    #expect(error.description.contains("is a zombie (true): its memory is already freed"))
  }

  /// A process killed while its smaps is read gives either the complete map or
  /// `.exitedDuringRead`, never a short map presented as complete.
  @Test(arguments: [true, false])
  func killedDuringReadIsDetected(pipelined: Bool) throws {
    let specimen = try #require(TestSupport.specimenPath, "cc and the bench specimen are needed")
    var detected = 0
    for round in 0..<3 {
      let child = try TestSupport.spawn([specimen, "maps", "20000"], pipeStdout: true)
      defer { TestSupport.killAndReap(child.pid) }
      _ = TestSupport.readUntil(child.stdout, marker: "READY")
      close(child.stdout)
      let reader = try ProcessReader(pid: child.pid)
      let expected = try reader.readMappings().count
      reader.readsOnSecondThread = pipelined
      let pid = child.pid
      let killAfter = round * 2_000_000  // bytes read before the kill: 0, 2 MB, 4 MB
      nonisolated(unsafe) var killed = false
      reader.reader.afterChunk = { total in
        if !killed, total > killAfter {
          killed = true
          kill(pid, SIGKILL)
        }
      }
      do {
        let regions = try reader.readRegions()
        #expect(regions.count == expected, "a short map was returned as complete")
      } catch {
        #expect(error.code == .exitedDuringRead, "\(error)")
        #expect(error.exitCode == 75)
        #expect(error.why == "process \(pid) exited while its smaps was being read")
        detected += 1
      }
      #expect(killed)
    }
    // Killed after the first chunk of 14 MB, the read cannot finish first: the test must
    // really exercise the truncation path.
    #expect(detected > 0)
  }
}
