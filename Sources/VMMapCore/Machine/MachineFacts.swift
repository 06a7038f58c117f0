import CZlib
import Glibc

/// What a report says about the machine it ran on: the kernel, the CPU and memory, and the
/// virtual-memory settings that change what the experiments show. Every value is read from
/// the running system (uname, /proc, /sys); a value that could not be read is nil, never a
/// guess.
public struct MachineFacts: Codable, Hashable, Sendable {
  public var hostname: String
  public var kernel: Kernel
  public var cpu: CPU
  public var memory: Memory
  public var paging: Paging
  public var settings: Settings
  /// The VM-related options of the running kernel's configuration, from `/proc/config.gz`
  /// (`CONFIG_TRANSPARENT_HUGEPAGE` → `y`; an option that is "not set" is `n`); nil when the
  /// kernel does not expose its configuration.
  public var kernelConfig: [String: String]?

  public struct Kernel: Codable, Hashable, Sendable {
    /// `uname -r`.
    public var release: String
    /// `uname -v`.
    public var version: String
    /// `uname -m`.
    public var architecture: String
  }

  public struct CPU: Codable, Hashable, Sendable {
    /// /proc/cpuinfo `model name`.
    public var model: String?
    /// Online logical CPUs.
    public var logicalCPUs: Int
    /// Physical and virtual address bits the CPU reports (/proc/cpuinfo `address sizes`).
    public var physicalAddressBits: Int?
    public var virtualAddressBits: Int?
    /// /proc/cpuinfo `TLB size` (AMD), e.g. "3584 4K pages".
    public var tlbSize: String?
    /// The CPU flags that matter for virtual memory (pse, pdpe1gb, la57, nx, pcid, invpcid,
    /// smep, smap, pku), those present.
    public var vmFlags: [String]
  }

  public struct Memory: Codable, Hashable, Sendable {
    /// /proc/meminfo MemTotal, bytes.
    public var total: UInt64?
    /// /proc/meminfo MemAvailable, bytes.
    public var available: UInt64?
    /// /proc/meminfo SwapTotal, bytes.
    public var swapTotal: UInt64?
    /// The areas listed in /proc/swaps; 0 means no swap is configured.
    public var swapAreas: Int?
  }

  public struct Paging: Codable, Hashable, Sendable {
    /// `sysconf(_SC_PAGESIZE)`.
    public var pageSize: UInt64
    /// The huge page sizes the kernel offers (/sys/kernel/mm/hugepages), bytes, ascending.
    public var hugePageSizes: [UInt64]
    /// Reserved hugetlb pages per size (`nr_hugepages`), in the same order.
    public var hugePagesReserved: [Int]
    /// Page-table levels in use: from the CPU's `la57` and the highest address the kernel
    /// hands out, never from the configuration.
    public var levels: Int
    public var cpuHasLA57: Bool
    /// Bits of a virtual address that translation uses (48 or 57).
    public var virtualAddressBits: Int
    /// One past the highest user-space address.
    public var userTop: UInt64
  }

  public struct Settings: Codable, Hashable, Sendable {
    /// /sys/kernel/mm/transparent_hugepage/enabled: the selected word (`madvise`).
    public var thpEnabled: String?
    /// /sys/kernel/mm/transparent_hugepage/defrag: the selected word.
    public var thpDefrag: String?
    /// /sys/kernel/mm/transparent_hugepage/hpage_pmd_size, bytes.
    public var thpSize: UInt64?
    /// /proc/sys/kernel/randomize_va_space (0, 1 or 2).
    public var randomizeVASpace: Int?
    /// /proc/sys/vm/overcommit_memory (0 heuristic, 1 always, 2 never).
    public var overcommitMemory: Int?
    /// /proc/sys/vm/overcommit_ratio.
    public var overcommitRatio: Int?
    /// /proc/sys/vm/max_map_count.
    public var maxMapCount: Int?
    /// /proc/sys/vm/mmap_min_addr: the lowest address a process may map (why NULL faults).
    public var mmapMinAddress: UInt64?
  }

