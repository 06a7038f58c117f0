import Foundation
import Glibc
import Testing
import VMExperiments
import VMMapTestSupport

/// `vmmap --fault TYPE`: each fault is made for real in a child and reported.
@Suite struct FaultTests {
  struct Expected {
    var signal: String
    var code: String
  }

  static let expected: [String: Expected] = [
    "null": Expected(signal: "SIGSEGV", code: "SEGV_MAPERR"),
    "write-readonly": Expected(signal: "SIGSEGV", code: "SEGV_ACCERR"),
    "execute-data": Expected(signal: "SIGSEGV", code: "SEGV_ACCERR"),
    // The main thread's stack has no guard mapping: growth stops at RLIMIT_STACK and the next
    // push lands in unmapped space (a pthread stack would give SEGV_ACCERR on its guard).
    "stack-overflow": Expected(signal: "SIGSEGV", code: "SEGV_MAPERR"),
    "write-text": Expected(signal: "SIGSEGV", code: "SEGV_ACCERR"),
    "unmapped": Expected(signal: "SIGSEGV", code: "SEGV_MAPERR"),
    "guard-page": Expected(signal: "SIGSEGV", code: "SEGV_ACCERR"),
    "bus-error": Expected(signal: "SIGBUS", code: "BUS_ADRERR"),
  ]

  static func address(_ value: Any?) -> UInt64? {
    guard let s = value as? String, s.hasPrefix("0x") else { return nil }
    return UInt64(s.dropFirst(2), radix: 16)
  }

  @Test(arguments: FaultType.allCases.map(\.rawValue))
  func faultIsMadeAndExplained(_ type: String) throws {
    let r = try vmmap("--fault", type, "--json")
    #expect(r.status == 0, "\(r.stderr)")
    let j = try jsonObject(r.stdout)
    let want = try #require(Self.expected[type])
    #expect(j["type"] as? String == type)
    #expect(j["caught"] as? Bool == true)
    #expect(j["signal"] as? String == want.signal)
    #expect(j["code"] as? String == want.code)
    #expect((j["why"] as? String)?.isEmpty == false)
    #expect((j["fix"] as? String)?.isEmpty == false)
    let fault = try #require(Self.address(j["faultAddress"]))
    let target = try #require(Self.address(j["target"]))
    let region = j["region"] as? [String: Any]
    let gap = j["gap"] as? [String: Any]
    let perms = region?["permissions"] as? String
    if type != "stack-overflow" {
      #expect(fault == target, "si_addr \(fault) vs target \(target)")
      // What --detail predicts is what happened.
      #expect(j["predicted"] as? String == "\(want.signal) (\(want.code))")
    }
    switch type {
    case "null":
      #expect(fault == 0)
      #expect(region == nil)
      #expect(Self.address(gap?["start"]) == 0)
    case "write-readonly":
      #expect(perms == "r--p")
      #expect(j["cause"] as? String == "Read: YES, Write: NO ← this caused the fault, Execute: NO")
      let page = try #require(j["page"] as? [String: Any])
      #expect(page["present"] as? Bool == true)
    case "execute-data":
      #expect(perms?.hasPrefix("rw-") == true)
      #expect((j["cause"] as? String)?.hasSuffix("Execute: NO ← this caused the fault") == true)
    case "stack-overflow":
      #expect(region == nil)
      let gapEnd = try #require(Self.address(gap?["end"]))
      // Just below the stack's lowest page.
      #expect(fault < gapEnd && gapEnd - fault <= 4096)
      #expect((j["depth"] as? Int ?? 0) > 1000)
    case "write-text":
      #expect(perms == "r-xp")
      #expect(region?["kind"] as? String == "executable")
    case "unmapped":
      #expect(region == nil)
      let start = try #require(Self.address(gap?["start"]))
      let end = try #require(Self.address(gap?["end"]))
      #expect(start <= fault && fault < end && start > 0)
    case "guard-page":
      #expect(perms == "---p")
    case "bus-error":
      #expect(perms == "rw-s")
      #expect(region?["kind"] as? String == "shared-file")
    default:
      Issue.record("no expectations for \(type)")
    }
  }

  @Test func textShowsTheCause() throws {
    let r = try vmmap("--fault", "write-readonly", "--color", "never")
    #expect(r.status == 0, "\(r.stderr)")
    for line in [
      "Signal: SIGSEGV (11)", "Code: SEGV_ACCERR (invalid permissions for mapped object)",
      "Page (before the access): Present: YES", "Write: NO ← this caused the fault",
      "To fix: Use mprotect() to add PROT_WRITE", "=== END DEMO ===",
    ] {
      #expect(r.text.contains(line), "missing \(line)")
    }
  }

