import CVMProbes
import FoundationEssentials
import Glibc
import VMMapCore

/// The transparent huge page settings of `/sys/kernel/mm/transparent_hugepage/`.
enum THPSettings {
  static let directory = "/sys/kernel/mm/transparent_hugepage/"

  static func read() -> DemandTHP {
    let size = (try? readSmallFile(directory + "hpage_pmd_size")).flatMap {
      UInt64($0.filter { $0 != "\n" })
    }
    let zero = (try? readSmallFile(directory + "use_zero_page")).map { $0.hasPrefix("1") }
    return DemandTHP(
      enabled: selected(directory + "enabled"), defrag: selected(directory + "defrag"),
      useZeroPage: zero, hugePageSize: size ?? 2 << 20, advice: "none")
  }

  /// The bracketed word of `always [madvise] never`.
  static func selected(_ path: String) -> String? {
    guard let text = try? readSmallFile(path), let open = text.firstIndex(of: "["),
      let close = text[open...].firstIndex(of: "]")
    else { return nil }
    return String(text[text.index(after: open)..<close])
  }
}

/// The file behind `vmmap --demand --file`: `<dir>/vmmap-demand-<pid>/data`, on a disk
/// filesystem (tmpfs and ramfs pages live in memory, so they never take a major fault),
/// removed when the experiment ends; the parent removes what a killed child left behind
/// (`removeLeftovers(childPID:)`).
struct ScratchFile {
  var directory: String
  var path: String
  var filesystem: String
  var fd: Int32

  /// Where to look, in order: `$TMPDIR`, `/var/tmp`, `/tmp`.
  static var candidates: [String] {
    var dirs: [String] = []
    if let t = getenv("TMPDIR"), t.pointee != 0 { dirs.append(String(cString: t)) }
    return dirs + ["/var/tmp", "/tmp"]
  }

  static func directoryName(pid: Int32) -> String { "vmmap-demand-\(pid)" }

  /// Creates the file, writes `size` bytes (a non-zero pattern) and fsyncs it.
  static func create(size: UInt64) throws -> ScratchFile {
    var rejected: [String] = []
    var chosen: (String, String)?
    for dir in candidates {
      guard let fs = filesystem(of: dir) else { continue }
      if fs.inMemory {
        rejected.append("\(dir) is \(fs.name)")
        continue
      }
      chosen = (dir, mountedType(of: dir) ?? fs.name)
      break
    }
    guard let (parent, fsName) = chosen else {
      throw DemandExperiment.Failure(
        description:
          "no temporary directory on a disk filesystem (\(rejected.joined(separator: ", "))); set TMPDIR to one"
      )
    }
    let directory = parent + "/" + directoryName(pid: getpid())
    // A directory left by a killed child whose PID this process now has.
    removeFiles(in: directory)
    guard mkdir(directory, 0o700) == 0 else {
      throw DemandExperiment.Failure(
        description: "mkdir \(directory): \(DemandExperiment.errnoText())")
    }
    let path = directory + "/data"
    let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      let why = DemandExperiment.errnoText()
      rmdir(directory)
      throw DemandExperiment.Failure(description: "creating \(path): \(why)")
    }
    let file = ScratchFile(directory: directory, path: path, filesystem: fsName, fd: fd)
    do {
      try file.fill(size: size)
    } catch {
      file.remove()
      throw error
    }
    return file
  }

  /// Writes `size` bytes, 1 MiB at a time, then fsync: the pages are clean, so that
  /// `POSIX_FADV_DONTNEED` can drop them.
  private func fill(size: UInt64) throws {
    let chunk = 1 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
    defer { buffer.deallocate() }
    for i in 0..<chunk { buffer[i] = UInt8(truncatingIfNeeded: i / 4096 + 1) }
    var written: UInt64 = 0
    while written < size {
      let want = Int(min(UInt64(chunk), size - written))
      let n = write(fd, buffer.baseAddress, want)
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else {
        throw DemandExperiment.Failure(
          description: "writing \(path): \(n < 0 ? DemandExperiment.errnoText() : "short write")")
      }
      written += UInt64(n)
    }
    guard fsync(fd) == 0 else {
      throw DemandExperiment.Failure(description: "fsync \(path): \(DemandExperiment.errnoText())")
    }
  }

  func remove() {
    close(fd)
    unlink(path)
    rmdir(directory)
  }

  /// Removes the file a killed experiment child `pid` may have left.
  static func removeLeftovers(childPID pid: Int32) {
    for dir in candidates { removeFiles(in: dir + "/" + directoryName(pid: pid)) }
  }

  private static func removeFiles(in directory: String) {
    unlink(directory + "/data")
    rmdir(directory)
  }

  /// The type of the filesystem mounted at the longest mount point holding `path`
  /// (`/proc/self/mounts`; `\040` is a space there), or nil.
  static func mountedType(of path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    let real = String(cString: resolved)
    free(resolved)
    guard let mounts = try? readSmallFile("/proc/self/mounts") else { return nil }
    var best: (length: Int, type: String)?
    for line in mounts.split(separator: "\n") {
      let fields = line.split(separator: " ")
      guard fields.count >= 3 else { continue }
      let point = fields[1].replacing("\\040", with: " ")
      let holds =
        point == "/" || real == point || real.hasPrefix(point.hasSuffix("/") ? point : point + "/")
      // The last of equally long mount points is the one on top.
      if holds, point.count >= (best?.length ?? -1) { best = (point.count, String(fields[2])) }
    }
    return best?.type
  }

  /// The filesystem holding `path` (`statfs`'s magic number), and whether its pages live in
  /// memory only.
  static func filesystem(of path: String) -> (name: String, inMemory: Bool)? {
    let type = vmp_filesystem_type(path)
    guard type >= 0 else { return nil }
    let magic = UInt64(type)
    switch magic {
    case 0x0102_1994: return ("tmpfs", true)
    case 0x8584_58f6: return ("ramfs", true)
    case 0xef53: return ("ext2/3/4", false)
    case 0x5846_5342: return ("xfs", false)
    case 0x9123_683e: return ("btrfs", false)
    case 0xf2f5_2010: return ("f2fs", false)
    case 0x794c_7630: return ("overlayfs", false)
    case 0x2fc1_2fc1: return ("zfs", false)
    case 0x6969: return ("nfs", false)
    default: return ("filesystem 0x" + String(magic, radix: 16), false)
    }
  }
}

/// Removes what a killed `vmmap --demand --file` child left behind (its scratch directory).
public func removeDemandLeftovers(childPID: Int32) {
  ScratchFile.removeLeftovers(childPID: childPID)
}
