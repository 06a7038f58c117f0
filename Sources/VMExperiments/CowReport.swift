/// What `vmmap --cow` saw: a private region filled by the demo's parent (the sandboxed
/// experiment child), a `fork`, and one write by the demo's child, each step read from the
/// kernel (pagemap, kpagecount, smaps, smaps_rollup) in both processes.
public struct CowReport: Codable, Hashable, Sendable {
  /// 1 for this layout.
  public var schemaVersion: Int
  public var pageSize: UInt64
  /// The process that filled the region and forked (the sandboxed experiment child).
  public var parentPID: Int32
  /// The forked child, which writes page 0.
  public var childPID: Int32
  public var region: CowRegion
  /// The 32-bit word every word of the region was filled with (`0xDEADBEEF`).
  public var initialValue: String
  /// What the child writes to page 0 (`0xCAFEBABE`).
  public var writtenValue: String
  /// True when frame numbers and kpagecount were readable (CAP_SYS_ADMIN).
  public var framesVisible: Bool
  /// Why frames are not shown, when they are not.
  public var framesNote: String?
  /// Before the fork, right after it, and after the child's write, in that order.
  public var stages: [CowStage]
  /// Minor faults the child's one write cost (its `ru_minflt` around the store).
  public var childWriteMinorFaults: Int
  /// Pages whose frames differ between the two processes after the write, counted over the
  /// whole region; nil when frames are not visible.
  public var pagesCopied: Int?
  /// The parent's own write to page 0, after the child's.
  public var parentWrite: CowParentWrite
  /// The child's exit status after it was told to quit (0).
  public var childExitStatus: Int32
  /// How it works, one paragraph each, from the numbers above.
  public var explanation: [String]
  public var lesson: String
  /// The sandboxed child that ran the experiment (set by the parent vmmap from `wait4`; it
  /// includes the reaped fork, whose usage the kernel adds to its parent's).
  public var sandbox: SandboxUsage?

  /// A stage by name.
  public func stage(_ name: CowStageName) -> CowStage? { stages.first { $0.stage == name } }
}

/// The region the demo uses.
public struct CowRegion: Codable, Hashable, Sendable {
  public var start: String
  public var end: String
  /// Bytes.
  public var size: UInt64
  public var pages: Int
  /// As maps prints them (`rw-p`).
  public var permissions: String
  /// The VMA's flags from smaps `VmFlags` (`rd wr mr mw me ac nh`).
  public var vmFlags: [String]
  /// Each flag with its meaning (`wr: writeable`), from proc(5).
  public var vmFlagMeanings: [String]
  /// How the region was made, in one sentence.
  public var setup: String
}

/// The three moments the demo looks at.
public enum CowStageName: String, Codable, Hashable, Sendable, CaseIterable {
  case beforeFork = "before-fork"
  case afterFork = "after-fork"
  case afterChildWrite = "after-child-write"
}

/// Both processes at one moment.
public struct CowStage: Codable, Hashable, Sendable {
  public var stage: CowStageName
  public var parent: CowProcessView
  /// Nil before the fork.
  public var child: CowProcessView?
  /// The frames of every page of the region, parent against child; nil before the fork or
  /// when frames are not visible.
  public var frames: CowFrameComparison?
}

/// One process at one moment.
public struct CowProcessView: Codable, Hashable, Sendable {
  public var pid: Int32
  /// Page 0 as the parent vmmap read it (`/proc/PID/pagemap`, `/proc/kpagecount`), with the
  /// value the process itself read there.
  public var page0: CowPage
  /// Page 0 as the process read it itself (`/proc/self/pagemap`); the child only.
  public var selfReported: CowPage?
  /// Rss and Pss of the region (its smaps entry).
  public var region: CowMemory
  /// Rss and Pss of the whole process (smaps_rollup).
  public var process: CowMemory
}

/// One page, as pagemap and kpagecount show it.
public struct CowPage: Codable, Hashable, Sendable {
  public var present: Bool
  /// The page frame number, `0x…`; nil when not present or not visible.
  public var frame: String?
  /// `/proc/kpagecount` of the frame: how many page tables map it; nil when not visible.
  public var mapCount: UInt64?
  /// pagemap bit 56: mapped by this process only.
  public var exclusive: Bool
  /// The raw 64-bit pagemap entry, `0x…`.
  public var pagemapEntry: String
  /// The 32-bit word at the start of the page, as the process read it (`0xDEADBEEF`).
  public var value: String
}

/// Bytes.
public struct CowMemory: Codable, Hashable, Sendable {
  public var rss: UInt64
  public var pss: UInt64
}

/// The frames of every page of the region in both processes.
public struct CowFrameComparison: Codable, Hashable, Sendable {
  public var pages: Int
  /// Present in both, the same frame.
  public var shared: Int
  /// Present in both, different frames: copied.
  public var differing: Int
  /// Not present in one of them, or no frame visible.
  public var incomparable: Int
  /// The indexes of the first differing pages (at most 16).
  public var differingPages: [Int]
}

/// The parent writes its page 0 after the child has taken its copy: the frame is mapped once,
/// so the kernel makes the entry writable again without copying (or, rarely, copies anyway when
/// something else holds a reference to the page: then `reused` is false).
public struct CowParentWrite: Codable, Hashable, Sendable {
  /// What the parent writes (the value it already holds, so page 0 keeps its meaning).
  public var value: String
  /// Minor faults the one store cost (RUSAGE_THREAD).
  public var minorFaults: Int
  public var frameBefore: String?
  public var frameAfter: String?
  /// kpagecount of the frame after the write.
  public var mapCountAfter: UInt64?
  public var exclusiveAfter: Bool
  /// True when the frame stayed the same; nil when frames are not visible.
  public var reused: Bool?
}
