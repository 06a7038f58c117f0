import Foundation
import Glibc
import Testing
import VMExperiments
import VMMapCore
import VMMapTestSupport

/// `vmmap --walk ADDR --pid PID`: the walk's numbers against the kernel's files, read here.
@Suite struct WalkTests {
  static let framesVisible = geteuid() == 0

  func walk(_ address: UInt64, pid: Int32) throws -> WalkReport {
    let r = try vmmap("--walk", "0x" + String(address, radix: 16), "--pid", "\(pid)", "--json")
    #expect(r.status == 0, "\(r.stderr)")
    return try JSONDecoder().decode(WalkReport.self, from: r.stdout)
  }

  /// The raw pagemap entry of `address` in `pid`, read with pread here.
  func pagemapEntry(pid: Int32, address: UInt64) throws -> UInt64 {
    let fd = open("/proc/\(pid)/pagemap", O_RDONLY)
    #expect(fd >= 0)
    defer { close(fd) }
    var entry: UInt64 = 0
    let n = pread(fd, &entry, 8, off_t(address / 4096 * 8))
    #expect(n == 8)
    return entry
  }

  /// The field `key` (kB) of the smaps entry that holds `address`, in bytes.
  func smapsField(_ key: String, pid: Int32, address: UInt64) throws -> UInt64? {
    let text = try readProcFile("/proc/\(pid)/smaps")
    var inside = false
    for line in text.split(separator: "\n") {
      let words = line.split(separator: " ", omittingEmptySubsequences: true)
      if let first = words.first, first.contains("-"), !first.hasSuffix(":") {
        let bounds = first.split(separator: "-")
        if bounds.count == 2, let lo = UInt64(bounds[0], radix: 16),
          let hi = UInt64(bounds[1], radix: 16)
        {
          inside = lo <= address && address < hi
          continue
        }
      }
      if inside, words.first == key + ":", words.count >= 2, let kb = UInt64(words[1]) {
        return kb * 1024
      }
    }
    return nil
  }

  @Test(.enabled(if: WalkTests.framesVisible, "frame numbers need CAP_SYS_ADMIN"))
  func frameEqualsPagemapForATouchedPage() throws {
    let size = 4 * 4096
    let p = try #require(
      mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
    #expect(p != MAP_FAILED)
    defer { munmap(p, size) }
    madvise(p, size, MADV_NOHUGEPAGE)
    (p + 4096).storeBytes(of: 0x5a, as: UInt8.self)
    let address = UInt64(UInt(bitPattern: p)) + 4096 + 0x123

    let report = try walk(address, pid: getpid())
    let w = try #require(report.walks.first)
    let raw = try pagemapEntry(pid: getpid(), address: address)
    #expect(raw & (1 << 63) != 0)
    let frame = raw & ((1 << 55) - 1)
    #expect(w.page?.frame?.value == frame)
    #expect(w.page?.pagemap.value == raw)
    #expect(w.page?.physicalAddress?.value == frame * 4096 + 0x123)
    #expect(w.page?.present == true && w.page?.exclusive == true)
    #expect(w.page?.flags?.contains("anon") == true)
    #expect(w.mappedPageSize == 4096 && w.leafLevel == .pte)
    #expect(w.region?.start.value == UInt64(UInt(bitPattern: p)))
    #expect(w.pageOffset.value == 0x123)
    // The indices are the address's bits.
    for s in w.steps {
      #expect(s.index == (address >> UInt64(s.bits.low)) & 511)
    }
    #expect(w.steps.map(\.level) == PagingLevel.walked(levels: report.levels))
    // PAGEMAP_SCAN saw the one touched page under the PTE entry.
    #expect(w.steps.last?.mappedPagesBelow == 1)
  }

  @Test func untouchedPageIsNotPresentAndSaysWhatAReadWouldDo() throws {
    let size = 2 * 4096
    let p = try #require(
      mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
    defer { munmap(p, size) }
    let report = try walk(UInt64(UInt(bitPattern: p)), pid: getpid())
    let w = try #require(report.walks.first)
    #expect(w.page?.present == false && w.page?.frame == nil)
    #expect(w.leafLevel == nil)
    #expect(w.conclusion.hasPrefix("Not present"))
    let read = try #require(w.accesses.first { $0.access == "read" })
    #expect(read.fault?.contains("zero page") == true)
  }

