import CVMProbes
import Foundation

/// The repository root (this file is Tests/VMMapTestSupport/ProcessRunner.swift).
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().path

/// The vmmap binary that `swift build` made for this test run.
public let vmmapBinary: String = {
  for config in ["debug", "release"] {
    let path = repositoryRoot + "/.build/\(config)/vmmap"
    if FileManager.default.isExecutableFile(atPath: path) { return path }
  }
  return repositoryRoot + "/.build/debug/vmmap"
}()

public struct RunResult {
  public var status: Int32
  public var stdout: Data
  public var stderr: String
  public var text: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs a program to completion; `user` runs it as that user through setpriv (root only).
///
/// posix_spawn with close-on-exec pipes: tests run in parallel, and a pipe end inherited by
/// another test's long-lived child would keep this one waiting for end of file.
public func run(_ executable: String, _ arguments: [String], user: UInt32? = nil) throws
  -> RunResult
{
  var argv = [executable] + arguments
  if let user {
    argv =
      [
        "/usr/bin/setpriv", "--reuid=\(user)", "--regid=\(user)", "--clear-groups",
        "--inh-caps=-all", "--",
      ]
      + argv
  }
  var outPipe: [Int32] = [0, 0]
  var errPipe: [Int32] = [0, 0]
  guard vmp_pipe_cloexec(&outPipe) == 0, vmp_pipe_cloexec(&errPipe) == 0 else {
    throw CocoaError(.fileWriteUnknown)
  }
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
  posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
  posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
  let environment = ProcessInfo.processInfo.environment.merging(["NO_COLOR": "1"]) { $1 }
    .map { "\($0.key)=\($0.value)" }
  let cArgs = argv.map { strdup($0) } + [nil]
  let cEnv = environment.map { strdup($0) } + [nil]
  defer {
    cArgs.forEach { free($0) }
    cEnv.forEach { free($0) }
  }
  var pid: pid_t = 0
  let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, cEnv)
  close(outPipe[1])
  close(errPipe[1])
  guard rc == 0 else {
    close(outPipe[0])
    close(errPipe[0])
    throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO)
  }
  // Drain stderr on another thread while reading stdout here, so neither pipe fills up.
  nonisolated(unsafe) var errData = Data()
  let errFD = errPipe[0]
  let errThread = Thread {
    errData = FileHandle(fileDescriptor: errFD, closeOnDealloc: true).readDataToEndOfFile()
  }
  errThread.start()
  let outData = FileHandle(fileDescriptor: outPipe[0], closeOnDealloc: true).readDataToEndOfFile()
  var status: Int32 = 0
  while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
  while !errThread.isFinished { usleep(1000) }
  let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
  return RunResult(status: code, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
}

public func vmmap(_ arguments: String..., user: UInt32? = nil) throws -> RunResult {
  try run(vmmapBinary, arguments, user: user)
}

/// A child process that sleeps until killed, for reading a live, idle map.
public final class Sleeper {
  public let pid: pid_t

  /// `/bin/sleep`, or with `isolated`, a statically linked idle program that shares no file
  /// with any other process, so its Pss holds still while vmmap (which maps libc) reads it.
  public init(seconds: Int = 60, isolated: Bool = false) throws {
    var child: pid_t = 0
    let program = isolated ? try staticIdleProgram() : "/bin/sleep"
    let args = [strdup(program), strdup(String(seconds)), nil]
    defer { args.forEach { free($0) } }
    let rc = posix_spawn(&child, program, nil, nil, args, environ)
    guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
    pid = child
    // Wait until the exec is done (comm is "sleep"), so the map is sleep's, not the test's.
    for _ in 0..<400 {
      if let comm = try? readProcFile("/proc/\(pid)/comm"),
        comm.hasPrefix("sleep") || comm.hasPrefix("vmmap-idle")
      {
        usleep(20_000)
        return
      }
      usleep(5000)
    }
  }

  deinit {
    kill(pid, SIGKILL)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
  }
}

/// Builds (once per test run) a static C program that pauses forever.
public func staticIdleProgram() throws -> String {
  try StaticIdle.path.get()
}

private enum StaticIdle {
  static let path: Result<String, Error> = Result {
    let dir = NSTemporaryDirectory() + "vmmap-idle-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    // It also reads (never writes) 4 MiB of anonymous memory: every page maps the shared zero
    // page, which smaps does not count as Rss (so --fast must not either).
    try """
    #include <sys/mman.h>
    #include <unistd.h>
    int main(void) {
      volatile char *p = mmap(0, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      madvise((void *)p, 4 << 20, MADV_NOHUGEPAGE);
      unsigned sum = 0;
      for (int i = 0; i < (4 << 20); i += 4096) sum += p[i];
      for (;;) pause();
      return (int)sum;
    }
    """
    .write(toFile: dir + "/idle.c", atomically: true, encoding: .utf8)
    let binary = dir + "/vmmap-idle"
    let cc = try run("/usr/bin/cc", ["-static", "-O2", "-o", binary, dir + "/idle.c"])
    guard cc.status == 0 else { throw CocoaError(.executableLoad, userInfo: ["cc": cc.stderr]) }
    return binary
  }
}

/// A /proc file read to its end (Foundation's String(contentsOfFile:) trusts st_size, which
/// procfs reports as 0).
public func readProcFile(_ path: String) throws -> String {
  guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileNoSuchFile) }
  defer { try? handle.close() }
  return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
}

/// The `Name: N kB` fields of a smaps-style file, summed per name (independent, naive parse).
public func naiveFieldSums(_ path: String) throws -> [String: UInt64] {
  let text = try readProcFile(path)
  var sums: [String: UInt64] = [:]
  for line in text.split(separator: "\n") {
    let parts = line.split(separator: " ", omittingEmptySubsequences: true)
    guard parts.count == 3, parts[2] == "kB", parts[0].hasSuffix(":"), let v = UInt64(parts[1])
    else {
      continue
    }
    sums[String(parts[0].dropLast()), default: 0] += v * 1024
  }
  return sums
}

public func jsonObject(_ data: Data) throws -> [String: Any] {
  guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
    throw CocoaError(.propertyListReadCorrupt)
  }
  return object
}

/// Runs `body` again (up to 20 times, 100 ms apart) while it fails with ETXTBSY ("Text file
/// busy"): a file the test just wrote stays open for writing in any child that another test
/// forked meanwhile, until that child execs, and executing it fails until then.
public func retryingTextFileBusy(_ body: () throws -> RunResult) rethrows -> RunResult {
  var r = try body()
  for _ in 0..<20 where r.status == 126 && r.stderr.contains("Text file busy") {
    usleep(100_000)
    r = try body()
  }
  return r
}
