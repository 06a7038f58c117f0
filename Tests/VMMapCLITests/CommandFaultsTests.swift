import Foundation
import Glibc
import Testing
import VMMapTestSupport

/// `vmmap --faults CMD`, through the built binary: the command's status and output pass
/// through, and every number agrees with an independent source (perf stat, /proc/PID/stat).
@Suite struct CommandFaultsTests {
  static let mib: UInt64 = 1 << 20

  /// The report vmmap wrote to stderr with `--json` (the command's own stderr is empty in
  /// these tests).
  static func report(_ r: RunResult) throws -> [String: Any] {
    try jsonObject(Data(r.stderr.utf8))
  }

  static func json(_ r: RunResult, _ path: String...) -> Any? {
    var value: Any? = try? report(r)
    for key in path { value = (value as? [String: Any])?[key] }
    return value
  }

  static func uint(_ value: Any?) -> UInt64? { (value as? NSNumber)?.uint64Value }

  @Test(arguments: [0, 3, 255])
  func exitStatusPassesThrough(_ code: Int32) throws {
    let r = try vmmap("--faults", "/bin/sh", "-c", "exit \(code)")
    #expect(r.status == code)
    #expect(r.stdout.isEmpty)
    #expect(r.stderr.contains("Exit:         exited with status \(code)\n"), "\(r.stderr)")
    #expect(r.stderr.hasSuffix("=== END ===\n"), "no line after the report: \(r.stderr)")
  }

