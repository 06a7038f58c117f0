import Foundation
import Testing
import VMMapCore
import VMMapTestSupport

@Suite struct RunningProcessesTests {
  /// A made-up /proc: only the entries that are whole positive decimal numbers are processes.
  @Test func onlyNumericEntriesArePIDs() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vmmap-proc-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    ).path
    defer { try? FileManager.default.removeItem(atPath: root) }
    for name in ["42", "1", "7001", "self", "thread-self", "0012x", "0", "99999999999", "sys"] {
      try FileManager.default.createDirectory(
        atPath: root + "/" + name, withIntermediateDirectories: true)
    }
    #expect(RunningProcesses.pids(procRoot: root) == [1, 42, 7001])
    #expect(RunningProcesses.pidStrings(withPrefix: "7", procRoot: root) == ["7001"])
    #expect(RunningProcesses.pidStrings(withPrefix: "", procRoot: root) == ["1", "42", "7001"])
    #expect(RunningProcesses.pids(procRoot: root + "/missing").isEmpty)
  }

  /// The live list holds this process and a child, in ascending order, and loses the child
  /// once it is reaped.
  @Test func liveListFollowsProcesses() throws {
    var sleeper: Sleeper? = try Sleeper()
    let pid = try #require(sleeper?.pid)
    let pids = RunningProcesses.pids()
    #expect(pids.contains(getpid()))
    #expect(pids.contains(pid))
    #expect(pids == pids.sorted())
    #expect(RunningProcesses.pidStrings(withPrefix: String(pid)).contains(String(pid)))
    // Every PID listed had a /proc/PID/stat (checked now: processes come and go meanwhile,
    // so only those still present must have one).
    for p in pids.prefix(50) {
      let stat = "/proc/\(p)/stat"
      if FileManager.default.fileExists(atPath: "/proc/\(p)") {
        #expect(FileManager.default.fileExists(atPath: stat))
      }
    }
    sleeper = nil  // SIGKILL and reap
    #expect(!RunningProcesses.pids().contains(pid))
  }
}
