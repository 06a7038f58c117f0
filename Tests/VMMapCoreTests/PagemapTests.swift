import Glibc
import Testing

@testable import VMMapCore

@Suite struct PagemapTests {
  @Test func entryBitsDecode() {
    let present = PagemapEntry(rawValue: 1 << 63 | 1 << 56 | 0x157c94)
    #expect(present.isPresent && present.isExclusive && !present.isSwapped)
    #expect(present.frameNumber == 0x157c94)
    // Present but frame hidden (no CAP_SYS_ADMIN): never reported as frame 0.
    #expect(PagemapEntry(rawValue: 1 << 63).frameNumber == nil)
    let swapped = PagemapEntry(rawValue: 1 << 62 | (0x1234 << 5) | 3)
    #expect(swapped.isSwapped && !swapped.isPresent)
    #expect(swapped.swapType == 3 && swapped.swapOffset == 0x1234)
    #expect(PageFlags(rawValue: 1 << 12 | 1 << 22 | 1 << 24).names == ["anon", "thp", "zero_page"])
  }

  /// Demand paging seen through pagemap: written page present with its own frame, read-only
  /// page mapped to the shared zero page, untouched page absent.
  @Test func touchedUntouchedAndZeroPages() throws {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let p = try #require(
      mmap(nil, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
    #expect(p != MAP_FAILED)
    defer { munmap(p, 4 * page) }
    madvise(p, 4 * page, MADV_NOHUGEPAGE)
    p.storeBytes(of: 0x42, as: UInt8.self)
    let readValue = (p + page).load(as: UInt8.self)
    #expect(readValue == 0)
    let base = UInt64(UInt(bitPattern: p))

    let reader = try PagemapReader(pid: getpid())
    let written = try reader.page(at: base + 17)
    #expect(written.address == base)
    #expect(written.entry.isPresent)
    #expect(written.entry.isExclusive)
    #expect(!written.entry.isFileOrSharedAnonymous)
    let readOnly = try reader.page(at: base + UInt64(page))
    #expect(readOnly.entry.isPresent)
    let untouched = try reader.entries(at: base + 2 * UInt64(page), count: 2)
    #expect(untouched.allSatisfy { !$0.isPresent && !$0.isSwapped })

    if geteuid() == 0 && reader.canReadFrames {
      // Root with CAP_SYS_ADMIN (as in CI): frames and their flags are visible.
      let frame = try #require(written.entry.frameNumber)
      #expect(frame > 0)
      #expect(written.flags?.contains(.anonymous) == true)
      #expect(written.mapCount == 1)
      #expect(readOnly.flags?.contains(.zeroPage) == true)
      #expect(readOnly.entry.frameNumber != frame)
    }
  }

  @Test func missingProcessIsNoInput() {
    #expect(throws: VMMapError.self) { try PagemapReader(pid: 999_999_999) }
    do {
      _ = try PagemapReader(pid: 999_999_999)
    } catch {
      #expect(error.code == .noInput)
    }
  }
}