  @Test func killedBySignalIs128PlusN() throws {
    let r = try vmmap("--json", "--faults", "sh", "-c", "kill -TERM $$")
    #expect(r.status == 143)
    let lines = r.stderr.split(separator: "\n")
    #expect(
      lines.last
        == "vmmap: command sh -c 'kill -TERM $$': killed by SIGTERM (exit status 143 = 128 + 15)")
    let report = try jsonObject(Data(lines.dropLast().joined(separator: "\n").utf8))
    let exit = try #require(report["exit"] as? [String: Any])
    #expect(exit["signal"] as? Int == 15)
    #expect(exit["signalName"] as? String == "SIGTERM")
    #expect(exit["status"] as? Int == 143)
    #expect(exit["code"] == nil)
    // The shell sent itself SIGTERM: the tracer saw it and delivered it.
    #expect((report["tracing"] as? [String: Any])?["signalsRelayed"] as? Int == 1)
  }

  @Test func notFoundIs127() throws {
    let r = try vmmap("--faults", "vmmap-no-such-command-\(getpid())", "x")
    #expect(r.status == 127)
    #expect(r.stdout.isEmpty)
    #expect(
      r.stderr
        == "vmmap: command 'vmmap-no-such-command-\(getpid())': not found in PATH (check the "
        + "spelling, or give its path; vmmap runs no shell, so no aliases or builtins)\n")
    let p = try vmmap("--faults", "/nonexistent/dir/cmd")
    #expect(p.status == 127)
    #expect(
      p.stderr == "vmmap: command '/nonexistent/dir/cmd': no such file (check the path)\n")
  }

  @Test func notExecutableIs126() throws {
    let dir = try Programs.directory()
    let plain = dir + "/not-executable.txt"
    try "just text\n".write(toFile: plain, atomically: true, encoding: .utf8)
    chmod(plain, 0o644)
    let a = try vmmap("--faults", plain)
    #expect(a.status == 126)
    #expect(
      a.stderr
        == "vmmap: command '\(plain)': cannot execute it: permission denied (no execute bit) "
        + "(chmod +x it, or run it through its interpreter)\n")

    let b = try vmmap("--faults", dir)
    #expect(b.status == 126)
    #expect(b.stderr.contains("cannot execute it: it is a directory"), "\(b.stderr)")

    // Executable but no #! line: execve fails with ENOEXEC, and vmmap runs no shell.
    let script = dir + "/no-shebang"
    try "exit 0\n".write(toFile: script, atomically: true, encoding: .utf8)
    chmod(script, 0o755)
    let c = try retryingTextFileBusy { try vmmap("--faults", script) }
    #expect(c.status == 126)
    #expect(c.stderr.contains("not a program the kernel can run"), "\(c.stderr)")
    #expect(c.stderr.split(separator: "\n").count == 1)
  }

  @Test func bareFaultsIsAUsageError() throws {
    for args in [["--faults"], ["--faults", "--"], ["--self", "--faults", "true"]] {
      let r = try run(vmmapBinary, args)
      #expect(r.status == 64, "\(args)")
      #expect(r.stderr.hasPrefix("vmmap: usage: "), "\(args): \(r.stderr)")
    }
    let r = try vmmap("--no-ptrace", "--self")
    #expect(r.status == 64)
  }

  /// `/bin/true` touches nothing: its own peak is about a MiB, not vmmap's (which ru_maxrss
  /// reports, since the kernel carries the starter's peak across exec).
  @Test func maxRSSOfTrueIsItsOwn() throws {
    let r = try vmmap("--json", "--faults", "/bin/true")
    #expect(r.status == 0, "\(r.stderr)")
    let maxRSS = try #require(Self.json(r, "maxRSS") as? [String: Any])
    #expect(maxRSS["source"] as? String == "VmHWM")
    #expect(maxRSS["isUpperBound"] as? Bool == false)
    let bytes = try #require(Self.uint(maxRSS["bytes"]))
    #expect(bytes > 256 << 10 && bytes < 4 * Self.mib, "\(bytes)")
  }

  /// A command touching 64 MiB: minor faults within 2 % of perf's count for the same command,
  /// and exactly what /proc/PID/stat held at the exit stop.
  @Test func minorFaultsAgreeWithPerf() throws {
    let touch = try Programs.touch()
    let perf = try run(
      "/usr/bin/perf", ["stat", "-x", ",", "-e", "minor-faults", "--", touch, "64"])
    #expect(perf.status == 0, "\(perf.stderr)")
    let perfLine = try #require(
      perf.stderr.split(separator: "\n").first { $0.contains("minor-faults") })
    let perfCount = try #require(UInt64(perfLine.split(separator: ",").first ?? ""))
    #expect(perfCount >= 16_384, "\(perf.stderr)")

    let r = try vmmap("--json", "--faults", touch, "64")
    #expect(r.status == 0, "\(r.stderr)")
    let minor = try #require(Self.uint(Self.json(r, "minorFaults")))
    let ratio = Double(minor) / Double(perfCount)
    #expect(abs(ratio - 1) <= 0.02, "vmmap \(minor) vs perf \(perfCount)")
    #expect(minor >= 16_384)
    // The cross-check: the kernel's per-process counters at the exit stop.
    let stat = try #require(Self.json(r, "procStatAtExit") as? [String: Any])
    #expect(Self.uint(stat["minor"]) == minor)
    let before = try #require(Self.uint(Self.json(r, "beforeExec", "minor")))
    #expect(before > 0 && before < 200, "faults before exec: \(before)")
    // What perf counts starts at exec: the rest differs by the few dozen of start-up only.
    let afterExec = Double(minor - before)
    #expect(
      abs(afterExec / Double(perfCount) - 1) <= 0.01, "after exec \(afterExec) vs \(perfCount)")
    let hwm = try #require(Self.uint(Self.json(r, "maxRSS", "bytes")))
    #expect(hwm >= 64 * Self.mib && hwm < 72 * Self.mib, "\(hwm)")
  }

  /// `env CMD` execs CMD: the exec after vmmap's own is counted, and the peak is CMD's.
  @Test func commandThatExecsAgain() throws {
    let r = try vmmap("--json", "--faults", "env", try Programs.touch(), "16")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(Self.json(r, "tracing", "laterExecs") as? Int == 1)
    let hwm = try #require(Self.uint(Self.json(r, "maxRSS", "bytes")))
    #expect(hwm >= 16 * Self.mib && hwm < 24 * Self.mib, "\(hwm)")
    let text = try vmmap("--faults", "env", try Programs.touch(), "1")
    #expect(text.stderr.contains("it ran 1 more program by exec: this is the last one's peak"))
  }

  @Test func jsonValidatesAgainstTheSchema() throws {
    let touch = try Programs.touch()
    let dir = try Programs.directory()
    let runs: [(String, [String], Int32)] = [
      ("traced", ["--faults", touch, "1"], 0),
      ("untraced", ["--no-ptrace", "--faults", touch, "1"], 0),
      ("signal", ["--faults", "sh", "-c", "kill -SEGV $$"], 139),
    ]
    for (name, args, status) in runs {
      let out = dir + "/faults-\(name).json"
      let r = try run(vmmapBinary, ["--json", "-o", out] + args)
      #expect(r.status == status, "\(name): \(r.stderr)")
      let check = try run(
        "/usr/bin/env",
        [
          "python3", "-c",
          """
          import json, sys, jsonschema
          schema = json.load(open(sys.argv[2]))
          jsonschema.Draft202012Validator.check_schema(schema)
          jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[1])))
          print("valid")
          """,
          out, repositoryRoot + "/docs/schema/faults.schema.json",
        ])
      #expect(check.status == 0, "\(name): \(check.stderr)")
      #expect(check.text == "valid\n", "\(name)")
    }
  }

  @Test func untracedFallsBackToAnUpperBound() throws {
    let r = try vmmap("--json", "--no-ptrace", "--faults", "/bin/true")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(Self.json(r, "tracing", "method") as? String == "rusage")
    #expect(Self.json(r, "maxRSS", "source") as? String == "ru_maxrss")
    #expect(Self.json(r, "maxRSS", "isUpperBound") as? Bool == true)
    #expect(Self.json(r, "procStatAtExit") == nil)
    #expect((Self.uint(Self.json(r, "minorFaults")) ?? 0) > 0)
    let text = try vmmap("--no-ptrace", "--faults", "/bin/true")
    #expect(text.stderr.contains("Max RSS:      at most "), "\(text.stderr)")
  }

  @Test func stdoutPassesThroughByteExact() throws {
    let dir = try Programs.directory()
    let file = dir + "/bytes.bin"
    var bytes = [UInt8]()
    for i in 0..<(300 << 10) { bytes.append(UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13)) }
    bytes += Array(0...255)
    try Data(bytes).write(to: URL(fileURLWithPath: file))
    let r = try vmmap("--faults", "cat", file)
    #expect(r.status == 0)
    #expect(r.stdout == Data(bytes))
    #expect(r.stderr.hasPrefix("=== PAGE FAULTS: cat \(file) ===\n"), "\(r.stderr)")

    // vmmap's flags go before --faults; after it (and one --) everything is the command's.
    let e = try vmmap("--json", "--faults", "--", "/bin/echo", "--json", "-o", "x")
    #expect(e.status == 0)
    #expect(e.text == "--json -o x\n")
    #expect(Self.json(e, "command") as? [String] == ["/bin/echo", "--json", "-o", "x"])
  }

  /// Threads: each is traced (PTRACE_O_TRACECLONE) so the peak is read when the last one
  /// exits, even when the main thread leaves first (pthread_exit) and the others go on
  /// touching memory.
  @Test(arguments: [["4"], ["2", "leader-exits-first"]])
  func multithreadedCommand(_ args: [String]) throws {
    let mt = try Programs.threads()
    let r = try run(vmmapBinary, ["--json", "--faults", mt] + args)
    #expect(r.status == 0, "\(r.stderr)")
    let threads = try #require(Int(args[0]))
    #expect(Self.json(r, "tracing", "threadsStarted") as? Int == threads)
    let minor = try #require(Self.uint(Self.json(r, "minorFaults")))
    #expect(minor >= 16_384, "\(minor)")
    #expect(Self.uint(Self.json(r, "procStatAtExit", "minor")) == minor)
    let hwm = try #require(Self.uint(Self.json(r, "maxRSS", "bytes")))
    #expect(Self.json(r, "maxRSS", "source") as? String == "VmHWM")
    #expect(hwm >= 64 * Self.mib && hwm < 80 * Self.mib, "\(hwm)")
  }
}

