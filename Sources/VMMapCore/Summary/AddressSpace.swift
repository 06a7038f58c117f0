import Glibc

/// The shape of this machine's virtual address space: page size and paging levels.
///
/// Paging levels come from the CPU (`la57` in /proc/cpuinfo) and from the highest address the
/// kernel hands out (a PROT_NONE mmap hinted above 2^47 lands there only with 5-level paging),
/// never from the kernel configuration: a kernel built for 5 levels runs 4 on a CPU without la57.
public struct AddressSpace: Hashable, Sendable {
  public var pageSize: UInt64
  /// 4 (48-bit virtual addresses) or 5 (57-bit).
  public var pagingLevels: Int
  /// Whether the CPU advertises `la57`.
  public var cpuHasLA57: Bool

  public init(pageSize: UInt64, pagingLevels: Int, cpuHasLA57: Bool) {
    self.pageSize = pageSize
    self.pagingLevels = pagingLevels
    self.cpuHasLA57 = cpuHasLA57
  }

  /// Bits of a virtual address that translation uses: 48 or 57.
  public var virtualAddressBits: Int { pagingLevels == 5 ? 57 : 48 }

  /// One past the highest user address (TASK_SIZE on x86-64: 2^47 or 2^56, less one page).
  public var userTop: UInt64 { (UInt64(1) << UInt64(virtualAddressBits - 1)) - pageSize }

  /// The lowest address of the kernel's (upper, canonical) half.
  public var kernelBase: UInt64 { ~((UInt64(1) << UInt64(virtualAddressBits - 1)) - 1) }

  /// Canonical: bits 63 down to the top translated bit are all equal.
  public func isCanonical(_ address: UInt64) -> Bool {
    let top = UInt64(1) << UInt64(virtualAddressBits - 1)
    return address < top || address >= kernelBase
  }

  /// This machine, measured once.
  public static let current: AddressSpace = detect()

  static func detect() -> AddressSpace {
    let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
    let la57 = cpuFlags().contains("la57")
    var levels = 4
    if la57 {
      // Ask for an address above 2^47: only a kernel running 5-level paging can give one.
      let hint = UnsafeMutableRawPointer(bitPattern: UInt(1) << 52)
      let p = mmap(hint, Int(page), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
      if let p, p != MAP_FAILED {
        if UInt64(UInt(bitPattern: p)) >= UInt64(1) << 47 { levels = 5 }
        munmap(p, Int(page))
      }
    }
    return AddressSpace(pageSize: page, pagingLevels: levels, cpuHasLA57: la57)
  }

  /// The words of the first `flags` line of /proc/cpuinfo.
  static func cpuFlags() -> Set<String> {
    guard let text = try? readSmallFile("/proc/cpuinfo") else { return [] }
    for line in text.split(separator: "\n") where line.hasPrefix("flags") {
      if let colon = line.firstIndex(of: ":") {
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
      }
    }
    return []
  }
}

/// Reads a small text file whole (cpuinfo, swaps, cmdline). Not for hot paths.
public func readSmallFile(_ path: String) throws(VMMapError) -> String {
  switch Syscall.readAll(AT_FDCWD, path) {
  case .success(let bytes): return String(decoding: bytes, as: UTF8.self)
  case .failure(let e):
    throw VMMapError(.ioError, what: path, why: e.description, errno: e.rawValue)
  }
}