  @Test func allRunsEveryType() throws {
    let r = try vmmap("--fault", "all", "--json")
    #expect(r.status == 0, "\(r.stderr)")
    let array = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [[String: Any]])
    #expect(array.map { $0["type"] as? String } == FaultType.allCases.map(\.rawValue))
  }

  @Test func allMatchesTheSchema() throws {
    let out = "/tmp/vmmap-fault-schema-\(getpid()).json"
    defer { unlink(out) }
    let r = try vmmap("--fault", "all", "--json", "-o", out)
    #expect(r.status == 0, "\(r.stderr)")
    let check = try validate(out, schema: "fault.schema.json")
    #expect(check.status == 0, "\(check.stderr)")
    #expect(check.text == "valid\n")
  }

  /// The sandboxed child's rusage, as wait4 gave it, in the JSON and in the text.
  @Test func reportsCarryTheirChildsUsage() throws {
    let r = try vmmap("--fault", "write-readonly", "--json")
    #expect(r.status == 0, "\(r.stderr)")
    let sandbox = try #require(try jsonObject(r.stdout)["sandbox"] as? [String: Any])
    let pid = try #require(sandbox["pid"] as? Int)
    #expect(pid > 0 && pid != Int(getpid()))
    // A re-executed vmmap faults in at least its own runtime: hundreds of pages.
    #expect((sandbox["minorFaults"] as? Int ?? 0) > 100)
    #expect((sandbox["majorFaults"] as? Int ?? -1) >= 0)
    #expect((sandbox["maxRSS"] as? Int ?? 0) > 1 << 20)
    let wall = try #require(sandbox["wallSeconds"] as? Double)
    #expect(wall > 0 && wall < 60)
    let text = try vmmap("--fault", "null")
    #expect(text.status == 0)
    let line = try #require(
      text.text.split(separator: "\n").first { $0.hasPrefix("Sandbox: PID ") })
    #expect(line.contains(" minor faults, ") && line.contains(" major, max RSS "))
    #expect(line.contains(", wall ") && line.hasSuffix(" ms"))
  }

  @Test func unknownTypeListsTheValidOnes() throws {
    let r = try vmmap("--fault", "bogus")
    #expect(r.status == 64)
    #expect(r.stdout.isEmpty)
    for type in FaultType.allCases { #expect(r.stderr.contains(type.rawValue)) }
  }
}

/// The sandbox runner, driven as a library against the built binary's test-only experiments.
@Suite struct SandboxTests {
  @Test func childPastItsTimeoutIsKilledAndReaped() throws {
    let start = ContinuousClock.now
    let run = try Sandbox.run(.testSleep, as: FaultReport.self, executable: vmmapBinary)
    let took = ContinuousClock.now - start
    guard case .timedOut(let after) = run.outcome else {
      Issue.record("expected a timeout, got \(run.outcome)")
      return
    }
    #expect(after == .seconds(1))
    #expect(took < .seconds(5))
    let message = run.outcome.error(experiment: "test-sleep")?.description
    #expect(message == "experiment test-sleep: killed by SIGKILL after 1 s timeout")
    #expect(run.outcome.error(experiment: "x")?.exitCode == 70)
    // Reaped and gone: nothing left behind.
    #expect(kill(run.pid, 0) == -1 && errno == ESRCH)
    // The grandchild was killed with the group. It may stay a zombie until PID 1 reaps it
    // (this container's init does not), but nothing in the group may still run.
    var live = try Self.liveProcesses(inGroup: run.pid)
    for _ in 0..<40 where !live.isEmpty {
      usleep(50_000)
      live = try Self.liveProcesses(inGroup: run.pid)
    }
    #expect(live.isEmpty, "still running in group \(run.pid): \(live)")
  }

  /// PIDs whose process group is `pgid` (field 5 of /proc/PID/stat), zombies left out.
  static func liveProcesses(inGroup pgid: Int32) throws -> [Int32] {
    try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap { name in
      guard let pid = Int32(name),
        let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
      else { return nil }
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      return fields.count > 2 && Int32(fields[2]) == pgid && fields[0] != "Z" ? pid : nil
    }
  }

