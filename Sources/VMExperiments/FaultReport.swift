/// The faults `vmmap --fault` can demonstrate.
public enum FaultType: String, CaseIterable, Codable, Sendable {
  case null
  case writeReadonly = "write-readonly"
  case executeData = "execute-data"
  case stackOverflow = "stack-overflow"
  case writeText = "write-text"
  case unmapped
  case guardPage = "guard-page"
  case busError = "bus-error"

  /// The `enum vmp_fault_kind` value.
  var kind: Int32 {
    switch self {
    case .null: 0
    case .writeReadonly: 1
    case .executeData: 2
    case .stackOverflow: 3
    case .writeText: 4
    case .unmapped: 5
    case .guardPage: 6
    case .busError: 7
    }
  }

  /// The access the probe makes.
  public var access: String {
    switch self {
    case .null, .unmapped, .guardPage: "read"
    case .writeReadonly, .writeText, .busError, .stackOverflow: "write"
    case .executeData: "execute"
    }
  }
}

/// What one fault experiment saw, from inside the child that faulted.
public struct FaultReport: Codable, Hashable, Sendable {
  public var type: FaultType
  /// `read`, `write` or `execute`.
  public var access: String
  /// How the condition was set up, in one sentence.
  public var setup: String
  /// True when the probe's handler caught a signal and recovered.
  public var caught: Bool
  public var signal: String
  public var signalNumber: Int32
  /// `SEGV_MAPERR`, `SEGV_ACCERR`, `BUS_ADRERR`, …
  public var code: String
  public var codeNumber: Int32
  public var codeMeaning: String
  /// `si_addr`, as `0x…`.
  public var faultAddress: String
  /// The address the probe meant to touch, as `0x…`.
  public var target: String
  /// Stack overflow: the recursion depth reached.
  public var depth: Int?
  /// The region holding the fault address, as the child's own map showed it.
  public var region: FaultRegion?
  /// The gap holding the fault address, when no region does.
  public var gap: FaultGap?
  /// The page's pagemap entry, read just before the access.
  public var page: FaultPage?
  /// What `vmmap --detail` predicts for this access (`SIGSEGV (SEGV_ACCERR)`).
  public var predicted: String?
  /// The line that names the cause ("Write: NO ← this caused the fault").
  public var cause: String
  public var why: String
  public var fix: String
  /// The sandboxed child that made the fault, as `wait4` saw it (set by the parent vmmap).
  public var sandbox: SandboxUsage? = nil
}

/// A region, as the fault report shows it.
public struct FaultRegion: Codable, Hashable, Sendable {
  public var start: String
  public var end: String
  public var permissions: String
  public var kind: String
  public var description: String
  public var read: Bool
  public var write: Bool
  public var execute: Bool
}

/// A gap between regions.
public struct FaultGap: Codable, Hashable, Sendable {
  public var start: String
  public var end: String
}

/// The pagemap view of the target page.
public struct FaultPage: Codable, Hashable, Sendable {
  public var present: Bool
  public var swapped: Bool
  /// The page frame number, as `0x…`; nil when not present or not visible (no CAP_SYS_ADMIN).
  public var frame: String?
  public var note: String?
}

func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
