import Glibc

/// The processes that exist now, as /proc lists them.
public enum RunningProcesses {
  /// The PIDs of the numeric entries of /proc (thread-group leaders; threads live under
  /// `/proc/PID/task`), in ascending order.
  ///
  /// Shell completion of `--map` and `--pid` uses it. The list is a snapshot: a process may
  /// exit, and a new one start, as soon as it is read. An unreadable /proc gives an empty list.
  public static func pids(procRoot: String = "/proc") -> [Int32] {
    guard let dir = opendir(procRoot) else { return [] }
    defer { closedir(dir) }
    var pids: [Int32] = []
    while let entry = readdir(dir) {
      let pid = withUnsafeBytes(of: &entry.pointee.d_name) { raw -> Int32? in
        let name = raw.prefix { $0 != 0 }
        guard !name.isEmpty, name.count <= 10, name.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else { return nil }
        let value = name.reduce(Int64(0)) { $0 * 10 + Int64($1 - 0x30) }
        return value > 0 && value <= Int64(Int32.max) ? Int32(value) : nil
      }
      if let pid { pids.append(pid) }
    }
    return pids.sorted()
  }

  /// The PIDs whose decimal form starts with `prefix`, as strings (a completion's candidates).
  public static func pidStrings(withPrefix prefix: String, procRoot: String = "/proc") -> [String] {
    pids(procRoot: procRoot).map(String.init).filter { $0.hasPrefix(prefix) }
  }
}
