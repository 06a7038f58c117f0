/// A `Name: value kB` line of smaps or smaps_rollup that this code knows by name.
///
/// Values are stored in bytes (the kernel prints kB, meaning KiB); `THPeligible` and
/// `ProtectionKey` are plain numbers and stored as printed.
public enum SmapsField: Int, CaseIterable, Sendable {
  case size, kernelPageSize, mmuPageSize, rss, pss, pssDirty, pssAnon, pssFile, pssShmem
  case sharedClean, sharedDirty, privateClean, privateDirty, referenced, anonymous, ksm
  case lazyFree, anonHugePages, shmemPmdMapped, filePmdMapped, shmemHugePages
  case sharedHugetlb, privateHugetlb, swap, swapPss, locked, thpEligible, protectionKey

  /// The name as the kernel prints it, without the colon.
  public var kernelName: String {
    switch self {
    case .size: "Size"
    case .kernelPageSize: "KernelPageSize"
    case .mmuPageSize: "MMUPageSize"
    case .rss: "Rss"
    case .pss: "Pss"
    case .pssDirty: "Pss_Dirty"
    case .pssAnon: "Pss_Anon"
    case .pssFile: "Pss_File"
    case .pssShmem: "Pss_Shmem"
    case .sharedClean: "Shared_Clean"
    case .sharedDirty: "Shared_Dirty"
    case .privateClean: "Private_Clean"
    case .privateDirty: "Private_Dirty"
    case .referenced: "Referenced"
    case .anonymous: "Anonymous"
    case .ksm: "KSM"
    case .lazyFree: "LazyFree"
    case .anonHugePages: "AnonHugePages"
    case .shmemPmdMapped: "ShmemPmdMapped"
    case .filePmdMapped: "FilePmdMapped"
    case .shmemHugePages: "ShmemHugePages"
    case .sharedHugetlb: "Shared_Hugetlb"
    case .privateHugetlb: "Private_Hugetlb"
    case .swap: "Swap"
    case .swapPss: "SwapPss"
    case .locked: "Locked"
    case .thpEligible: "THPeligible"
    case .protectionKey: "ProtectionKey"
    }
  }

  /// The JSON key (lower camel case of the kernel name).
  public var jsonKey: String {
    switch self {
    case .size: "size"
    case .kernelPageSize: "kernelPageSize"
    case .mmuPageSize: "mmuPageSize"
    case .rss: "rss"
    case .pss: "pss"
    case .pssDirty: "pssDirty"
    case .pssAnon: "pssAnon"
    case .pssFile: "pssFile"
    case .pssShmem: "pssShmem"
    case .sharedClean: "sharedClean"
    case .sharedDirty: "sharedDirty"
    case .privateClean: "privateClean"
    case .privateDirty: "privateDirty"
    case .referenced: "referenced"
    case .anonymous: "anonymous"
    case .ksm: "ksm"
    case .lazyFree: "lazyFree"
    case .anonHugePages: "anonHugePages"
    case .shmemPmdMapped: "shmemPmdMapped"
    case .filePmdMapped: "filePmdMapped"
    case .shmemHugePages: "shmemHugePages"
    case .sharedHugetlb: "sharedHugetlb"
    case .privateHugetlb: "privateHugetlb"
    case .swap: "swap"
    case .swapPss: "swapPss"
    case .locked: "locked"
    case .thpEligible: "thpEligible"
    case .protectionKey: "protectionKey"
    }
  }

  /// True when the kernel prints the value in kB (stored here in bytes).
  public var isKilobytes: Bool { self != .thpEligible && self != .protectionKey }

  /// Looks a kernel name up without allocating.
  public init?<C: Collection>(kernelName name: C) where C.Element == UInt8 {
    guard let f = SmapsField.byName[Array(name)] else { return nil }
    self = f
  }

  private static let byName: [[UInt8]: SmapsField] = Dictionary(
    uniqueKeysWithValues: allCases.map { (Array($0.kernelName.utf8), $0) })
}

