import CVMProbes
import Glibc
import VMMapCore

/// Runs `vmmap __specimen` (the report's specimen; the tests' too), reads its report up to
/// `READY`, and ends it in `stop()` (call it in `defer`). Its stdin is a pipe that only this
/// process holds, so the specimen also exits if this process dies.
public final class SpecimenProcess {
  public struct Record {
    public var kind: RegionKind
    public var address: UInt64
    public var size: UInt64
    public var tag: String
    public var note: String
  }

  public let pid: pid_t
  public private(set) var tid: Int32 = 0
  public private(set) var directory = ""
  public private(set) var records: [Record] = []
  private var stdinWrite: Int32
  private var stopped = false

  /// Starts `executable __specimen ARGUMENTS…` (`--hostile` adds files with hostile names).
  public init(executable: String = "/proc/self/exe", arguments: [String] = []) throws {
    var toChild: [Int32] = [0, 0]
    var fromChild: [Int32] = [0, 0]
    // Close-on-exec from the start: tests spawn processes in parallel, and a pipe end that
    // leaked into another test's child would keep this one waiting. dup2 in the child clears
    // the flag on 0 and 1.
    guard vmp_pipe_cloexec(&toChild) == 0, vmp_pipe_cloexec(&fromChild) == 0 else {
      throw SpecimenError("pipe: errno \(errno)")
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
    posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
    posix_spawnattr_setpgroup(&attributes, 0)
    let path = executable
    var child: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] =
      [strdup(path), strdup("__specimen")] + arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let rc = posix_spawn(&child, path, &actions, &attributes, argv, environ)
    close(toChild[0])
    close(fromChild[1])
    guard rc == 0 else {
      close(toChild[1])
      close(fromChild[0])
      throw SpecimenError("posix_spawn \(path): errno \(rc) (is it built? swift build)")
    }
    pid = child
    stdinWrite = toChild[1]
    defer { close(fromChild[0]) }
    do {
      try readReport(fromChild[0])
    } catch {
      stop()
      throw error
    }
  }

  deinit { stop() }

  private func readReport(_ fd: Int32) throws {
    var pending: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let deadline = time(nil) + 20
    while time(nil) < deadline {
      var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      guard poll(&p, 1, 1000) >= 0 || errno == EINTR else { break }
      if p.revents == 0 { continue }
      let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { throw SpecimenError("the specimen exited before READY") }
      pending += buffer[0..<n]
      while let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
        let line = String(decoding: pending[..<nl], as: UTF8.self)
        pending.removeSubrange(...nl)
        if line == "READY" { return }
        try parse(line)
      }
    }
    throw SpecimenError("no READY within 20 s")
  }

  private func parse(_ line: String) throws {
    let words = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: false)
    switch words.first {
    case "TID": tid = Int32(words[1]) ?? 0
    case "TMPDIR": directory = String(line.dropFirst(7))
    case "REGION":
      guard words.count >= 5, let kind = RegionKind(rawValue: String(words[1])),
        let address = UInt64(words[2].dropFirst(2), radix: 16), let size = UInt64(words[3])
      else { throw SpecimenError("bad line: \(line)") }
      records.append(
        Record(
          kind: kind, address: address, size: size, tag: String(words[4]),
          note: words.count > 5 ? String(words[5]) : ""))
    default: break
    }
  }

  /// The first record with `tag`.
  public func record(_ tag: String) throws -> Record {
    guard let r = records.first(where: { $0.tag == tag }) else {
      throw SpecimenError("the specimen printed no REGION with tag \(tag)")
    }
    return r
  }

  /// Ends the specimen: end of file on its stdin (it removes its files and exits), SIGKILL to
  /// its process group after two seconds; then reaps it. Safe to call twice.
  public func stop() {
    guard !stopped else { return }
    stopped = true
    close(stdinWrite)
    var status: Int32 = 0
    for _ in 0..<200 {
      let r = waitpid(pid, &status, WNOHANG)
      if r == pid || (r < 0 && errno != EINTR) { return }
      usleep(10_000)
    }
    kill(-pid, SIGKILL)
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
  }
}

public struct SpecimenError: Error, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

extension SpecimenProcess {
  /// How many files (and memfds) `__specimen --hostile` names with hostile names.
  public static var hostileNameCount: Int { RegionMaker.hostileNames.count }
}