  /// The configuration options a report lists (when the kernel exposes its configuration).
  public static let configOptions = [
    "CONFIG_PGTABLE_LEVELS", "CONFIG_X86_5LEVEL", "CONFIG_TRANSPARENT_HUGEPAGE",
    "CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS", "CONFIG_TRANSPARENT_HUGEPAGE_MADVISE",
    "CONFIG_HUGETLBFS", "CONFIG_SWAP", "CONFIG_ZSWAP", "CONFIG_ZRAM", "CONFIG_KSM",
    "CONFIG_MEMCG", "CONFIG_NUMA", "CONFIG_COMPACTION", "CONFIG_MIGRATION",
    "CONFIG_USERFAULTFD", "CONFIG_ANON_VMA_NAME", "CONFIG_MEM_SOFT_DIRTY",
    "CONFIG_IDLE_PAGE_TRACKING", "CONFIG_PROC_PAGE_MONITOR", "CONFIG_PER_VMA_LOCK",
    "CONFIG_LRU_GEN", "CONFIG_RANDOMIZE_BASE", "CONFIG_RANDOMIZE_MEMORY",
    "CONFIG_MITIGATION_PAGE_TABLE_ISOLATION", "CONFIG_PAGE_TABLE_ISOLATION",
    "CONFIG_HAVE_ARCH_SOFT_DIRTY", "CONFIG_DEFAULT_MMAP_MIN_ADDR",
  ]

  /// The CPU flags `cpu.vmFlags` reports when present.
  public static let cpuVMFlags = [
    "pse", "pdpe1gb", "la57", "nx", "pcid", "invpcid", "smep", "smap", "pku",
  ]

  /// This machine, now.
  public static func read() -> MachineFacts {
    var names = utsname()
    uname(&names)
    func field<T>(_ value: inout T) -> String {
      withUnsafeBytes(of: &value) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
    }
    let kernel = Kernel(
      release: field(&names.release), version: field(&names.version),
      architecture: field(&names.machine))
    let hostname = field(&names.nodename)

    let cpuinfo = ProcText.fields(
      try? readSmallFile("/proc/cpuinfo"), separator: ":", firstOnly: true)
    let flags = Set((cpuinfo["flags"] ?? "").split(separator: " ").map(String.init))
    var cpu = CPU(
      model: cpuinfo["model name"], logicalCPUs: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
      physicalAddressBits: nil, virtualAddressBits: nil, tlbSize: cpuinfo["TLB size"],
      vmFlags: cpuVMFlags.filter(flags.contains))
    if let sizes = cpuinfo["address sizes"] {
      // "48 bits physical, 48 bits virtual"
      let words = sizes.split(whereSeparator: { $0 == " " || $0 == "," })
      for (i, w) in words.enumerated() where i > 0 {
        if w == "physical" { cpu.physicalAddressBits = Int(words[i - 2]) }
        if w == "virtual" { cpu.virtualAddressBits = Int(words[i - 2]) }
      }
    }

    let meminfo = ProcText.fields(try? readSmallFile("/proc/meminfo"), separator: ":")
    func kib(_ key: String) -> UInt64? {
      meminfo[key].flatMap { UInt64($0.split(separator: " ").first ?? "") }.map { $0 * 1024 }
    }
    let swapLines = (try? readSmallFile("/proc/swaps"))?.split(separator: "\n")
    let memory = Memory(
      total: kib("MemTotal"), available: kib("MemAvailable"), swapTotal: kib("SwapTotal"),
      swapAreas: swapLines.map { max(0, $0.count - 1) })

    let space = AddressSpace.current
    var huge: [(size: UInt64, reserved: Int)] = []
    for entry in directoryEntries("/sys/kernel/mm/hugepages") where entry.hasPrefix("hugepages-") {
      // hugepages-2048kB
      guard let kb = UInt64(entry.dropFirst("hugepages-".count).dropLast(2)) else { continue }
      let reserved = ProcText.integer("/sys/kernel/mm/hugepages/\(entry)/nr_hugepages") ?? 0
      huge.append((kb * 1024, reserved))
    }
    huge.sort { $0.size < $1.size }
    let paging = Paging(
      pageSize: space.pageSize, hugePageSizes: huge.map(\.size),
      hugePagesReserved: huge.map(\.reserved), levels: space.pagingLevels,
      cpuHasLA57: space.cpuHasLA57, virtualAddressBits: space.virtualAddressBits,
      userTop: space.userTop)

    let thp = "/sys/kernel/mm/transparent_hugepage/"
    let settings = Settings(
      thpEnabled: ProcText.selectedWord(thp + "enabled"),
      thpDefrag: ProcText.selectedWord(thp + "defrag"),
      thpSize: ProcText.integer(thp + "hpage_pmd_size").map(UInt64.init),
      randomizeVASpace: ProcText.integer("/proc/sys/kernel/randomize_va_space"),
      overcommitMemory: ProcText.integer("/proc/sys/vm/overcommit_memory"),
      overcommitRatio: ProcText.integer("/proc/sys/vm/overcommit_ratio"),
      maxMapCount: ProcText.integer("/proc/sys/vm/max_map_count"),
      mmapMinAddress: ProcText.integer("/proc/sys/vm/mmap_min_addr").map(UInt64.init))

    return MachineFacts(
      hostname: hostname, kernel: kernel, cpu: cpu, memory: memory, paging: paging,
      settings: settings, kernelConfig: readKernelConfig().map(Self.selectConfig))
  }

