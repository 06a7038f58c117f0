import ArgumentParser
import Glibc
import VMMapCore
import VMReport

/// Set by SIGINT while watching: the watch ends with its summary instead of dying.
nonisolated(unsafe) private var watchInterrupted: sig_atomic_t = 0

/// `vmmap watch --pid PID`: the process sampled over time.
struct WatchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "watch",
    abstract: "Sample a process's memory over time: growth per kind and region, faults per second.",
    usage:
      "vmmap watch --pid <pid> [--interval <time>] [--count <n>] [--smaps] [-o <timeline.json>]",
    discussion: """
      Each interval reads maps, each region's RSS and swap from the page tables (PAGEMAP_SCAN), smaps_rollup and stat; --smaps reads the full smaps instead (more expensive). On a terminal the view redraws; piped, one line per sample. The process exiting, --count or Ctrl-C ends the watch with a summary.

      Examples:
        vmmap watch --pid 1234
        vmmap watch --pid 1234 --interval 500ms --count 20 -o growth.json
        vmmap render growth.json --format md -o growth.md     (a timeline SVG of RSS by kind)
      """)

  @Option(help: ArgumentHelp("The process to watch.", valueName: "pid"))
  var pid: String

  @Option(
    help: ArgumentHelp("Time between samples: 1s (default), 500ms, 2.5s, 1m.", valueName: "time"))
  var interval: String = "1s"

  @Option(
    help: ArgumentHelp(
      "Stop after this many samples (default: until the process exits).", valueName: "n"))
  var count: Int?

  @Flag(help: "Read the full smaps every interval (every counter; costs more).")
  var smaps = false

  @Option(
    name: .shortAndLong,
    help: ArgumentHelp(
      "Save the timeline here (JSON, atomically) when the watch ends.", valueName: "path"))
  var output: String?

  func validate() throws {
    if let count, count < 1 { throw ValidationError("--count must be at least 1") }
  }

  func run() throws {
    let pid = try parsePID(self.pid)
    let seconds = try Self.parseInterval(interval)
    let sampler = try WatchSampler(pid: pid, smaps: smaps)
    var timeline = Timeline(watch: sampler.info(interval: seconds))
    let live = isatty(1) == 1
    signal(SIGINT) { _ in watchInterrupted = 1 }
    let start = Self.now()
    var ended = "count reached"
    var message: String?
    var k = 0
    while count.map({ k < $0 }) ?? true {
      if k > 0 {
        // Samples on a fixed grid (start + k × interval), whatever one sample cost.
        let due = start + Double(k) * seconds
        while watchInterrupted == 0, Self.now() < due {
          var ts = timespec(from: min(due - Self.now(), 0.1))
          nanosleep(&ts, nil)
        }
      }
      if watchInterrupted != 0 {
        ended = "interrupted"
        break
      }
      do throws(VMMapError) {
        let sample = try sampler.sample(at: Self.now() - start)
        timeline.samples.append(sample)
        let text =
          live
          ? WatchView.screen(timeline)
          : WatchView.line(sample, pid: pid, previous: timeline.samples.dropLast().last) + "\n"
        try writeStandardOutput(Array(text.utf8))
      } catch {
        switch error.code {
        case .noInput, .exitedDuringRead, .notAUserProcess:
          ended = "process exited"
          message = error.description
        default: throw error
        }
        break
      }
      k += 1
    }
    signal(SIGINT, SIG_DFL)
    timeline.summary = timeline.summarize(ended: ended, message: message)
    if let summary = timeline.summary {
      try writeStandardOutput(Array(WatchView.summary(summary, pid: pid).utf8))
    }
    if let output {
      let bytes = try TimelineFile.encode(timeline)
      if output == "-" {
        try writeStandardOutput(bytes)
      } else {
        try AtomicFile.write(bytes, to: output)
      }
    }
  }

  static func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }

  /// `1s`, `500ms`, `2.5s`, `1m`, or a bare number of seconds; at least 10 ms.
  static func parseInterval(_ text: String) throws(VMMapError) -> Double {
    var number = Substring(text)
    var scale = 1.0
    for (suffix, factor) in [("ms", 0.001), ("s", 1.0), ("m", 60.0)] where text.hasSuffix(suffix) {
      number = number.dropLast(suffix.count)
      scale = factor
      break
    }
    guard let v = Double(number), v.isFinite, v * scale >= 0.01, v * scale <= 86400 else {
      throw VMMapError(
        .usage, what: "--interval '\(text)'", why: "not a time between 10ms and 24h",
        fix: "for example 1s, 500ms or 2.5s")
    }
    return v * scale
  }
}

extension timespec {
  init(from seconds: Double) {
    let s = max(seconds, 0)
    self.init(tv_sec: Int(s), tv_nsec: Int((s - Double(Int(s))) * 1e9))
  }
}