/// The counters of one smaps entry (or of smaps_rollup): every `Name: value` line.
///
/// Fixed storage for the fields this code knows (and which of them the kernel printed), plus
/// the lines of fields it does not know yet, kept in order, so a newer kernel loses nothing.
public struct SmapsCounters: Hashable, Sendable {
  private var values:
    (
      UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
      UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
      UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
    ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
  /// Bit `field.rawValue` set when the kernel printed that line.
  public private(set) var present: UInt32 = 0
  /// Lines of fields not in `SmapsField`, in the order printed: name and value (bytes if the
  /// line said kB, else as printed).
  public var extra: [ExtraField] = []
  /// The `VmFlags:` line (smaps only).
  public var vmFlags: VMFlags? = nil

  public struct ExtraField: Hashable, Sendable {
    public var name: String
    public var value: UInt64
    public var isKilobytes: Bool
    public init(name: String, value: UInt64, isKilobytes: Bool) {
      self.name = name
      self.value = value
      self.isKilobytes = isKilobytes
    }
  }

  public init() {}

  public static func == (a: SmapsCounters, b: SmapsCounters) -> Bool {
    guard a.present == b.present, a.extra == b.extra, a.vmFlags == b.vmFlags else { return false }
    return SmapsField.allCases.allSatisfy { a[$0] == b[$0] }
  }

  public func hash(into h: inout Hasher) {
    h.combine(present)
    for f in SmapsField.allCases { h.combine(self[f]) }
  }

  /// The value (bytes for kB fields); 0 when the kernel did not print the line.
  public subscript(field: SmapsField) -> UInt64 {
    get {
      withUnsafeBytes(of: values) { $0.load(fromByteOffset: field.rawValue * 8, as: UInt64.self) }
    }
    set {
      withUnsafeMutableBytes(of: &values) {
        $0.storeBytes(of: newValue, toByteOffset: field.rawValue * 8, as: UInt64.self)
      }
      present |= 1 << UInt32(field.rawValue)
    }
  }

  public func has(_ field: SmapsField) -> Bool { present & (1 << UInt32(field.rawValue)) != 0 }

  /// Adds every known field of `other` (for totals); presence is the union.
  public mutating func add(_ other: SmapsCounters) {
    let summable = other.present & ~SmapsCounters.notSummable
    guard summable != 0 else { return }
    present |= summable
    withUnsafeMutableBytes(of: &values) { dst in
      withUnsafeBytes(of: other.values) { src in
        var bits = summable
        while bits != 0 {
          let i = bits.trailingZeroBitCount
          bits &= bits - 1
          let sum =
            dst.load(fromByteOffset: i * 8, as: UInt64.self)
            &+ src.load(fromByteOffset: i * 8, as: UInt64.self)
          dst.storeBytes(of: sum, toByteOffset: i * 8, as: UInt64.self)
        }
      }
    }
  }

  /// Fields that are properties of a region, not amounts: page sizes, flags, the key.
  static let notSummable: UInt32 = [
    SmapsField.kernelPageSize, .mmuPageSize, .thpEligible, .protectionKey,
  ]
  .reduce(0) { $0 | 1 << UInt32($1.rawValue) }

  public var size: UInt64 { self[.size] }
  public var rss: UInt64 { self[.rss] }
  public var pss: UInt64 { self[.pss] }
  public var swap: UInt64 { self[.swap] }
  public var sharedClean: UInt64 { self[.sharedClean] }
  public var sharedDirty: UInt64 { self[.sharedDirty] }
  public var privateClean: UInt64 { self[.privateClean] }
  public var privateDirty: UInt64 { self[.privateDirty] }
  public var anonymous: UInt64 { self[.anonymous] }
  public var anonHugePages: UInt64 { self[.anonHugePages] }
  /// Shared_Clean + Shared_Dirty.
  public var shared: UInt64 { sharedClean + sharedDirty }
}
