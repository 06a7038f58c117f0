import Testing

@testable import VMMapCore

/// The classifier on hand-made maps (saved text: no live process behind them).
@Suite struct ClassifierFixtureTests {
  static func classify(
    _ text: String, executable: String? = nil, threads: [ThreadInfo] = [],
    provider: any ELFProvider = NoELFProvider(), pid: Int32? = nil
  ) -> MemoryMap {
    var map = MemoryMap(
      source: pid.map { .live(pid: $0) } ?? .file(path: "fixture"),
      regions: FixtureMaps.parse(text), threads: threads,
      executable: executable.map { PathBytes($0) })
    Classifier.classify(&map, elf: provider)
    return map
  }

  static func thread(_ tid: Int32, sp: UInt64?) -> ThreadInfo {
    ThreadInfo(
      tid: tid, stat: ProcessStat(), stackPointer: sp, stackPointerSource: "task/\(tid)/syscall")
  }

  @Test(
    arguments: [
      ("5000-6000 rw-p 00000000 00:00 0   [heap]", RegionKind.heap),
      ("5000-6000 rw-p 00000000 00:00 0   [stack]", .mainStack),
      ("5000-6000 rw-p 00000000 00:00 0   [stack:4242]", .threadStack),
      ("5000-6000 r-xp 00000000 00:00 0   [vdso]", .vdso),
      ("5000-6000 r--p 00000000 00:00 0   [vvar]", .vvar),
      ("5000-6000 r--p 00000000 00:00 0   [vvar_vclock]", .vvar),
      ("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0   [vsyscall]", .vsyscall),
      ("5000-6000 r-xp 00000000 00:00 0   [uprobes]", .uprobes),
      ("5000-6000 rw-p 00000000 00:00 0   [anon:jit cache]", .anonymous),
      ("5000-6000 rw-s 00000000 00:01 77   [anon_shmem:ring]", .sharedAnonymous),
      ("5000-6000 rw-s 00000000 00:01 1027   /dev/zero (deleted)", .sharedAnonymous),
      ("5000-6000 rw-s 00000000 00:01 1028   /memfd:wayland-shm (deleted)", .memfd),
      ("5000-6000 rw-s 00000000 00:01 65550   /SYSV0000abcd (deleted)", .sysvShm),
      ("5000-6000 rw-p 00000000 00:0f 2001   /anon_hugepage (deleted)", .hugetlb),
      ("5000-6000 rw-s 00000000 00:0e 9   anon_inode:[perf_event]", .device),
      ("5000-6000 rw-s 100000000 00:06 600   /dev/dri/card0", .device),
      ("5000-6000 r--p 00000000 fe:00 12   /usr/share/locale/x.mo", .privateFile),
      ("5000-6000 rw-s 00000000 fe:00 13   /var/db/shared.db", .sharedFile),
      ("5000-6000 rw-p 00000000 00:00 0 ", .anonymous),
      ("5000-6000 ---p 00000000 00:00 0 ", .reserved),
    ] as [(String, RegionKind)])
  func kindFromName(line: String, kind: RegionKind) {
    let map = Self.classify(line)
    #expect(map.regions.count == 1)
    #expect(map.regions.first?.classification.kind == kind)
  }

  @Test func namedRegionsSayTheirNames() {
    let map = Self.classify(
      """
      5000-6000 rw-p 00000000 00:00 0   [anon:jit cache]
      6000-7000 rw-s 00000000 00:01 65550   /SYSV0000abcd (deleted)
      7000-8000 rw-s 00000000 00:01 1028   /memfd:wayland-shm (deleted)
      8000-9000 rw-p 00000000 00:00 0   [stack:4242]
      """)
    #expect(map.regions[0].classification.description.contains("jit cache"))
    #expect(map.regions[1].classification.description.contains("key 0xabcd, shmid 65550"))
    #expect(map.regions[2].classification.description.contains("wayland-shm"))
    #expect(map.regions[3].classification.threadID == 4242)
    // Inherently deleted names are not called deleted files.
    #expect(!map.regions[1].classification.description.contains("file deleted"))
  }

  @Test func hugetlbFromSmapsCounters() {
    let map = Self.classify(
      """
      5000-205000 rw-p 00000000 00:00 0 
      KernelPageSize:     2048 kB
      205000-405000 rw-s 00000000 00:10 5   /mnt/huge/buffer
      VmFlags: rd wr sh mr mw me ms ht
      """)
    #expect(map.regions.map(\.classification.kind) == [.hugetlb, .hugetlb])
  }

