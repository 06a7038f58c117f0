#if canImport(Glibc)
  import Glibc
#endif
import CVMProbes

extension ProcessReader {
  /// Every thread in `task/`: its stat and, where readable, its user stack pointer from
  /// `task/TID/syscall` (for the calling thread of our own process, the current one).
  /// Threads that exit while being listed are left out.
  public func readThreads() -> [ThreadInfo] {
    var threads: [ThreadInfo] = []
    for tid in threadIDs() {
      guard case .success(let statBytes) = Syscall.readAll(procDir, "task/\(tid)/stat"),
        let stat = try? StatParser.parse(statBytes, source: "/proc/\(pid)/task/\(tid)/stat")
      else { continue }
      var sp: UInt64?
      var source: String?
      if pid == getpid(), tid == vmp_gettid() {
        sp = currentStackPointer()
        source = "self"
      } else if case .success(let bytes) = Syscall.readAll(procDir, "task/\(tid)/syscall"),
        let state = try? SyscallParser.parse(bytes, source: "syscall"),
        let value = state.stackPointer
      {
        sp = value
        source = "task/\(tid)/syscall"
      }
      threads.append(ThreadInfo(tid: tid, stat: stat, stackPointer: sp, stackPointerSource: source))
    }
    return threads
  }

  /// The numeric entries of `task/`, sorted.
  func threadIDs() -> [Int32] {
    guard case .success(let fd) = Syscall.openat(procDir, "task", O_RDONLY | O_DIRECTORY),
      let dir = fdopendir(fd)
    else { return [] }
    defer { closedir(dir) }
    var ids: [Int32] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if let tid = Int32(name) { ids.append(tid) }
    }
    return ids.sorted()
  }
}

/// An address inside the calling thread's stack frame: its stack pointer, near enough to find
/// the stack's region.
@inline(never)
func currentStackPointer() -> UInt64 {
  var marker: UInt8 = 0
  return withUnsafeMutablePointer(to: &marker) { UInt64(UInt(bitPattern: $0)) }
}
