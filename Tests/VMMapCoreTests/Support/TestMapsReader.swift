import Foundation
import VMMapCore

/// TEST SUPPORT ONLY: a minimal /proc reader so the classifier can be tested before the real
/// live reader (Sources/VMMapCore/Procfs, another branch) lands. Slow and forgiving; the lead
/// switches the tests to the real reader on merge.
enum TestMapsReader {
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
  static func read(pid: Int32) throws -> MemoryMap {
    let smaps = try readProcFile("/proc/\(pid)/smaps")
    var regions = parse(smaps)
    for i in regions.indices where regions[i].mapping.inode != 0 {
      regions[i].resolved = resolve(pid: pid, regions[i])
    }
    var threads: [ThreadInfo] = []
    let tids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    for tid in tids.compactMap({ Int32($0) }).sorted() {
      var stat = ProcessStat()
      stat.pid = tid
      let syscall = (try? readProcFile("/proc/\(pid)/task/\(tid)/syscall")) ?? ""
      let words = syscall.split(separator: " ")
      var sp: UInt64?
      if words.count >= 3, words[0] != "running" {
        sp = UInt64(words[words.count - 2].dropFirst(2), radix: 16)
      }
      threads.append(
        ThreadInfo(
          tid: tid, stat: stat, stackPointer: sp,
          stackPointerSource: sp == nil ? nil : "task/\(tid)/syscall"))
    }
    let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
    return MemoryMap(
      source: .live(pid: pid), regions: regions, threads: threads,
      executable: exe.map { PathBytes($0) }, hasCounters: true)
  }

  /// Reads a /proc file to the end (Foundation's String(contentsOfFile:) stops early on them).
  static func readProcFile(_ path: String) throws -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { break }
      bytes += chunk[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// readlink + stat of /proc/PID/map_files/START-END.
  static func resolve(pid: Int32, _ region: Region) -> ResolvedFile? {
    let link =
      "/proc/\(pid)/map_files/\(String(region.start, radix: 16))-\(String(region.end, radix: 16))"
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink(link, &buffer, buffer.count)
    guard n > 0 else { return nil }
    var path = buffer[0..<n].map { UInt8(bitPattern: $0) }
    var st = stat()
    guard stat(link, &st) == 0 else { return nil }
    let deleted = st.st_nlink == 0
    let suffix = Array(" (deleted)".utf8)
    if deleted, path.count > suffix.count, Array(path.suffix(suffix.count)) == suffix {
      path.removeLast(suffix.count)
    }
    return ResolvedFile(
      path: PathBytes(path), deleted: deleted, device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
  }
}
