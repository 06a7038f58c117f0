/// Whether this machine has any swap area (a line after the header of /proc/swaps).
public func swapIsConfigured() -> Bool? {
  guard let text = try? readSmallFile("/proc/swaps") else { return nil }
  return text.split(separator: "\n").count > 1
}
