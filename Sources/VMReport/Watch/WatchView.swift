import VMMapCore

/// `vmmap watch` on the terminal: one line per sample when piped, a redrawn screen on a
/// terminal, and the summary at the end. Names are escaped with `TerminalEscape`.
public enum WatchView {
  /// `12.0s  rss 10.2 MiB (+1.0 MiB)  pss 9.8 MiB  swap 0 B  regions 24 (+1 -0)  faults/s 256  anonymous +1.0 MiB`.
  public static func line(_ s: WatchSample, pid: Int32, previous: WatchSample? = nil) -> String {
    var out = ComparisonFormat.seconds(s.seconds) + "s"
    out += "  rss " + SizeFormat.iec(s.rss)
    if let p = previous {
      out += " (" + ComparisonFormat.delta(Double(s.rss) - Double(p.rss), bytes: true) + ")"
    }
    if let pss = s.pss { out += "  pss " + SizeFormat.iec(pss) }
    out += "  swap " + SizeFormat.iec(s.swap)
    out += "  regions \(s.regions)"
    if !s.added.isEmpty || !s.removed.isEmpty { out += " (+\(s.added.count) -\(s.removed.count))" }
    if let f = s.faultsPerSecond { out += "  faults/s " + ComparisonFormat.number(f.rounded()) }
    if let top = s.changed.first, top.rssDelta != 0 || top.sizeDelta != 0 {
      let d = top.rssDelta != 0 ? top.rssDelta : top.sizeDelta
      out +=
        "  " + TerminalEscape.escape(top.identity) + " "
        + ComparisonFormat.delta(Double(d), bytes: true)
    }
    return out
  }

  /// The live view: the screen cleared, the latest totals, the kinds and the regions that
  /// changed last.
  public static func screen(_ t: Timeline) -> String {
    guard let s = t.samples.last else { return "" }
    let previous = t.samples.count >= 2 ? t.samples[t.samples.count - 2] : nil
    var out = "\u{1b}[H\u{1b}[2J"
    out +=
      "vmmap watch: PID \(t.watch.pid) (\(TerminalEscape.escape(t.watch.name))), every "
      + ComparisonFormat.number(t.watch.interval) + "s, \(t.samples.count) samples; Ctrl-C ends\n\n"
    out += line(s, pid: t.watch.pid, previous: previous) + "\n\n"
    out += "  KIND                 REGIONS        SIZE         RSS   RSS SINCE START\n"
    let first = t.samples.first
    for k in s.byKind {
      let start = first?.byKind.first { $0.kind == k.kind }?.rss ?? 0
      out +=
        "  " + pad(k.kind.rawValue, 20) + lpad("\(k.regions)", 8) + lpad(SizeFormat.iec(k.size), 12)
        + lpad(SizeFormat.iec(k.rss), 12)
        + lpad(ComparisonFormat.delta(Double(k.rss) - Double(start), bytes: true), 18) + "\n"
    }
    if !s.changed.isEmpty {
      out += "\n  CHANGED SINCE THE LAST SAMPLE\n"
      for c in s.changed {
        out +=
          "  " + lpad(ComparisonFormat.delta(Double(c.rssDelta), bytes: true), 12) + " rss "
          + lpad(ComparisonFormat.delta(Double(c.sizeDelta), bytes: true), 12) + " size  "
          + TerminalEscape.escape(c.identity) + "\n"
      }
    }
    for a in s.added { out += "  + " + TerminalEscape.escape(a) + "\n" }
    for r in s.removed { out += "  - " + TerminalEscape.escape(r) + "\n" }
    return out
  }

  public static func summary(_ s: WatchSummary, pid: Int32) -> String {
    var out = "\nwatch of PID \(pid) ended (\(s.ended)) after \(s.samples) samples in "
    out += ComparisonFormat.seconds(s.seconds) + "s"
    if let a = s.firstRSS, let b = s.lastRSS {
      out +=
        ": rss " + SizeFormat.iec(a) + " → " + SizeFormat.iec(b) + " ("
        + ComparisonFormat.delta(Double(b) - Double(a), bytes: true) + ")"
    }
    if let peak = s.peakRSS { out += ", peak " + SizeFormat.iec(peak) }
    out += ", \(s.regionsAdded) regions added, \(s.regionsRemoved) removed, "
    out += ComparisonFormat.number(Double(s.faults)) + " faults\n"
    for g in s.kindGrowth.prefix(5) {
      out +=
        "  " + pad(g.kind.rawValue, 20) + " rss "
        + lpad(ComparisonFormat.delta(Double(g.rssDelta), bytes: true), 12) + "  size "
        + lpad(ComparisonFormat.delta(Double(g.sizeDelta), bytes: true), 12) + "\n"
    }
    if let m = s.endMessage { out += "  (" + TerminalEscape.escape(m) + ")\n" }
    return out
  }

  static func pad(_ s: String, _ n: Int) -> String {
    s.count >= n ? s : s + String(repeating: " ", count: n - s.count)
  }

  static func lpad(_ s: String, _ n: Int) -> String {
    s.count >= n ? s : String(repeating: " ", count: n - s.count) + s
  }
}
