import Glibc
import Testing

@testable import VMMapCore

@Suite struct ELFHostileTests {
  /// A valid ELF64 header followed by nothing, with chosen table fields.
  static func header(
    type: UInt16 = 3, phoff: UInt64 = 64, phnum: UInt16 = 0, phentsize: UInt16 = 56,
    shoff: UInt64 = 0, shnum: UInt16 = 0, shentsize: UInt16 = 64, shstrndx: UInt16 = 0
  ) -> [UInt8] {
    var b = [UInt8](repeating: 0, count: 64)
    b[0...3] = [0x7f, 0x45, 0x4c, 0x46]
    b[4] = 2
    b[5] = 1
    b[6] = 1
    func put(_ v: UInt64, _ at: Int, _ width: Int) {
      for i in 0..<width { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
    }
    put(UInt64(type), 16, 2)
    put(62, 18, 2)
    put(phoff, 32, 8)
    put(shoff, 40, 8)
    put(64, 52, 2)
    put(UInt64(phentsize), 54, 2)
    put(UInt64(phnum), 56, 2)
    put(UInt64(shentsize), 58, 2)
    put(UInt64(shnum), 60, 2)
    put(UInt64(shstrndx), 62, 2)
    return b
  }

  static func reason(_ bytes: [UInt8]) -> ELFError.Reason? {
    do {
      _ = try ELFFile(bytes: bytes)
      return nil
    } catch {
      return error.reason
    }
  }

  @Test func emptyAndShortFiles() {
    #expect(Self.reason([]) == .tooShort)
    #expect(Self.reason([0x7f, 0x45]) == .tooShort)
    #expect(Self.reason(Array(Self.header().prefix(40))) == .tooShort)
  }

  @Test func garbage() {
    #expect(Self.reason(Array("#!/bin/sh\necho hi\n".utf8)) == .notELF)
    var g = [UInt8](repeating: 0xff, count: 4096)
    #expect(Self.reason(g) == .notELF)
    g[0...3] = [0x7f, 0x45, 0x4c, 0x46]
    #expect(Self.reason(g) == .unsupportedFormat)
    var be = Self.header()
    be[5] = 2  // big-endian
    #expect(Self.reason(be) == .unsupportedFormat)
    var elf32 = Self.header()
    elf32[4] = 1
    #expect(Self.reason(elf32) == .unsupportedFormat)
  }

  @Test func programHeadersPastTheEnd() {
    let h = Self.header(phoff: 64, phnum: 10)
    guard case .malformed = Self.reason(h) else {
      Issue.record("expected malformed")
      return
    }
    guard case .malformed = Self.reason(Self.header(phoff: .max - 8, phnum: 1)) else {
      Issue.record("expected malformed for an offset near 2^64")
      return
    }
    guard case .malformed = Self.reason(Self.header(phnum: 1, phentsize: 32)) else {
      Issue.record("expected malformed for e_phentsize 32")
      return
    }
  }

  @Test func tooManyProgramHeaders() {
    var b = Self.header(phnum: 0xfffe)
    b += [UInt8](repeating: 0, count: 0xfffe * 56)
    guard case .malformed = Self.reason(b) else {
      Issue.record("expected malformed")
      return
    }
  }

  @Test func sectionProblemsAreNotFatal() throws {
    // Section table past the end: program headers still parse, sections are empty.
    let elf = try ELFFile(bytes: Self.header(shoff: 1 << 40, shnum: 5))
    #expect(elf.sections.isEmpty)
    let elf2 = try ELFFile(bytes: Self.header(shoff: 64, shnum: 3, shstrndx: 9))
    #expect(elf2.sections.isEmpty)
    #expect(elf2.sectionProblem != nil)
    // A name index outside .shstrtab gives an empty name, not a trap.
    var b = Self.header(shoff: 64, shnum: 2, shstrndx: 1)
    var s1 = [UInt8](repeating: 0, count: 128)
    s1[64] = 0xff  // sh_name of section 1: 255, beyond the table
    s1[64 + 24] = 0  // sh_offset 0
    s1[64 + 32] = 8  // sh_size 8
    b += s1
    let elf3 = try ELFFile(bytes: b)
    #expect(elf3.sections.count == 2)
    #expect(elf3.sections[1].name == "")
  }

  @Test func truncatedRealLibrary() throws {
    let fd = open("/usr/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY | O_CLOEXEC)
    try #require(fd >= 0)
    defer { close(fd) }
    let bytes = try ELFFile.pread(fd, offset: 0, count: 1 << 16)
    for length in [0, 3, 63, 64, 100, 64 + 56 * 3, 4096] {
      let prefix = Array(bytes.prefix(length))
      let result = Result { () throws(ELFError) in try ELFFile(bytes: prefix) }
      if case .success = result { Issue.record("a \(length)-byte prefix of libc parsed") }
    }
  }

  @Test func randomMutationsNeverTrap() throws {
    let fd = open("/bin/true", O_RDONLY | O_CLOEXEC)
    try #require(fd >= 0)
    defer { close(fd) }
    let original = try ELFFile.pread(fd, offset: 0, count: 1 << 20)
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<300 {
      var b = original
      for _ in 0..<8 {
        let i = Int.random(in: 0..<min(b.count, 128), using: &rng)
        b[i] = UInt8.random(in: 0...255, using: &rng)
      }
      if Bool.random(using: &rng) { b = Array(b.prefix(Int.random(in: 0..<b.count, using: &rng))) }
      _ = try? ELFFile(bytes: b)
    }
  }

  @Test func deviceIsNotRead() {
    #expect(throws: ELFError(.notRegularFile)) { try ELFFile(path: "/dev/zero") }
    #expect(throws: ELFError(.system(ENOENT))) { try ELFFile(path: "/nonexistent/x") }
  }
}