  /// The options of `configOptions` in a kernel configuration's text.
  public static func selectConfig(_ text: String) -> [String: String] {
    let wanted = Set(configOptions)
    var found: [String: String] = [:]
    for line in text.split(separator: "\n") {
      if line.hasPrefix("# CONFIG_"), line.hasSuffix(" is not set") {
        let name = String(line.dropFirst(2).dropLast(" is not set".count))
        if wanted.contains(name) { found[name] = "n" }
      } else if line.hasPrefix("CONFIG_"), let eq = line.firstIndex(of: "=") {
        let name = String(line[..<eq])
        if wanted.contains(name) { found[name] = String(line[line.index(after: eq)...]) }
      }
    }
    return found
  }

  /// /proc/config.gz inflated, or nil when the kernel has none (CONFIG_IKCONFIG_PROC unset).
  static func readKernelConfig() -> String? {
    guard let file = gzopen("/proc/config.gz", "rb") else { return nil }
    defer { gzclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64 << 10)
    while true {
      let n = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
      if n < 0 { return nil }
      if n == 0 { break }
      bytes += buffer[..<Int(n)]
    }
    return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
  }

  static func directoryEntries(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }
}

/// Small helpers for the one-value files of /proc/sys and /sys.
enum ProcText {
  /// `key: value` lines as a dictionary (the first occurrence when `firstOnly`, as the first
  /// CPU's block of /proc/cpuinfo).
  static func fields(_ text: String?, separator: Character, firstOnly: Bool = false) -> [String:
    String]
  {
    var result: [String: String] = [:]
    for line in (text ?? "").split(separator: "\n") {
      guard let colon = line.firstIndex(of: separator) else { continue }
      let key = String(line[..<colon]).trimmingSpaces
      if firstOnly && result[key] != nil { continue }
      result[key] = String(line[line.index(after: colon)...]).trimmingSpaces
    }
    return result
  }

  static func integer(_ path: String) -> Int? {
    (try? readSmallFile(path)).flatMap { Int($0.trimmingSpaces) }
  }

  /// The bracketed word of a sysfs choice file: `always [madvise] never` → `madvise`.
  static func selectedWord(_ path: String) -> String? {
    guard let text = try? readSmallFile(path),
      let open = text.firstIndex(of: "["), let close = text.firstIndex(of: "]"), open < close
    else { return nil }
    return String(text[text.index(after: open)..<close])
  }
}

extension String {
  var trimmingSpaces: String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" }
    return String(self.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
  }
}
