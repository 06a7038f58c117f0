import VMExperiments
import Foundation
import Glibc
import Testing
import VMMapTestSupport

@testable import VMMapCore

/// OPT-IN MEASUREMENT, not a timed test: runs only with `VMMAP_PERF=1` and asserts nothing
/// about time (performance targets live in `bench/`). It prints how long classification alone
/// takes on the map of `bench/specimen.c maps N` (N = `VMMAP_PERF_N`, default 60000), whole
/// and rule by rule. Measure a release build:
///
///     swift build -c release --build-tests
///     VMMAP_PERF=1 swift test -c release --skip-build --disable-xctest --filter ClassifierPerf
///
/// `VMMAP_PERF_PID=PID` measures an already running process instead of starting the specimen.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["VMMAP_PERF"] == "1"))
struct ClassifierPerfTests {
  static let rounds = 15

  @Test func classifySpecimenMap() throws {
    let environment = ProcessInfo.processInfo.environment
    var specimen: Process?
    defer {
      if let specimen {
        kill(specimen.processIdentifier, SIGKILL)
        specimen.waitUntilExit()
      }
    }
    let pid: Int32
    if let text = environment["VMMAP_PERF_PID"], let given = Int32(text) {
      pid = given
    } else {
      let started = try Self.startSpecimen(count: Int(environment["VMMAP_PERF_N"] ?? "") ?? 60000)
      specimen = started
      pid = started.processIdentifier
    }
    let template = try readMemoryMap(pid: pid, counters: true)
    let elf = LiveELFProvider(pid: pid)
    _ = elf.executableIdentity

    // Each round classifies its own copy of the regions, made before the clock starts.
    func freshMap() -> MemoryMap {
      var map = template
      map.regions = template.regions.map { $0 }
      return map
    }
    var whole: [Duration] = []
    var steps: [String: [Duration]] = [:]
    let clock = ContinuousClock()
    var checksum = 0
    for _ in 0..<Self.rounds {
      var map = freshMap()
      whole.append(clock.measure { Classifier.classify(&map, elf: elf) })
      checksum &+= map.regions.count

      var pass = ClassificationPass(map: freshMap(), elf: elf)
      steps["labelByName", default: []].append(clock.measure { pass.labelByName() })
      steps["labelELFObjects", default: []].append(clock.measure { pass.labelELFObjects() })
      steps["labelThreadStacks", default: []].append(clock.measure { pass.labelThreadStacks() })
      steps["labelMallocArenas", default: []].append(clock.measure { pass.labelMallocArenas() })
      steps["labelInferredThreadStacks", default: []].append(
        clock.measure { pass.labelInferredThreadStacks() })
      steps["addNotes", default: []].append(clock.measure { pass.addNotes() })
      checksum &+= pass.map.regions.count
    }
    func ms(_ d: Duration) -> String {
      let c = d.components
      let value = Double(c.seconds) * 1000 + Double(c.attoseconds) / 1e15
      return String(format: "%8.2f ms", value)
    }
    func line(_ name: String, _ samples: [Duration]) -> String {
      let sorted = samples.sorted()
      return "\(name.padding(toLength: 28, withPad: " ", startingAt: 0)) median "
        + "\(ms(sorted[sorted.count / 2]))  min \(ms(sorted[0]))"
    }
    var report = [
      "classification of \(template.regions.count) regions (pid \(pid)), \(Self.rounds) rounds:",
      line("Classifier.classify", whole),
    ]
    for name in [
      "labelByName", "labelELFObjects", "labelThreadStacks", "labelMallocArenas",
      "labelInferredThreadStacks", "addNotes",
    ] {
      report.append(line("  " + name, steps[name] ?? []))
    }
    print(report.joined(separator: "\n"))
    #expect(checksum == 2 * Self.rounds * template.regions.count)
  }

  /// Builds `bench/specimen.c` and starts `specimen maps N`; returns once it printed READY.
  static func startSpecimen(count: Int) throws -> Process {
    var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(4)  // Tests/VMMapCoreTests/Classify/ClassifierPerfTests.swift
    let root = parts.joined(separator: "/")
    let binary = NSTemporaryDirectory() + "vmmap-perf-specimen-\(getpid())"
    defer { unlink(binary) }  // the running process keeps its image
    let cc = Process()
    cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    cc.arguments = ["cc", "-O2", "-o", binary, root + "/bench/specimen.c"]
    try cc.run()
    cc.waitUntilExit()
    guard cc.terminationStatus == 0 else { throw SpecimenError("cc bench/specimen.c failed") }
    let specimen = Process()
    specimen.executableURL = URL(fileURLWithPath: binary)
    specimen.arguments = ["maps", String(count)]
    let output = Pipe()
    specimen.standardOutput = output
    specimen.standardError = FileHandle.nullDevice
    try specimen.run()
    var text = ""
    while !text.contains("READY\n") {
      let chunk = output.fileHandleForReading.availableData
      guard !chunk.isEmpty else {
        kill(specimen.processIdentifier, SIGKILL)
        specimen.waitUntilExit()
        throw SpecimenError("the specimen exited before READY: \(text)")
      }
      text += String(decoding: chunk, as: UTF8.self)
    }
    return specimen
  }
}
