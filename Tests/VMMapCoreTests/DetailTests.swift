import Glibc
import Testing

@testable import VMMapCore

/// The maps lines of this process, parsed the simplest possible way (an independent check).
func naiveMaps(pid: Int32 = getpid()) throws -> [(start: UInt64, end: UInt64, perms: String)] {
  let fd = open("/proc/\(pid)/maps", O_RDONLY)
  guard fd >= 0 else { throw VMMapError(.noInput, what: "maps", why: "open failed") }
  defer { close(fd) }
  var bytes: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if n <= 0 { break }
    bytes += buffer[0..<n]
  }
  return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { line in
    let fields = line.split(separator: " ", omittingEmptySubsequences: true)
    let range = fields[0].split(separator: "-")
    return (UInt64(range[0], radix: 16)!, UInt64(range[1], radix: 16)!, String(fields[1]))
  }
}

@Suite struct ProcmapQueryTests {
  @Test func neighbourhoodMatchesTheMapsFile() throws {
    guard let query = ProcmapQuery(pid: getpid()) else {
      // Kernels before 6.11 lack the ioctl; --detail then reads maps instead.
      return
    }
    // Make a known layout: three pages, the middle one unmapped, so there is a gap.
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let p = try #require(mmap(nil, 3 * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
    defer { munmap(p, 3 * page) }
    munmap(p + page, page)
    let base = UInt64(UInt(bitPattern: p))

    // Other tests map and unmap memory concurrently in this process, so a comparison with the
    // maps file read a moment later is retried until both views agree.
    func agrees() throws -> Bool {
      let inside = try query.neighbourhood(of: base + 10)
      let maps = try naiveMaps()
      guard let i = maps.firstIndex(where: { $0.start <= base && base < $0.end }) else {
        return false
      }
      return inside.holding?.start == maps[i].start && inside.holding?.end == maps[i].end
        && inside.previous?.end == (i > 0 ? maps[i - 1].end : nil)
        && inside.next?.start == maps[i + 1].start
    }
    #expect(try (0..<20).contains { _ in try agrees() })

    // In the gap: the neighbours are our own two pages whatever else happens.
    let inGap = try query.neighbourhood(of: base + UInt64(page) + 5)
    #expect(inGap.holding == nil)
    #expect(inGap.previous?.end == base + UInt64(page))
    #expect(inGap.next?.start == base + 2 * UInt64(page))
    #expect(inGap.next?.permissions == Permissions("r--p"))

    // A whole walk agrees with the maps file (vsyscall is not a VMA, so it is left out).
    func walkAgrees() throws -> Bool {
      var address: UInt64 = 0
      var walked: [UInt64] = []
      while let m = try query.coveringOrNext(address) {
        walked += [m.start, m.end]
        address = m.end
      }
      let fromFile = try naiveMaps().filter { $0.start < AddressSpace.current.userTop }
      return walked == fromFile.flatMap { [$0.start, $0.end] }
    }
    #expect(try (0..<20).contains { _ in try walkAgrees() })
  }
}

@Suite struct AccessAnalysisTests {
  func region(_ perms: String, name: String = "", kind: RegionKind = .anonymous) -> Region {
    Region(
      mapping: Mapping(
        start: 0x1000, end: 0x3000, permissions: Permissions(perms)!, offset: 0, deviceMajor: 0,
        deviceMinor: 0, inode: name.hasPrefix("/") ? 42 : 0, rawName: PathBytes(name)),
      classification: Classification(kind: kind))
  }

  func summaries(_ o: [AccessOutcome]) -> [String] { o.map(\.summary) }