/// Signals while the command runs: vmmap ignores SIGINT (the terminal sends it to the
/// command), forwards SIGTERM, and leaves a stopped command stopped until SIGCONT.
@Suite(.serialized) struct CommandFaultsSignalTests {
  /// Field 3 of /proc/PID/stat.
  static func state(_ pid: Int32) -> Character? {
    guard let stat = try? readProcFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")")
    else { return nil }
    return stat[stat.index(after: close)...].dropFirst().first
  }

  static func waitFor(_ what: () -> Bool) -> Bool {
    for _ in 0..<400 {
      if what() { return true }
      usleep(25_000)
    }
    return false
  }

  @Test func signalsReachTheCommand() throws {
    // A duration no other test uses, to find this sleep among the processes.
    let duration = "41.\(getpid() % 1000)"
    nonisolated(unsafe) var problems: [String] = []
    let me = getpid()
    let driver = Thread {
      var vmmapPID: Int32 = 0
      var sleepPID: Int32 = 0
      let found = Self.waitFor {
        guard let s = Self.findSleep(duration) else {
          return false
        }
        sleepPID = s.sleep
        vmmapPID = s.parent
        return true
      }
      guard found, Self.parent(of: vmmapPID) == me else {
        problems.append("the command never started under vmmap")
        return
      }
      // While it waits, vmmap ignores SIGINT and SIGQUIT and catches SIGTERM and SIGHUP.
      let ignored = Self.signalMask(vmmapPID, "SigIgn")
      let caught = Self.signalMask(vmmapPID, "SigCgt")
      for (mask, signal, name) in [
        (ignored, SIGINT, "SigIgn SIGINT"), (ignored, SIGQUIT, "SigIgn SIGQUIT"),
        (caught, SIGTERM, "SigCgt SIGTERM"), (caught, SIGHUP, "SigCgt SIGHUP"),
      ] where mask & (1 << UInt64(signal - 1)) == 0 {
        problems.append("\(name) not set")
      }
      // SIGINT to vmmap alone: ignored while it waits; both keep running.
      kill(vmmapPID, SIGINT)
      usleep(200_000)
      if kill(vmmapPID, 0) != 0 || Self.state(vmmapPID) == "Z" {
        problems.append("SIGINT ended vmmap")
      }
      if Self.state(sleepPID) != "S" {
        problems.append("after SIGINT: \(String(describing: Self.state(sleepPID)))")
      }
      // SIGSTOP stops the command (a group-stop kept with PTRACE_LISTEN), SIGCONT resumes it.
      kill(sleepPID, SIGSTOP)
      if !Self.waitFor({ ["t", "T"].contains(Self.state(sleepPID)) }) {
        problems.append("SIGSTOP did not stop it: \(String(describing: Self.state(sleepPID)))")
      }
      kill(sleepPID, SIGCONT)
      if !Self.waitFor({ Self.state(sleepPID) == "S" }) {
        problems.append("SIGCONT did not resume it: \(String(describing: Self.state(sleepPID)))")
      }
      // SIGTERM to vmmap is passed on.
      kill(vmmapPID, SIGTERM)
    }
    driver.start()
    let r = try vmmap("--json", "--faults", "sleep", duration)
    while !driver.isFinished { usleep(10_000) }
    #expect(problems.isEmpty, "\(problems)")
    #expect(r.status == 143, "\(r.stderr)")
    let lines = r.stderr.split(separator: "\n")
    #expect(
      lines.last
        == "vmmap: command sleep \(duration): killed by SIGTERM (exit status 143 = 128 + 15)")
    let report = try jsonObject(Data(lines.dropLast().joined(separator: "\n").utf8))
    let tracing = try #require(report["tracing"] as? [String: Any])
    // SIGSTOP, SIGCONT and SIGTERM were delivered through the tracer (SIGINT never reached
    // the command: it went to vmmap alone, which ignored it).
    #expect(tracing["signalsRelayed"] as? Int == 3, "\(tracing)")
    #expect((report["maxRSS"] as? [String: Any])?["source"] as? String == "VmHWM")
  }

  /// A signal mask line of /proc/PID/status (`SigIgn`, `SigCgt`), or 0.
  static func signalMask(_ pid: Int32, _ key: String) -> UInt64 {
    guard let status = try? readProcFile("/proc/\(pid)/status"),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") })
    else { return 0 }
    return UInt64(line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces), radix: 16)
      ?? 0
  }

  /// The `sleep DURATION` process and its parent.
  static func findSleep(_ duration: String) -> (sleep: Int32, parent: Int32)? {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for name in entries {
      guard let pid = Int32(name),
        let cmdline = try? readProcFile("/proc/\(name)/cmdline"),
        cmdline.split(separator: "\0").map(String.init) == ["sleep", duration],
        let parent = parent(of: pid)
      else { continue }
      return (pid, parent)
    }
    return nil
  }

  /// Field 4 of /proc/PID/stat.
  static func parent(of pid: Int32) -> Int32? {
    guard let stat = try? readProcFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")")
    else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    return fields.count > 1 ? Int32(fields[1]) : nil
  }
}

