import CVMProbes
import Glibc
import VMMapCore

/// Makes the specimen's regions and remembers what to remove at exit.
struct RegionMaker {
  private var directory = ""
  private var files: [String] = []
  private var hostileFiles: [[UInt8]] = []
  private var hostileDirectories: [String] = []
  private let page = 4096

  /// Prints one `REGION` line.
  private func report(
    _ kind: RegionKind, _ address: UInt64, _ size: Int, _ tag: String, _ note: String = ""
  ) {
    var line = "REGION \(kind.rawValue) 0x\(String(address, radix: 16)) \(size) \(tag)"
    if !note.isEmpty { line += " " + Self.printable(note) }
    print(line)
  }

  private static func printable(_ s: String) -> String {
    var out = ""
    for b in s.utf8 {
      if b >= 0x20 && b < 0x7f && b != UInt8(ascii: "\\") {
        out.append(Character(Unicode.Scalar(b)))
      } else {
        let hex = String(b, radix: 16)
        out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
      }
    }
    return out
  }

  private static func fail(_ what: String) -> Never {
    let message = "vmmap __specimen: \(what): errno \(errno)\n"
    _ = message.withCString { write(2, $0, strlen($0)) }
    exit(70)
  }

  private func map(
    _ length: Int, _ prot: Int32, _ flags: Int32, _ fd: Int32 = -1
  ) -> UnsafeMutableRawPointer {
    guard let p = mmap(nil, length, prot, flags, fd, 0), p != MAP_FAILED else {
      Self.fail("mmap \(length) bytes")
    }
    return p
  }

  private static func address(_ p: UnsafeMutableRawPointer) -> UInt64 {
    UInt64(UInt(bitPattern: p))
  }

  /// The names `--hostile` maps files and memfds under: markup, Markdown, control characters,
  /// bidi overrides and invalid UTF-8 (any byte but `/` and NUL can name a file).
  static let hostileNames: [[UInt8]] = [
    Array("<script>alert(1)</script>".utf8), Array("](javascript:alert(1))".utf8),
    Array("| a | b |".utf8), Array("`code`".utf8), Array("**bold**".utf8),
    Array("\u{1b}[31mred\u{1b}[0m".utf8), [0x69, 0x6e, 0xff, 0xfe, 0x76, 0x61, 0x6c, 0x69, 0x64],
    Array("rtl\u{202e}txt.exe".utf8), Array("]]><!--&amp;&#60;{{x}}".utf8),
    Array("<svg onload=alert(1)>".utf8), Array("[x](http://example.com)<img src=x>".utf8),
    Array("\u{85}c1\u{9b}csi\u{7f}del".utf8), Array("zero\u{200b}width\u{200d}join".utf8),
    Array("tab\there\rreturn".utf8),
  ]

  mutating func makeAll(hostile: Bool = false) {
    defer { if hostile { makeHostile() } }
    makeDirectory()
    makeProgramRegions()
    // The thread first: its stack must not touch the big malloc block (they would merge).
    makeThread()
    makeHeapAndAnonymous()
    makeFiles()
    makeSharedMemory()
    makeSpecialAnonymous()
  }