  @Test func threadStacksFromStackPointers() {
    let map = Self.classify(
      """
      7f0000000000-7f0000001000 ---p 00000000 00:00 0 
      7f0000001000-7f0000801000 rw-p 00000000 00:00 0 
      7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0   [stack]
      """,
      threads: [Self.thread(100, sp: 0x7ffd_0001_0000), Self.thread(101, sp: 0x7f00_0080_0100)],
      pid: 100)
    let guardPage = map.regions[0].classification
    let stack = map.regions[1].classification
    #expect(stack.kind == .threadStack)
    #expect(stack.threadID == 101)
    #expect(stack.certainty == .observed)
    #expect(stack.evidence == ["sp 0x7f0000800100 of TID 101 from task/101/syscall"])
    #expect(guardPage.kind == .guardPage)
    #expect(guardPage.threadID == 101)
    #expect(map.regions[2].classification.kind == .mainStack)
    #expect(map.regions[2].classification.evidence.contains { $0.contains("TID 100") })
  }

  @Test func threadStackInferredFromGlibcLayout() {
    let map = Self.classify(
      """
      7f0000000000-7f0000001000 ---p 00000000 00:00 0 
      7f0000001000-7f0000801000 rw-p 00000000 00:00 0 
      7f0001000000-7f0001001000 ---p 00000000 00:00 0 
      7f0001001000-7f0001835000 rw-p 00000000 00:00 0 
      7f0002000000-7f0002801000 rw-p 00000000 00:00 0 
      """)
    #expect(map.regions[1].classification.kind == .threadStack)
    #expect(map.regions[1].classification.certainty == .inferred)
    #expect(map.regions[1].classification.threadID == nil)
    #expect(map.regions[1].classification.description.contains("probably a thread stack"))
    #expect(map.regions[0].classification.kind == .guardPage)
    // Not a power-of-two size: not claimed. No guard below: not claimed.
    #expect(map.regions[3].classification.kind == .anonymous)
    #expect(map.regions[2].classification.kind == .reserved)
    #expect(map.regions[4].classification.kind == .anonymous)
  }

  @Test func mallocArenas() {
    let map = Self.classify(
      """
      7f1c04000000-7f1c04021000 rw-p 00000000 00:00 0 
      7f1c04021000-7f1c08000000 ---p 00000000 00:00 0 
      7f1c08000000-7f1c0c000000 rw-p 00000000 00:00 0 
      7f1c0d000000-7f1c0d021000 rw-p 00000000 00:00 0 
      7f1c0d021000-7f1c0e000000 ---p 00000000 00:00 0 
      """)
    #expect(map.regions[0].classification.kind == .mallocArena)
    #expect(map.regions[0].classification.certainty == .inferred)
    #expect(map.regions[0].classification.evidence.first?.contains("heap_info") == true)
    #expect(map.regions[1].classification.kind == .reserved)
    #expect(map.regions[2].classification.kind == .mallocArena)  // fully grown: 64 MiB
    #expect(map.regions[3].classification.kind == .anonymous)  // 16 MiB aligned only
    #expect(map.regions[4].classification.kind == .reserved)
  }

  @Test func notesForTHPDeletedAndRWX() {
    let map = Self.classify(
      """
      7f0000000000-7f0000400000 rw-p 00000000 00:00 0 
      AnonHugePages:      4096 kB
      VmFlags: rd wr mr mw me ac hg
      7f0000400000-7f0000401000 rwxp 00000000 00:00 0 
      7f0000401000-7f0000402000 r--p 00000000 fe:00 99   /tmp/gone.dat (deleted)
      """)
    let thp = map.regions[0].classification
    #expect(thp.usesTHP)
    #expect(thp.description.contains("4 MiB in transparent huge pages"))
    #expect(thp.evidence.contains { $0.contains("MADV_HUGEPAGE") })
    #expect(map.regions[1].classification.description.contains("writable and executable"))
    #expect(map.regions[1].classification.evidence.contains { $0.contains("rwx") })
    #expect(map.regions[2].classification.kind == .privateFile)
    #expect(map.regions[2].classification.description.contains("(file deleted)"))
    // A saved name " (deleted)" may be part of a real file name: inferred.
    #expect(map.regions[2].classification.certainty == .inferred)
  }