  @Test func permissionsDecideEachAccess() {
    #expect(
      summaries(AccessAnalysis.outcomes(in: region("r--p"), page: nil))
        == ["succeeds", "SIGSEGV (SEGV_ACCERR)", "SIGSEGV (SEGV_ACCERR)"])
    #expect(
      summaries(AccessAnalysis.outcomes(in: region("r-xp", name: "/bin/x"), page: nil))
        == ["succeeds", "SIGSEGV (SEGV_ACCERR)", "succeeds"])
    #expect(
      summaries(AccessAnalysis.outcomes(in: region("---p"), page: nil))
        == ["SIGSEGV (SEGV_ACCERR)", "SIGSEGV (SEGV_ACCERR)", "SIGSEGV (SEGV_ACCERR)"])
    // x86 cannot express execute-only: a --x mapping is readable.
    #expect(AccessAnalysis.outcomes(in: region("--xp"), page: nil)[0].result == .succeeds)
    // Past the end of the file: SIGBUS for allowed accesses.
    #expect(
      summaries(
        AccessAnalysis.outcomes(
          in: region("r--s", name: "/tmp/f"), page: nil, beyondEndOfFile: true))
        == ["SIGBUS (BUS_ADRERR)", "SIGSEGV (SEGV_ACCERR)", "SIGSEGV (SEGV_ACCERR)"])
  }

  @Test func faultsOnTheWay() {
    let notPresent = PageInfo(
      address: 0x1000, entry: PagemapEntry(rawValue: 0), flags: nil, mapCount: nil)
    let o = AccessAnalysis.outcomes(in: region("rw-p"), page: notPresent)
    #expect(o[0].fault?.contains("zero page") == true)
    #expect(o[1].fault?.contains("zeroed page") == true)
    let zero = PageInfo(
      address: 0x1000, entry: PagemapEntry(rawValue: 1 << 63 | 0x99), flags: .zeroPage,
      mapCount: 500)
    #expect(
      AccessAnalysis.outcomes(in: region("rw-p"), page: zero)[1].fault?.contains("copy-on-write")
        == true)
    let shared = PageInfo(
      address: 0x1000, entry: PagemapEntry(rawValue: 1 << 63 | 0x99), flags: .anonymous, mapCount: 2
    )
    #expect(
      AccessAnalysis.outcomes(in: region("rw-p"), page: shared)[1].fault?.contains("mapped 2 times")
        == true)
  }

  @Test func addressClasses() {
    let space = AddressSpace(pageSize: 4096, pagingLevels: 4, cpuHasLA57: false)
    #expect(AddressClass(0x7fff_0000_0000, space: space) == .user)
    #expect(AddressClass(0x7fff_ffff_f800, space: space) == .aboveUserSpace)
    #expect(AddressClass(0x0000_8000_0000_0000, space: space) == .nonCanonical)
    #expect(AddressClass(0xdead_beef_0000_0000, space: space) == .nonCanonical)
    #expect(AddressClass(0xffff_8000_0000_0000, space: space) == .kernel)
    #expect(AddressClass(0xffff_ffff_ff60_0000, space: space) == .kernel)
    let five = AddressSpace(pageSize: 4096, pagingLevels: 5, cpuHasLA57: true)
    #expect(AddressClass(0x0000_8000_0000_0000, space: five) == .user)
    #expect(five.userTop == 0x00ff_ffff_ffff_f000)
  }

  @Test func thisMachineRunsFourLevels() {
    // DESIGN.md: this kind of machine has no la57, so 4-level paging and a 47-bit user space.
    let space = AddressSpace.current
    if !space.cpuHasLA57 {
      #expect(space.pagingLevels == 4)
      #expect(space.userTop == 0x7fff_ffff_f000)
    }
  }

  @Test func gapBelowTheStackGrowsIt() {
    let stack = Region(
      mapping: Mapping(
        start: 0x7ffd_0000_0000, end: 0x7ffd_0002_1000, permissions: Permissions("rw-p")!,
        offset: 0,
        deviceMajor: 0, deviceMinor: 0, inode: 0, rawName: PathBytes("[stack]")))
    let grows = AccessAnalysis.outcomes(
      inGapBelow: stack, address: 0x7ffc_ffff_0000, gapStart: 0x7f00_0000_0000, guardGap: 1 << 20)
    #expect(
      grows.map(\.result) == [
        .growsStack, .growsStack, .signal(name: "SIGSEGV", code: "SEGV_ACCERR"),
      ])
    let tooClose = AccessAnalysis.outcomes(
      inGapBelow: stack, address: 0x7f00_0000_1000, gapStart: 0x7f00_0000_0000, guardGap: 1 << 20)
    #expect(tooClose.allSatisfy { $0.summary == "SIGSEGV (SEGV_MAPERR)" })
  }

  @Test(arguments: ["0x7ffd12345678", "7ffd12345678", "0X7FFD_1234_5678", "0"])
  func addressesParse(_ text: String) throws {
    #expect(try parseAddress(text) <= 0x7ffd_1234_5678)
  }

  @Test(arguments: ["", "0x", "xyz", "0x12345678123456789", "-1", "12 34"])
  func malformedAddressesAreUsageErrors(_ text: String) {
    do {
      _ = try parseAddress(text)
      Issue.record("\(text) parsed")
    } catch {
      #expect(error.exitCode == 64)
      #expect(error.description.contains("address '\(text)'"))
    }
  }
}
