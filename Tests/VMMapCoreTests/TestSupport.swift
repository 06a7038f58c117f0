import Glibc
import Testing

@testable import VMMapCore

/// Helpers shared by the reader tests: fixtures (found via `#filePath`, no Foundation), a
/// naive split-based smaps parser to compare against, and child processes.
enum TestSupport {
  static let fixturesDirectory: String = {
    let file = "\(#filePath)"
    let dir = file[..<(file.lastIndex(of: "/") ?? file.endIndex)]
    return "\(dir)/Fixtures"
  }()

  static func fixturePath(_ name: String) -> String { "\(fixturesDirectory)/\(name)" }

  static func fixture(_ name: String) throws -> [UInt8] {
    try Syscall.readAll(AT_FDCWD, fixturePath(name)).get()
  }

  /// Every fixture file name.
  static func fixtureNames() -> [String] {
    guard let dir = opendir(fixturesDirectory) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let e = readdir(dir) {
      let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name.hasSuffix(".txt") { names.append(name) }
    }
    return names.sorted()
  }

  /// A deliberately simple smaps parser (String.split), independent of the real one:
  /// each entry's header fields and `[kernelName: value as printed]`.
  static func naiveSmaps(_ text: String) -> [(start: UInt64, end: UInt64, fields: [String: UInt64])]
  {
    var out: [(UInt64, UInt64, [String: UInt64])] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
      let words = line.split(separator: " ", omittingEmptySubsequences: true)
      if let first = words.first, first.contains("-"), !first.hasSuffix(":") {
        let parts = first.split(separator: "-")
        out.append((UInt64(parts[0], radix: 16)!, UInt64(parts[1], radix: 16)!, [:]))
      } else if let first = words.first, first.hasSuffix(":"), first != "VmFlags:" {
        let key = String(first.dropLast())
        let value = UInt64(words[1])!
        out[out.count - 1].2[key] = words.count > 2 && words[2] == "kB" ? value * 1024 : value
      }
    }
    return out.map { (start: $0.0, end: $0.1, fields: $0.2) }
  }

  /// Starts `argv[0]` with `argv`, stdout to a pipe when `pipeStdout`; returns pid and read end.
  static func spawn(_ argv: [String], pipeStdout: Bool = false) throws -> (pid: pid_t, stdout: CInt)
  {
    var fds: [CInt] = [-1, -1]
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if pipeStdout {
      #expect(pipe(&fds) == 0)
      _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
      _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
      posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    }
    var pid: pid_t = 0
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) } }
    let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
    if pipeStdout { close(fds[1]) }
    try #require(rc == 0, "posix_spawn \(argv[0]) failed: \(rc)")
    return (pid, fds[0])
  }

  /// Reads lines from `fd` until one equals `marker`; returns everything read.
  static func readUntil(_ fd: CInt, marker: String) -> String {
    var text = ""
    var byte: UInt8 = 0
    while read(fd, &byte, 1) == 1 {
      text.unicodeScalars.append(Unicode.Scalar(byte))
      if text.hasSuffix(marker + "\n") { break }
    }
    return text
  }

  static func killAndReap(_ pid: pid_t) {
    kill(pid, SIGKILL)
    var status: CInt = 0
    waitpid(pid, &status, 0)
  }

  /// Waits until `/proc/PID/stat` shows `state` (up to 5 s).
  static func waitForState(_ pid: pid_t, _ state: UInt8) -> Bool {
    for _ in 0..<500 {
      if let b = try? Syscall.readAll(AT_FDCWD, "/proc/\(pid)/stat").get(),
        let s = try? StatParser.parse(b, source: "stat"), s.state == state
      {
        return true
      }
      usleep(10_000)
    }
    return false
  }

  /// The specimen from the shared bench, compiled once into a temporary directory.
  static let specimenPath: String? = {
    let source = "/work/shared/bench/specimen.c"
    guard access(source, R_OK) == 0 else { return nil }
    var template = Array("/tmp/vmmap-specimen-XXXXXX".utf8CString)
    guard let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
      return nil
    }
    let binary = String(cString: dir) + "/specimen"
    guard let (pid, _) = try? spawn(["/usr/bin/cc", "-O2", "-o", binary, source]) else {
      return nil
    }
    var status: CInt = 0
    waitpid(pid, &status, 0)
    return status == 0 ? binary : nil
  }()
}

/// Feeds `bytes` to a fresh parser in chunks cut at `cuts` (sorted offsets).
func feedInChunks<P>(
  _ bytes: [UInt8], cuts: [Int], parser: inout P,
  feed: (inout P, UnsafeRawBufferPointer) throws(VMMapError) -> Void
) throws(VMMapError) {
  var last = 0
  let result = bytes.withUnsafeBytes { (raw) -> VMMapError? in
    do throws(VMMapError) {
      for cut in cuts + [bytes.count] where cut >= last {
        try feed(&parser, UnsafeRawBufferPointer(rebasing: raw[last..<cut]))
        last = cut
      }
      return nil
    } catch { return error }
  }
  if let result { throw result }
}