  static let libcAndCat = """
    558cc6902000-558cc6904000 r--p 00000000 fe:00 253911                     /usr/bin/cat
    558cc6904000-558cc6909000 r-xp 00002000 fe:00 253911                     /usr/bin/cat
    558cc6909000-558cc690c000 r--p 00007000 fe:00 253911                     /usr/bin/cat
    558cc690c000-558cc690d000 r--p 00009000 fe:00 253911                     /usr/bin/cat
    558cc690d000-558cc690e000 rw-p 0000a000 fe:00 253911                     /usr/bin/cat
    558cd6862000-558cd6883000 rw-p 00000000 00:00 0                          [heap]
    7fbcd53e1000-7fbcd5407000 r--p 00000000 fe:00 333151                     /usr/lib/x86_64-linux-gnu/libc.so.6
    7fbcd5407000-7fbcd555d000 r-xp 00026000 fe:00 333151                     /usr/lib/x86_64-linux-gnu/libc.so.6
    7fbcd555d000-7fbcd55b0000 r--p 0017c000 fe:00 333151                     /usr/lib/x86_64-linux-gnu/libc.so.6
    7fbcd55b0000-7fbcd55b4000 r--p 001cf000 fe:00 333151                     /usr/lib/x86_64-linux-gnu/libc.so.6
    7fbcd55b4000-7fbcd55b6000 rw-p 001d3000 fe:00 333151                     /usr/lib/x86_64-linux-gnu/libc.so.6
    7fbcd55b6000-7fbcd55c3000 rw-p 00000000 00:00 0 
    7fbcd55d6000-7fbcd55d7000 r--p 00000000 fe:00 332717                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
    7fbcd55d7000-7fbcd55fd000 r-xp 00001000 fe:00 332717                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
    7fbcd55fd000-7fbcd5607000 r--p 00027000 fe:00 332717                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
    7fbcd5607000-7fbcd5609000 r--p 00031000 fe:00 332717                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
    7fbcd5609000-7fbcd560b000 rw-p 00033000 fe:00 332717                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
    """

  @Test func savedFileWithHeadersOnThisMachine() {
    let map = Self.classify(Self.libcAndCat, provider: SavedFileELFProvider())
    let c = map.regions.map(\.classification)
    #expect(c[0...4].allSatisfy { $0.kind == .executable })
    #expect(c[0...4].map(\.segment) == [.headers, .text, .rodata, .relro, .data])
    #expect(c[0].evidence.contains { $0.contains("lowest object with PT_INTERP") })
    #expect(c[5].kind == .heap)
    #expect(c[6...10].allSatisfy { $0.kind == .sharedLibrary })
    #expect(c[6...10].map(\.segment) == [.headers, .text, .rodata, .relro, .data])
    #expect(c[7].sections.contains(".text"))
    #expect(c[7].description.hasPrefix(".text (code: "))
    #expect(c[8].sections.contains(".rodata"))
    #expect(c[9].sections.contains(".got"))
    #expect(c[11].kind == .bss)
    #expect(c[11].owner == PathBytes("/usr/lib/x86_64-linux-gnu/libc.so.6"))
    #expect(c[11].sections == [".bss"])
    #expect(c[12...16].allSatisfy { $0.kind == .sharedLibrary })
    #expect(c[16].sections.contains(".data"))
    // Headers of a file on this machine, not of the mapped file: inferred.
    #expect(c.allSatisfy { $0.kind == .heap || $0.certainty == .inferred })
  }

  @Test func executableFromProcExeNotFromTheName() {
    // The program is named like a library, the library like a program.
    let text = """
      555500000000-555500001000 r--p 00000000 fe:00 1   /opt/app/engine.so
      555500001000-555500002000 r-xp 00001000 fe:00 1   /opt/app/engine.so
      555500002000-555500003000 rw-p 00002000 fe:00 1   /opt/app/engine.so
      7f0000000000-7f0000001000 r--p 00000000 fe:00 2   /opt/app/plugin
      7f0000001000-7f0000003000 r-xp 00001000 fe:00 2   /opt/app/plugin
      7f0000003000-7f00001ff000 ---p 00003000 fe:00 2   /opt/app/plugin
      7f00001ff000-7f0000200000 r--p 000ff000 fe:00 2   /opt/app/plugin
      7f0000200000-7f0000201000 rw-p 00100000 fe:00 2   /opt/app/plugin
      7f0000201000-7f0000203000 rw-p 00000000 00:00 0 
      """
    let map = Self.classify(text, executable: "/opt/app/engine.so")
    let c = map.regions.map(\.classification)
    #expect(c[0...2].allSatisfy { $0.kind == .executable })
    #expect(c[3...7].filter { $0.kind != .reserved }.allSatisfy { $0.kind == .sharedLibrary })
    // Without headers: roles from order and permissions, all inferred.
    #expect(c[3...7].map(\.segment) == [.headers, .text, nil, .relro, .data])
    #expect(c[5].kind == .reserved)
    #expect(c[5].owner == PathBytes("/opt/app/plugin"))
    #expect(c[5].description.contains("alignment padding between segments of plugin"))
    #expect(c[8].kind == .bss)
    #expect(c[8].owner == PathBytes("/opt/app/plugin"))
    #expect(c.allSatisfy { $0.certainty == .inferred })
  }

  @Test func nonELFFileIsAPrivateFile() {
    // locale files are not ELF: the headers say so.
    let map = Self.classify(
      "7f0000000000-7f0000001000 r--p 00000000 fe:00 3   /usr/lib/locale/C.utf8/LC_NUMERIC",
      provider: SavedFileELFProvider())
    #expect(map.regions[0].classification.kind == .privateFile)
  }
}
