#if canImport(Glibc)
  import Glibc
#endif
import CVMProbes

/// Reads one live process through `/proc/PID`, opened once as a directory so that every file
/// comes from the same process even if its PID is recycled meanwhile.
///
///     let reader = try ProcessReader(pid: 4242)
///     let map = try reader.readMemoryMap(counters: true)
///
/// A pidfd taken before reading tells a complete file from one cut short because the process
/// was killed mid-read (the kernel then ends the file with a clean EOF): such a read throws
/// `.exitedDuringRead` instead of returning a short map.
public final class ProcessReader {
  public let pid: Int32
  /// The `/proc/PID` directory.
  let procDir: CInt
  /// A pidfd for the process, or -1 when the kernel gave none (a TID, an old kernel).
  let pidfd: CInt
  /// How files are streamed (buffer size, reader thread, test hook).
  var reader = ChunkedReader()

  /// Opens `/proc/PID`; throws `.noInput` when there is no such process.
  public init(pid: Int32) throws(VMMapError) {
    self.pid = pid
    guard pid > 0 else { throw ProcfsErrors.noSuchProcess(pid: pid, errno: nil) }
    let fd = vmp_pidfd_open(pid)
    if fd == -ESRCH { throw ProcfsErrors.noSuchProcess(pid: pid, errno: ESRCH) }
    pidfd = fd >= 0 ? fd : -1
    switch Syscall.openat(AT_FDCWD, "/proc/\(pid)", O_RDONLY | O_DIRECTORY) {
    case .success(let dir):
      procDir = dir
    case .failure(let e):
      if pidfd >= 0 { close(pidfd) }
      if e.rawValue == ENOENT || e.rawValue == ESRCH {
        throw ProcfsErrors.noSuchProcess(pid: pid, errno: e.rawValue)
      }
      throw ProcfsErrors.error(e, pid: pid, file: "", procDir: -1)
    }
  }

  deinit {
    close(procDir)
    if pidfd >= 0 { close(pidfd) }
  }

  /// Whether streamed files are read on a second thread while parsing (default true).
  public var readsOnSecondThread: Bool {
    get { reader.pipelined }
    set { reader.pipelined = newValue }
  }

  // MARK: Files

  func open(_ file: String) throws(VMMapError) -> CInt {
    switch Syscall.openat(procDir, file, O_RDONLY) {
    case .success(let fd): return fd
    case .failure(let e): throw error(e, file)
    }
  }

  func error(_ e: Errno, _ file: String) -> VMMapError {
    // ENOENT under an open /proc/PID whose process has gone means it exited.
    if e.rawValue == ENOENT, hasExited() {
      return ProcfsErrors.exitedDuringRead(pid: pid, file: file)
    }
    return ProcfsErrors.error(e, pid: pid, file: file, procDir: procDir)
  }

  /// Reads a small file (`status`, `stat`, `cmdline` …) whole.
  public func readFile(_ file: String) throws(VMMapError) -> [UInt8] {
    let fd = try open(file)
    defer { close(fd) }
    switch Syscall.readAll(fd: fd) {
    case .success(let bytes): return bytes
    case .failure(let e): throw error(e, file)
    }
  }

  /// Streams `file` into `consume`, then checks that the same program was alive for the whole
  /// read: a process killed mid-read ends its smaps with a clean EOF once its mm is gone, and
  /// one that calls `exec` meanwhile leaves us reading the old mm.
  func stream(
    _ file: String, meanwhile: () -> Void = {},
    _ consume: (UnsafeRawBufferPointer) throws(VMMapError) -> Void
  ) throws(VMMapError) {
    let before = try? readStat()
    let fd = try open(file)
    defer { close(fd) }
    try reader.read(
      fd: fd, mapError: { error($0, file) }, meanwhile: meanwhile, consume: consume)
    if hasExited() { throw ProcfsErrors.exitedDuringRead(pid: pid, file: file) }
    if let before, let after = try? readStat(), after.startStack != before.startStack {
      throw VMMapError(
        .exitedDuringRead, what: "/proc/\(pid)/\(file)",
        why: "process \(pid) started another program (exec) while its \(file) was being read",
        fix: "run vmmap again")
    }
  }

  /// True when the process has exited or is exiting: the pidfd is readable, or `stat` is gone,
  /// says zombie/dead, or has `PF_EXITING` (set before the kernel drops the mm, whereas the
  /// pidfd becomes readable only later, at exit_notify).
  public func hasExited() -> Bool {
    if pidfd >= 0, vmp_pidfd_exited(pidfd) == 1 { return true }
    guard case .success(let bytes) = Syscall.readAll(procDir, "stat"),
      let stat = try? StatParser.parse(bytes, source: "stat")
    else { return true }
    return stat.state == UInt8(ascii: "Z") || stat.state == UInt8(ascii: "X")
      || stat.flags & ProcessStat.exitingFlag != 0
  }

  // MARK: Parsed files

  /// `/proc/PID/maps` as mappings.
  public func readMappings() throws(VMMapError) -> [Mapping] {
    var parser = MapsParser(source: "/proc/\(pid)/maps")
    try stream("maps") { (chunk) throws(VMMapError) in try parser.feed(chunk) }
    return try parser.finish()
  }

  /// `/proc/PID/smaps` as regions with counters.
  public func readRegions() throws(VMMapError) -> [Region] {
    try readRegions(meanwhile: {})
  }

  /// `/proc/PID/smaps`, running `meanwhile` on this thread while the reader thread starts on
  /// smaps (the parse has slack: the kernel's formatting is the slow part).
  func readRegions(meanwhile: () -> Void) throws(VMMapError) -> [Region] {
    var parser = SmapsParser(source: "/proc/\(pid)/smaps")
    try stream("smaps", meanwhile: meanwhile) { (chunk) throws(VMMapError) in
      try parser.feed(chunk)
    }
    return try parser.finish()
  }

  /// `/proc/PID/smaps_rollup`.
  public func readRollup() throws(VMMapError) -> SmapsCounters {
    let bytes = try readFile("smaps_rollup")
    if bytes.isEmpty || hasExited() {
      throw ProcfsErrors.exitedDuringRead(pid: pid, file: "smaps_rollup")
    }
    return try SmapsRollupParser.parse(bytes, source: "/proc/\(pid)/smaps_rollup")
  }

  public func readStatus() throws(VMMapError) -> ProcessStatus {
    try StatusParser.parse(try readFile("status"), source: "/proc/\(pid)/status")
  }

  public func readStat() throws(VMMapError) -> ProcessStat {
    try StatParser.parse(try readFile("stat"), source: "/proc/\(pid)/stat")
  }

  /// `cmdline` split at NULs; empty when unreadable.
  public func readCommandLine() -> [PathBytes] {
    (try? readFile("cmdline")).map(CommandLineParser.arguments) ?? []
  }

  /// `comm`; nil when unreadable.
  public func readComm() -> PathBytes? {
    (try? readFile("comm")).map(CommandLineParser.comm)
  }

  /// `readlink exe`; nil when unreadable (a kernel thread, or no permission).
  public func readExecutable() -> PathBytes? {
    guard case .success(let bytes) = Syscall.readlinkat(procDir, "exe") else { return nil }
    return PathBytes(bytes)
  }
}