/// Small C programs the tests run as commands, built once per test run.
enum Programs {
  static let dir: Result<String, any Error> = Result {
    let dir = NSTemporaryDirectory() + "vmmap-faults-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  static func directory() throws -> String { try dir.get() }

  /// `touch MIB`: writes one byte in each 4 KiB page of MIB MiB of fresh anonymous memory
  /// (no huge pages), so every page is one minor fault.
  static func touch() throws -> String { try touchProgram.get() }
  static let touchProgram: Result<String, any Error> = Result {
    try build(
      "touch",
      """
      #include <stdlib.h>
      #include <sys/mman.h>
      int main(int argc, char **argv) {
        size_t n = (size_t)(argc > 1 ? atoi(argv[1]) : 64) << 20;
        volatile char *p = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return 1;
        madvise((void *)p, n, MADV_NOHUGEPAGE);
        for (size_t i = 0; i < n; i += 4096) p[i] = 1;
        return 0;
      }
      """)
  }

  /// `threads N [leader-exits-first]`: N threads touch 64 MiB between them; with a second
  /// argument the main thread leaves first (pthread_exit) and the threads start a little later.
  static func threads() throws -> String { try threadsProgram.get() }
  static let threadsProgram: Result<String, any Error> = Result {
    try build(
      "threads",
      """
      #include <pthread.h>
      #include <stdlib.h>
      #include <sys/mman.h>
      #include <unistd.h>
      static size_t each;
      static int leader_exits;
      static void *work(void *arg) {
        (void)arg;
        if (leader_exits) usleep(200000);
        volatile char *p = mmap(0, each, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) exit(1);
        madvise((void *)p, each, MADV_NOHUGEPAGE);
        for (size_t i = 0; i < each; i += 4096) p[i] = 1;
        return 0;
      }
      int main(int argc, char **argv) {
        int n = argc > 1 ? atoi(argv[1]) : 4;
        leader_exits = argc > 2;
        each = ((size_t)64 << 20) / (size_t)n;
        pthread_t t[64];
        for (int i = 0; i < n; i++) pthread_create(&t[i], 0, work, 0);
        if (leader_exits) pthread_exit(0);
        for (int i = 0; i < n; i++) pthread_join(t[i], 0);
        return 0;
      }
      """)
  }

  static func build(_ name: String, _ source: String) throws -> String {
    let dir = try directory()
    try source.write(toFile: "\(dir)/\(name).c", atomically: true, encoding: .utf8)
    let binary = "\(dir)/\(name)"
    let cc = try run("/usr/bin/cc", ["-O2", "-pthread", "-o", binary, "\(dir)/\(name).c"])
    guard cc.status == 0 else { throw CocoaError(.executableLoad, userInfo: ["cc": cc.stderr]) }
    return binary
  }
}
