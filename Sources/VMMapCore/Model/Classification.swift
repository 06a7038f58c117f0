/// What a region is, as far as the evidence shows.
public enum RegionKind: String, CaseIterable, Sendable, Codable {
  /// A segment of the main program (the ELF file behind `/proc/PID/exe`).
  case executable
  /// A segment of another ELF object: a shared library or the dynamic loader.
  case sharedLibrary = "shared-library"
  /// The anonymous tail right after an ELF object's last file-backed segment (the rest of .bss).
  case bss
  case heap
  case mainStack = "main-stack"
  case threadStack = "thread-stack"
  /// An inaccessible (`---p`) region that guards a stack or a heap arena.
  case guardPage = "guard-page"
  /// An inaccessible region that reserves address space (a malloc arena's unused part, a
  /// `PROT_NONE` reservation) and guards nothing known.
  case reserved
  /// A glibc malloc arena of a non-main thread (64 MiB aligned `heap_info`).
  case mallocArena = "malloc-arena"
  /// Private anonymous memory (`mmap(MAP_PRIVATE|MAP_ANONYMOUS)`, large malloc blocks).
  case anonymous
  /// Shared anonymous memory (`MAP_SHARED|MAP_ANONYMOUS`; the kernel names it `/dev/zero (deleted)`).
  case sharedAnonymous = "shared-anonymous"
  /// A file mapped privately (`MAP_PRIVATE`), not an ELF segment.
  case privateFile = "private-file"
  /// A file mapped shared (`MAP_SHARED`).
  case sharedFile = "shared-file"
  /// A `memfd_create` file.
  case memfd
  /// A System V shared memory segment (`shmat`).
  case sysvShm = "sysv-shm"
  /// hugetlbfs-backed memory (`MAP_HUGETLB` or a hugetlbfs file).
  case hugetlb
  case vdso
  case vvar
  case vsyscall
  case uprobes
  /// A device or pseudo file (`anon_inode:…`, `/dev/…`).
  case device
}

extension RegionKind {
  /// Position in `allCases`, without hashing the raw string (hot in 60,000-region maps).
  public var ordinal: Int {
    switch self {
    case .executable: 0
    case .sharedLibrary: 1
    case .bss: 2
    case .heap: 3
    case .mainStack: 4
    case .threadStack: 5
    case .guardPage: 6
    case .reserved: 7
    case .mallocArena: 8
    case .anonymous: 9
    case .sharedAnonymous: 10
    case .privateFile: 11
    case .sharedFile: 12
    case .memfd: 13
    case .sysvShm: 14
    case .hugetlb: 15
    case .vdso: 16
    case .vvar: 17
    case .vsyscall: 18
    case .uprobes: 19
    case .device: 20
    }
  }
}

/// The ELF segment a file-backed region maps, from the program headers of the mapped file.
public enum ELFSegmentRole: String, Sendable, Codable {
  /// The first read-only segment, holding the ELF and program headers.
  case headers
  case text
  case rodata
  /// `PT_GNU_RELRO`: writable at load, made read-only after relocation.
  case relro
  case data
  case bss
}

/// How sure vmmap is of a label.
public enum Certainty: String, Sendable, Codable {
  /// Read from the kernel or from the ELF headers of the file actually mapped.
  case observed
  /// Deduced from position, size, permissions or the name in maps (saved text, unreadable
  /// map_files, a heuristic such as the arena alignment).
  case inferred
}

/// The label of one region, with the evidence that backs it.
public struct Classification: Hashable, Sendable {
  public var kind: RegionKind
  public var segment: ELFSegmentRole?
  /// One line for people: ".text (code)", "thread stack of TID 4242", "[heap], brk() managed".
  public var description: String
  /// Where each fact came from ("ELF PT_LOAD #2 r-x covers .text .plt", "sp of TID 4242 from task/4242/syscall").
  public var evidence: [String]
  public var certainty: Certainty
  /// The object a segment belongs to (the library or executable path), for grouping.
  public var owner: PathBytes?
  /// The thread whose stack (or stack guard) this is.
  public var threadID: Int32?
  /// Transparent huge pages back part of this region (AnonHugePages/FilePmdMapped > 0).
  public var usesTHP: Bool
  /// Names of the ELF sections inside this segment, when the section headers were read.
  public var sections: [String]

  public init(
    kind: RegionKind = .anonymous, segment: ELFSegmentRole? = nil, description: String = "",
    evidence: [String] = [], certainty: Certainty = .inferred, owner: PathBytes? = nil,
    threadID: Int32? = nil, usesTHP: Bool = false, sections: [String] = []
  ) {
    self.kind = kind
    self.segment = segment
    self.description = description
    self.evidence = evidence
    self.certainty = certainty
    self.owner = owner
    self.threadID = threadID
    self.usesTHP = usesTHP
    self.sections = sections
  }
}
