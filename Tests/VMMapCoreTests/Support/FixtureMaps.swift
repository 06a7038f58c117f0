import Foundation
import VMMapCore

/// TEST SUPPORT ONLY: builds regions from hand-written maps/smaps fixtures for the classifier
/// tests. Forgiving on purpose (fixtures give only the fields a rule needs, which the real,
/// strict parser would reject); live maps in tests come from the real reader.
enum FixtureMaps {
  /// Parses maps or smaps text: header lines become regions, `Key: N kB` lines and `VmFlags`
  /// fill the counters of the region before them.
  static func parse(_ text: String) -> [Region] {
    var regions: [Region] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
      if let region = mapsLine(line) {
        regions.append(region)
        continue
      }
      guard !regions.isEmpty, let colon = line.firstIndex(of: ":") else { continue }
      let key = line[..<colon]
      let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      var counters = regions[regions.count - 1].counters ?? SmapsCounters()
      if key == "VmFlags" {
        counters.vmFlags = VMFlags(line: Array(value.utf8))
      } else if let field = SmapsField(kernelName: Array(key.utf8)) {
        let number = UInt64(value.split(separator: " ").first ?? "") ?? 0
        counters[field] = value.hasSuffix("kB") ? number * 1024 : number
      }
      regions[regions.count - 1].counters = counters
    }
    return regions
  }

  /// `start-end perms offset major:minor inode   name`.
  static func mapsLine(_ line: Substring) -> Region? {
    var rest = line[...]
    func word() -> Substring? {
      rest = rest.drop { $0 == " " }
      guard let end = rest.firstIndex(of: " ") else {
        defer { rest = rest[rest.endIndex...] }
        return rest.isEmpty ? nil : rest
      }
      defer { rest = rest[end...] }
      return rest[..<end]
    }
    guard let range = word(), let dash = range.firstIndex(of: "-"),
      let start = UInt64(range[..<dash], radix: 16),
      let end = UInt64(range[range.index(after: dash)...], radix: 16),
      let permsWord = word(), let perms = Permissions(String(permsWord)),
      let offsetWord = word(), let offset = UInt64(offsetWord, radix: 16),
      let device = word(), let colon = device.firstIndex(of: ":"),
      let major = UInt32(device[..<colon], radix: 16),
      let minor = UInt32(device[device.index(after: colon)...], radix: 16),
      let inodeWord = word(), let inode = UInt64(inodeWord)
    else { return nil }
    let name = rest.drop { $0 == " " }
    return Region(
      mapping: Mapping(
        start: start, end: end, permissions: perms, offset: offset, deviceMajor: major,
        deviceMinor: minor, inode: inode, rawName: PathBytes(Array(name.utf8))))
  }

  /// Reads smaps, threads (sp from task/TID/syscall) and the executable of a live process.
}