  @Test func crashIsAnOutcomeNotACrash() throws {
    let run = try Sandbox.run(.testCrash, as: FaultReport.self, executable: vmmapBinary)
    guard case .killedBySignal(let signal, _) = run.outcome else {
      Issue.record("expected a signal, got \(run.outcome)")
      return
    }
    #expect(signal == SIGSEGV)
    let message = run.outcome.error(experiment: "test-crash")?.description ?? ""
    #expect(message.hasPrefix("experiment test-crash: killed by SIGSEGV"))
    #expect(kill(run.pid, 0) == -1 && errno == ESRCH)
  }

  @Test func garbageIsAnInvalidResult() throws {
    let run = try Sandbox.run(.testGarbage, as: FaultReport.self, executable: vmmapBinary)
    guard case .invalidOutput = run.outcome else {
      Issue.record("expected invalid output, got \(run.outcome)")
      return
    }
    let message = run.outcome.error(experiment: "test-garbage")?.description ?? ""
    #expect(message.hasPrefix("experiment test-garbage: wrote an invalid result"))
  }

  /// RLIMIT_CPU stops a child that spins, long before the wall-clock timeout (60 s).
  @Test func spinningChildIsStoppedByItsCPULimit() throws {
    let run = try Sandbox.run(.testSpin, as: FaultReport.self, executable: vmmapBinary)
    guard case .killedBySignal(let signal, _) = run.outcome else {
      Issue.record("expected SIGXCPU or SIGKILL, got \(run.outcome)")
      return
    }
    // SIGXCPU at the soft limit (1 s); SIGKILL at the hard one (2 s) had it survived that.
    #expect(signal == SIGXCPU || signal == SIGKILL)
    let usage = try #require(run.usage)
    // It spun: most of a second of CPU (rusage, scaled from ticks, reads a little under the 1 s
    // the kernel's CPU timer counted; 0.87–0.92 s here).
    #expect(usage.userCPU + usage.systemCPU >= .milliseconds(500))
    #expect(usage.wall < .seconds(60))
    let message = try #require(run.error(experiment: .testSpin)).description
    #expect(message.hasPrefix("experiment test-spin: killed by SIG"))
    #expect(message.contains("CPU time limit of") && message.contains("(RLIMIT_CPU)"))
    #expect(run.error(experiment: .testSpin)?.exitCode == 70)
    #expect(kill(run.pid, 0) == -1 && errno == ESRCH)
  }

  /// PR_SET_PDEATHSIG: a child whose parent is killed outright (SIGKILL, no clean-up) dies too,
  /// even in its own process group, where the runner's group kill cannot reach it.
  @Test func grandchildDiesWithItsKilledParent() throws {
    let run = try Sandbox.run(.testOrphan, as: FaultReport.self, executable: vmmapBinary)
    guard case .killedBySignal(let signal, let stderr) = run.outcome else {
      Issue.record("expected the intermediate to die by SIGKILL, got \(run.outcome)")
      return
    }
    #expect(signal == SIGKILL)
    let words = stderr.split(whereSeparator: { $0 == " " || $0 == "\n" })
    let index = try #require(words.firstIndex(of: "grandchild"), "stderr: \(stderr)")
    let grandchild = try #require(Int32(words[index + 1]))
    #expect(words[index + 2] == "ready")
    #expect(grandchild != run.pid)
    // Left alone it would sleep 30 s; the death signal ends it at once (give a loaded machine
    // 10 s). A zombie counts as gone: its new parent may not reap it.
    var running = Self.isRunning(grandchild)
    for _ in 0..<200 where running {
      usleep(50_000)
      running = Self.isRunning(grandchild)
    }
    #expect(!running, "grandchild \(grandchild) survived its parent")
  }

  /// True while `/proc/PID/stat` exists and does not say zombie or dead.
  static func isRunning(_ pid: Int32) -> Bool {
    guard let stat = try? readProcFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")")
    else { return false }
    let state = stat[stat.index(after: close)...].split(separator: " ").first
    return state != nil && state != "Z" && state != "X"
  }

  @Test func aFaultRunsInTheSandboxWithItsUsage() throws {
    let run = try Sandbox.run(.fault(.null), as: FaultReport.self, executable: vmmapBinary)
    guard case .finished(let report) = run.outcome else {
      Issue.record("expected a report, got \(run.outcome)")
      return
    }
    #expect(report.signal == "SIGSEGV")
    #expect((run.usage?.minorFaults ?? 0) > 0)
  }
}
