import VMExperiments
import VMMapCore

/// The text form of `--sample`: one row per region in first-touch order, the kinds, and the
/// cross-check of the sampled total against wait4.
public struct SampleTextRenderer {
  public var style: TextStyle

  public init(style: TextStyle) { self.style = style }

  public func render(_ r: SampleReport) -> String {
    var lines: [String] = []
    let label = 14
    func add(_ key: String, _ value: String) {
      lines.append(padRight(key, label) + value)
    }
    let command = TerminalEscape.escape(r.command.joined(separator: " "))
    lines.append(style.bold("=== PAGE FAULTS BY REGION: \(command) ==="))
    add("Program:", "\(TerminalEscape.escape(r.executable)), PID \(r.pid) (run directly: no shell)")
    if let code = r.exit.code {
      add("Exit:", "exited with status \(code)")
    } else if let signal = r.exit.signal {
      add(
        "Exit:",
        "killed by \(r.exit.signalName ?? "signal \(signal)") (\(signal)); vmmap exits \(r.exit.status)"
      )
    }
    add(
      "Sampled:",
      "perf_event_open \(r.event.name), period \(r.event.period) (every fault: data address, IP, TID,"
    )
    add(
      "",
      "time), \(r.event.cpus) CPU\(r.event.cpus == 1 ? "" : "s"), enabled at \(r.event.enabledAt)")
    if r.event.kernelExcluded {
      add("", style.yellow("user-mode faults only (exclude_kernel: perf_event_paranoid 2)"))
    }
    lines.append("")
    lines.append(contentsOf: table(r))
    lines.append("")
    add("Kinds:", "Instr: fetching the instruction itself; Data: a load or store by its code;")
    add("", "Kernel: the kernel touching its memory for it (a system call filling a buffer).")
    add("", "The event does not say read or write; Major: read from disk first (_MAJ event).")
    let total = r.rusage.minor + r.rusage.major
    var check =
      "wait4: \(thousands(Int(r.rusage.minor))) minor + \(thousands(Int(r.rusage.major))) major"
      + " = \(thousands(Int(total)))"
    if let before = r.beforeEnable, let expected = r.expectedSamples, let d = r.difference {
      add("Cross-check:", check + ";")
      add(
        "",
        "\(thousands(Int(before.minor + before.major))) before the event was enabled "
          + "(/proc/\(r.pid)/stat at the exec stop: fork to exec)")
      let sampled = r.sampledFaults + r.lostSamples
      var verdict = "sampled \(thousands(Int(sampled))) of \(thousands(Int(expected))) expected: "
      verdict += d == 0 ? style.green("agrees") : "differs by \(d > 0 ? "+" : "")\(d)"
      add("", verdict)
      if d != 0 { add("", r.differenceExplained) }
    } else {
      check += "; sampled \(thousands(Int(r.sampledFaults)))"
      add("Cross-check:", check)
      add("", r.differenceExplained)
    }
    add(
      "Lost:",
      r.lostSamples == 0
        ? "none (every sample was read from the ring buffers)"
        : style.yellow("\(thousands(Int(r.lostSamples))) samples dropped: a ring buffer was full"))
    var sources: [String] = []
    if r.mapSources.execMap { sources.append("maps at exec") }
    if r.mapSources.exitMap { sources.append("maps at exit") }
    sources.append("\(r.mapSources.mmapRecords) mmap2 records")
    add("Regions from:", sources.joined(separator: ", "))
    if r.mapSources.laterExecs > 0 {
      add(
        "",
        "it ran \(r.mapSources.laterExecs) more program(s) by exec: faults before the last one are one row"
      )
    }
    add("Time:", "wall \(SizeFormat.fixed(r.wallSeconds, places: 3)) s")
    lines.append(style.bold("=== END ==="))
    return lines.joined(separator: "\n") + "\n"
  }

  func table(_ r: SampleReport) -> [String] {
    let headers = [
      "#", "First ms", "Region", "Perms", "Faults", "Pages", "Major", "Instr", "Data", "Kernel",
      "Name",
    ]
    var rows: [[String]] = []
    for g in r.regions {
      rows.append([
        "\(g.order)", SizeFormat.fixed(g.firstFaultSeconds * 1000, places: 3), Self.range(g),
        g.permissions ?? "",
        thousands(Int(g.faults)), thousands(Int(g.pages)), thousands(Int(g.major)),
        thousands(Int(g.instruction)), thousands(Int(g.data)), thousands(Int(g.kernel)),
        Self.name(g),
      ])
    }
    let sum = { (f: (SampledRegion) -> UInt64) in thousands(Int(r.regions.reduce(0) { $0 + f($1) }))
    }
    rows.append([
      "", "", "total", "", sum(\.faults), sum(\.pages), sum(\.major), sum(\.instruction),
      sum(\.data), sum(\.kernel), "",
    ])
    var widths = headers.map(\.count)
    for row in rows {
      for (i, cell) in row.enumerated() where i < headers.count - 1 {
        widths[i] = max(widths[i], cell.count)
      }
    }
    let leftAligned: Set<Int> = [2, 3, 10]
    func format(_ row: [String]) -> String {
      var out = " "
      for (i, cell) in row.enumerated() {
        out += " "
        if i == row.count - 1 {
          out += cell
        } else {
          out += leftAligned.contains(i) ? padRight(cell, widths[i]) : padLeft(cell, widths[i])
        }
      }
      while out.last == " " { out.removeLast() }
      return out
    }
    return [style.bold(format(headers))] + rows.map(format)
  }

  /// `0x…-0x…`, or what the bucket is.
  static func range(_ g: SampledRegion) -> String {
    switch g.source {
    case .earlierProgram: "an earlier program (before exec)"
    case .childProcess: "child process \(g.childPID ?? 0)"
    case .unmapped: "no mapping"
    case .exitMap, .mmapRecord, .execMap: "\(g.start ?? "")-\(g.end ?? "")"
    }
  }

  /// The name, escaped for a terminal, and where it was found when that is not the final map.
  static func name(_ g: SampledRegion) -> String {
    var name =
      g.name.isEmpty
      ? (g.source.hasRegion ? "[anonymous]" : "")
      : TerminalEscape.escape(g.nameBytes.map { PathBytes($0) } ?? PathBytes(g.name))
    switch g.source {
    case .mmapRecord: name += " (unmapped before exit)"
    case .execMap: name += " (at exec only)"
    default: break
    }
    return name
  }
}
