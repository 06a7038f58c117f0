/// `/proc/PID/status`: the lines vmmap uses, typed, plus every line as printed.
public struct ProcessStatus: Hashable, Sendable {
  public var name: String = ""
  /// The state letter (`R`, `S`, `D`, `Z`, …).
  public var state: Character = "?"
  public var tgid: Int32 = 0
  public var pid: Int32 = 0
  public var ppid: Int32 = 0
  public var threads: Int = 0
  /// The `Vm*`, `Rss*` and `HugetlbPages` lines, in bytes, by kernel name (`VmSize`, `RssAnon` …).
  public var memory: [String: UInt64] = [:]
  /// Every `Key: value` line, in order, value trimmed.
  public var lines: [(key: String, value: String)] = []

  public init() {}

  public static func == (a: ProcessStatus, b: ProcessStatus) -> Bool {
    a.name == b.name && a.state == b.state && a.tgid == b.tgid && a.pid == b.pid
      && a.ppid == b.ppid && a.threads == b.threads && a.memory == b.memory
      && a.lines.map(\.key) == b.lines.map(\.key) && a.lines.map(\.value) == b.lines.map(\.value)
  }

  public func hash(into h: inout Hasher) {
    h.combine(pid)
    h.combine(memory)
  }

  /// A memory line in bytes (`VmSize`, `VmRSS`, `VmPTE`, `VmSwap`, …), nil when absent.
  public subscript(memory key: String) -> UInt64? { memory[key] }

  /// A kernel thread has no `VmSize` line at all.
  public var hasAddressSpace: Bool { memory["VmSize"] != nil }
}

/// `/proc/PID/stat` or `/proc/PID/task/TID/stat` (proc(5) field numbers in the comments).
public struct ProcessStat: Hashable, Sendable {
  public var pid: Int32 = 0  // 1
  /// `comm`, between the first `(` and the last `)`: may hold spaces and parentheses.
  public var comm: PathBytes = PathBytes([])  // 2
  public var state: UInt8 = UInt8(ascii: "?")  // 3
  public var ppid: Int32 = 0  // 4
  public var flags: UInt64 = 0  // 9
  public var minorFaults: UInt64 = 0  // 10
  public var childMinorFaults: UInt64 = 0  // 11
  public var majorFaults: UInt64 = 0  // 12
  public var childMajorFaults: UInt64 = 0  // 13
  public var userTicks: UInt64 = 0  // 14
  public var systemTicks: UInt64 = 0  // 15
  public var threads: Int64 = 0  // 20
  /// Start time after boot, in clock ticks (`sysconf(_SC_CLK_TCK)`).
  public var startTime: UInt64 = 0  // 22
  public var virtualSize: UInt64 = 0  // 23, bytes
  public var residentPages: Int64 = 0  // 24
  public var startStack: UInt64 = 0  // 28
  public var stackPointer: UInt64 = 0  // 29 (kstkesp; 0 unless the task is dumping core)
  public var instructionPointer: UInt64 = 0  // 30
  public var processor: Int32 = 0  // 39

  public init() {}

  /// `PF_KTHREAD` (0x00200000) in the flags: a kernel thread, which has no user address space.
  public var isKernelThread: Bool { flags & 0x0020_0000 != 0 }
  public var isZombie: Bool { state == UInt8(ascii: "Z") }
}

/// One thread of a process: its stat and, where readable, its user stack pointer.
public struct ThreadInfo: Hashable, Sendable {
  public var tid: Int32
  public var stat: ProcessStat
  /// From `/proc/PID/task/TID/syscall` (the next-to-last field) when the thread is blocked in a
  /// system call; nil when it is running or the file is unreadable.
  public var stackPointer: UInt64?
  /// How `stackPointer` was found (`"task/TID/syscall"`, `"task/TID/stat"`, `"self"`).
  public var stackPointerSource: String?

  public init(tid: Int32, stat: ProcessStat, stackPointer: UInt64?, stackPointerSource: String?) {
    self.tid = tid
    self.stat = stat
    self.stackPointer = stackPointer
    self.stackPointerSource = stackPointerSource
  }
}