  private mutating func makeDirectory() {
    var template = Array("/tmp/vmmap-specimen.XXXXXX".utf8CString)
    guard mkdtemp(&template) != nil else { Self.fail("mkdtemp") }
    directory = String(
      decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    print("TMPDIR \(directory)")
  }

  private func makeProgramRegions() {
    report(.executable, UInt64(vmp_specimen_data_address()), 4, "data", "vmp_specimen_data")
    let half = Int(VMP_SPECIMEN_BSS_SIZE / 2)
    report(.bss, UInt64(vmp_specimen_bss_address()) + UInt64(half), half, "bss", "vmp_specimen_bss")
    report(.executable, UInt64(vmp_specimen_text_address()), 0, "text", "vmp_specimen_text_address")
    report(.sharedLibrary, UInt64(vmp_specimen_libc_address()), 0, "text", "getpid in libc")
    report(
      .mainStack, UInt64(vmp_specimen_stack_address()), 0, "stack", "a local of the main thread")
    let vdso = vmp_vdso_address()
    if vdso != 0 { report(.vdso, UInt64(vdso), 0, "vdso", "AT_SYSINFO_EHDR") }
  }

  private func makeThread() {
    var thread = vmp_specimen_thread()
    let rc = vmp_specimen_start_thread(&thread)
    guard rc == 0 else {
      errno = -rc
      Self.fail("pthread_create")
    }
    print("TID \(thread.tid)")
    report(.threadStack, UInt64(thread.stack_address), 0, "tid=\(thread.tid)", "a local")
    report(.mallocArena, UInt64(thread.arena_block), 100, "tid=\(thread.tid)", "its first malloc")
  }

  private func makeHeapAndAnonymous() {
    guard let small = malloc(64), let big = malloc(8 << 20) else { Self.fail("malloc") }
    memset(small, 1, 64)
    memset(big, 1, 8 << 20)
    report(.heap, Self.address(small), 64, "malloc", "main arena, brk")
    report(.anonymous, Self.address(big), 8 << 20, "malloc", "above M_MMAP_THRESHOLD: mmap")
  }

  /// A file of `pages` pages in the private directory, filled with `byte`.
  private mutating func makeFile(_ name: String, pages: Int, byte: UInt8) -> (Int32, String) {
    let path = directory + "/" + name
    let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else { Self.fail("create \(path)") }
    let bytes = [UInt8](repeating: byte, count: pages * page)
    guard write(fd, bytes, bytes.count) == bytes.count else { Self.fail("write \(path)") }
    files.append(path)
    return (fd, path)
  }

  private mutating func makeFiles() {
    let (privateFD, privatePath) = makeFile("private.dat", pages: 2, byte: 0x50)
    let p = map(2 * page, PROT_READ, MAP_PRIVATE, privateFD)
    report(.privateFile, Self.address(p), 2 * page, "file", privatePath)
    close(privateFD)

    let (sharedFD, sharedPath) = makeFile("shared.dat", pages: 2, byte: 0x53)
    let s = map(2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, sharedFD)
    s.storeBytes(of: 1, as: UInt8.self)
    report(.sharedFile, Self.address(s), 2 * page, "file", sharedPath)
    close(sharedFD)

    let (deletedFD, deletedPath) = makeFile("deleted.dat", pages: 1, byte: 0x44)
    let d = map(page, PROT_READ, MAP_PRIVATE, deletedFD)
    close(deletedFD)
    unlink(deletedPath)
    files.removeAll { $0 == deletedPath }
    report(.privateFile, Self.address(d), page, "deleted", deletedPath)

    for (name, tag) in [("with space.dat", "space"), ("new\nline.dat", "newline")] {
      let (fd, path) = makeFile(name, pages: 1, byte: 0x4e)
      let m = map(page, PROT_READ, MAP_PRIVATE, fd)
      close(fd)
      report(.privateFile, Self.address(m), page, tag, path)
    }
  }

  private func makeSharedMemory() {
    let anon = map(4 * page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS)
    anon.storeBytes(of: 1, as: UInt8.self)
    report(.sharedAnonymous, Self.address(anon), 4 * page, "shared", "MAP_SHARED|MAP_ANONYMOUS")

    let memfd = vmp_memfd_create("vmmap-specimen", 0)
    guard memfd >= 0 else {
      errno = -memfd
      Self.fail("memfd_create")
    }
    guard ftruncate(memfd, off_t(4 * page)) == 0 else { Self.fail("ftruncate memfd") }
    let m = map(4 * page, PROT_READ | PROT_WRITE, MAP_SHARED, memfd)
    m.storeBytes(of: 1, as: UInt8.self)
    close(memfd)
    report(.memfd, Self.address(m), 4 * page, "memfd", "vmmap-specimen")

    let id = shmget(IPC_PRIVATE, 16 * page, IPC_CREAT | 0o600)
    guard id >= 0 else { Self.fail("shmget") }
    guard let shm = shmat(id, nil, 0), shm != UnsafeMutableRawPointer(bitPattern: -1) else {
      Self.fail("shmat")
    }
    // Marked for removal now: it goes away when the specimen detaches (at exit), even on SIGKILL.
    shmctl(id, IPC_RMID, nil)
    shm.storeBytes(of: 1, as: UInt8.self)
    report(.sysvShm, Self.address(shm), 16 * page, "shmid=\(id)", "IPC_PRIVATE, IPC_RMID")
  }

  private func makeSpecialAnonymous() {
    // PROT_NONE with a read-only page above it, so nothing makes it look like a stack guard.
    let none = map(2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS)
    mprotect(none + page, page, PROT_READ)
    report(.reserved, Self.address(none), page, "prot-none", "mmap PROT_NONE")

    let rwx = map(page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS)
    rwx.storeBytes(of: 0xc3, as: UInt8.self)
    report(.anonymous, Self.address(rwx), page, "rwx", "PROT_READ|PROT_WRITE|PROT_EXEC")

    let huge = 2 << 20
    let raw = map(3 * huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
    let aligned = (Int(bitPattern: raw) + huge - 1) & ~(huge - 1)
    let thp = UnsafeMutableRawPointer(bitPattern: aligned)!
    madvise(thp, 2 * huge, MADV_HUGEPAGE)
    for offset in stride(from: 0, to: 2 * huge, by: page) {
      thp.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self)
    }
    report(.anonymous, Self.address(thp), 2 * huge, "thp", "2 MiB aligned, MADV_HUGEPAGE, touched")

    // Only when the administrator reserved huge pages (vm.nr_hugepages).
    if let h = mmap(
      nil, huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0),
      h != MAP_FAILED
    {
      h.storeBytes(of: 1, as: UInt8.self)
      report(.hugetlb, Self.address(h), huge, "hugetlb", "MAP_HUGETLB")
    }
  }

  /// Maps a page of a file under each hostile name, a memfd under each, and one file whose
  /// path is about 4,000 bytes long (nested directories of 200-byte names).
  private mutating func makeHostile() {
    for (i, name) in Self.hostileNames.enumerated() {
      let path = directory + "/" + String(decoding: name, as: UTF8.self)
      // A name with `/` is a path: make its directories (`<script>alert(1)<` for the first).
      var prefix = directory
      for part in name.split(separator: UInt8(ascii: "/")).dropLast() {
        prefix += "/" + String(decoding: part, as: UTF8.self)
        guard mkdir(prefix, 0o700) == 0 else { Self.fail("mkdir hostile \(i)") }
        hostileDirectories.append(prefix)
      }
      let fd = name.withUnsafeBufferPointer { raw -> Int32 in
        let full = Array(directory.utf8) + [UInt8(ascii: "/")] + Array(raw) + [0]
        return full.withUnsafeBufferPointer {
          $0.withMemoryRebound(to: CChar.self) {
            open($0.baseAddress!, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
          }
        }
      }
      guard fd >= 0 else { Self.fail("create hostile file \(i)") }
      let bytes = [UInt8](repeating: 0x48, count: page)
      guard write(fd, bytes, bytes.count) == bytes.count else { Self.fail("write hostile \(i)") }
      let m = map(page, PROT_READ, MAP_PRIVATE, fd)
      close(fd)
      hostileFiles.append(Array(directory.utf8) + [UInt8(ascii: "/")] + name)
      report(.privateFile, Self.address(m), page, "hostile-file-\(i)", path)

      let memfd = (name.prefix(240) + [0]).withUnsafeBufferPointer {
        $0.withMemoryRebound(to: CChar.self) { vmp_memfd_create($0.baseAddress!, 0) }
      }
      if memfd >= 0 {
        ftruncate(memfd, off_t(page))
        let mm = map(page, PROT_READ, MAP_SHARED, memfd)
        close(memfd)
        report(.memfd, Self.address(mm), page, "hostile-memfd-\(i)", path)
      }
    }
    // A path of about 4,000 bytes: 19 directories of 200 bytes, then a file.
    var path = directory
    for level in 0..<19 {
      path +=
        "/"
        + String(repeating: Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8(level))), count: 200)
      guard mkdir(path, 0o700) == 0 else { Self.fail("mkdir long path") }
      hostileDirectories.append(path)
    }
    path += "/long<b>.dat"
    let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else { Self.fail("create long path") }
    let bytes = [UInt8](repeating: 0x4c, count: page)
    guard write(fd, bytes, bytes.count) == bytes.count else { Self.fail("write long path") }
    let m = map(page, PROT_READ, MAP_PRIVATE, fd)
    close(fd)
    files.append(path)
    report(.privateFile, Self.address(m), page, "hostile-long", "\(path.utf8.count) bytes")
  }

  /// Removes the files and the directory (the mappings keep their pages until exit).
  func cleanUp() {
    for f in files { unlink(f) }
    for f in hostileFiles {
      _ = (f + [0]).withUnsafeBufferPointer {
        $0.withMemoryRebound(to: CChar.self) { unlink($0.baseAddress!) }
      }
    }
    for d in hostileDirectories.reversed() { rmdir(d) }
    rmdir(directory)
  }
}
