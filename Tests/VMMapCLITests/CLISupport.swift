import Foundation
import Testing

/// The repository root (this file is Tests/VMMapCLITests/CLISupport.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().path

/// The vmmap binary that `swift build` made for this test run.
let vmmapBinary: String = {
  for config in ["debug", "release"] {
    let path = repositoryRoot + "/.build/\(config)/vmmap"
    if FileManager.default.isExecutableFile(atPath: path) { return path }
  }
  return repositoryRoot + "/.build/debug/vmmap"
}()

struct RunResult {
  var status: Int32
  var stdout: Data
  var stderr: String
  var text: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs a program to completion; `user` runs it as that user through setpriv (root only).
func run(_ executable: String, _ arguments: [String], user: UInt32? = nil) throws -> RunResult {
  let process = Process()
  if let user {
    process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
    process.arguments =
      ["--reuid=\(user)", "--regid=\(user)", "--clear-groups", "--inh-caps=-all", "--", executable]
      + arguments
  } else {
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
  }
  var environment = ProcessInfo.processInfo.environment
  environment["NO_COLOR"] = "1"
  process.environment = environment
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  process.standardInput = FileHandle.nullDevice
  try process.run()
  // Drain both pipes while the process runs, so a large output cannot block it.
  nonisolated(unsafe) var errData = Data()
  let errThread = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
  errThread.start()
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  while errThread.isExecuting || !errThread.isFinished { usleep(1000) }
  return RunResult(
    status: process.terminationStatus, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
}

func vmmap(_ arguments: String..., user: UInt32? = nil) throws -> RunResult {
  try run(vmmapBinary, arguments, user: user)
}

/// A child process that sleeps until killed, for reading a live, idle map.
final class Sleeper {
  let process = Process()
  var pid: Int32 { process.processIdentifier }

  init(seconds: Int = 60) throws {
    process.executableURL = URL(fileURLWithPath: "/bin/sleep")
    process.arguments = [String(seconds)]
    try process.run()
    // Wait until the exec is done (comm is "sleep"), so the map is sleep's, not the test's.
    for _ in 0..<200 {
      if let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
        comm.hasPrefix("sleep")
      {
        usleep(20_000)
        return
      }
      usleep(5000)
    }
  }

  deinit {
    process.terminate()
    process.waitUntilExit()
  }
}

/// The `Name: N kB` fields of a smaps-style file, summed per name (independent, naive parse).
func naiveFieldSums(_ path: String) throws -> [String: UInt64] {
  let text = try String(contentsOfFile: path, encoding: .utf8)
  var sums: [String: UInt64] = [:]
  for line in text.split(separator: "\n") {
    let parts = line.split(separator: " ", omittingEmptySubsequences: true)
    guard parts.count == 3, parts[2] == "kB", parts[0].hasSuffix(":"), let v = UInt64(parts[1]) else {
      continue
    }
    sums[String(parts[0].dropLast()), default: 0] += v * 1024
  }
  return sums
}

func jsonObject(_ data: Data) throws -> [String: Any] {
  try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}