  /// The specimen's THP region: a 2 MiB page mapped by the PMD exactly when smaps says so;
  /// VmPTE between the two computed bounds; the JSON matches its schema.
  @Test(.enabled(if: WalkTests.framesVisible, "frame numbers need CAP_SYS_ADMIN"))
  func hugePageEndsAtThePMDAndThePageTablesAddUp() throws {
    let specimen = try SpecimenProcess()
    defer { specimen.stop() }
    let thp = try specimen.record("thp")
    let out = "/tmp/vmmap-walk-schema-\(getpid()).json"
    defer { unlink(out) }
    let r = try vmmap(
      "--walk", "0x" + String(thp.address + 0x1234, radix: 16), "--pid", "\(specimen.pid)",
      "--json", "-o", out)
    #expect(r.status == 0, "\(r.stderr)")
    let check = try validate(out, schema: "walk.schema.json")
    #expect(check.status == 0, "\(check.stderr)")
    let report = try JSONDecoder().decode(
      WalkReport.self, from: try Data(contentsOf: URL(fileURLWithPath: out)))
    let w = try #require(report.walks.first)

    let anonHuge = try smapsField("AnonHugePages", pid: specimen.pid, address: thp.address) ?? 0
    #expect(w.region?.anonHugePages == anonHuge)
    if anonHuge >= 2 << 20 {
      #expect(w.mappedPageSize == 2 << 20 && w.leafLevel == .pmd)
      #expect(w.page?.hugeMapped == true && w.page?.flags?.contains("thp") == true)
      #expect(w.leafOffset?.high == 20 && w.leafOffset?.value == 0x1234)
      #expect(w.steps.first { $0.level == .pte }?.usedForThisAddress == false)
      #expect(w.steps.first { $0.level == .pmd }?.isLeaf == true)
      #expect(w.steps.first { $0.level == .pmd }?.mappedPagesBelow == 512)
    } else {
      #expect(w.leafLevel == .pte)
    }
    let raw = try pagemapEntry(pid: specimen.pid, address: thp.address + 0x1234)
    #expect(w.page?.frame?.value == raw & ((1 << 55) - 1))

    // VmPTE as status says it; the tables that must exist ≤ VmPTE ≤ all regions touched.
    let status = try readProcFile("/proc/\(specimen.pid)/status")
    let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmPTE:") })
    let kb = try #require(UInt64(line.split(separator: " ")[1]))
    let cost = report.pageTables
    #expect(cost.vmPTE == kb * 1024)
    let lower = try #require(cost.fromPagesBytes)
    #expect(lower <= kb * 1024 && kb * 1024 <= cost.fromMapBytes, "\(cost)")
    #expect(cost.levels.first?.fromMap == 1)
  }

  @Test func gapAndSoftDirtyAsTheKernelConfigures() throws {
    let report = try walk(0x1000, pid: getpid())
    let w = try #require(report.walks.first)
    #expect(w.region == nil && w.gap != nil && w.page?.present == false)
    #expect(w.accesses.first?.result == "SIGSEGV (SEGV_MAPERR)")
    // CONFIG_MEM_SOFT_DIRTY, read here with Python's gzip.
    let config = try run(
      "/usr/bin/env",
      [
        "python3", "-c",
        "import gzip\nfor l in gzip.open('/proc/config.gz','rt'):\n  l=l.strip()\n  if l in ('CONFIG_MEM_SOFT_DIRTY=y','# CONFIG_MEM_SOFT_DIRTY is not set'): print(l)",
      ])
    if config.status == 0, !config.text.isEmpty {
      #expect(report.softDirtySupported == config.text.hasPrefix("CONFIG_MEM_SOFT_DIRTY=y"))
      #expect(report.softDirtySource.contains("CONFIG_MEM_SOFT_DIRTY"))
    }
    if report.softDirtySupported != true { #expect(w.page?.softDirty == nil) }
  }

  @Test func walkGoesAloneAndRejectsBadInput() throws {
    for args in [
      ["--walk", "0x1000", "--self"], ["--walk", "0x1000", "--cow"],
      ["--walk", "0x1000", "--format", "md"], ["--walk", "zz"], ["--walk", "0x1000", "--pid", "x"],
    ] {
      let r = try run(vmmapBinary, args)
      #expect(r.status == 64, "\(args)")
      #expect(r.stdout.isEmpty)
      #expect(r.stderr.hasPrefix("vmmap: "))
    }
    let gone = try run(vmmapBinary, ["--walk", "0x1000", "--pid", "999999999"])
    #expect(gone.status == 66, "\(gone.stderr)")
  }

  @Test func textDrawsTheWalk() throws {
    let specimen = try SpecimenProcess()
    defer { specimen.stop() }
    let heap = try #require(specimen.records.first { $0.kind == .heap })
    let r = try vmmap("--walk", "0x" + String(heap.address, radix: 16), "--pid", "\(specimen.pid)")
    #expect(r.status == 0, "\(r.stderr)")
    for needle in [
      "=== PAGE WALK", "ADDRESS BITS", "└→ PGD (PML4)", "└→ PTE (PT)", "PAGE-TABLE COST",
      "VmPTE (status)", "HIDDEN FROM USER SPACE", "=== END WALK ===",
    ] {
      #expect(r.text.contains(needle), "missing \(needle)")
    }
  }
}
