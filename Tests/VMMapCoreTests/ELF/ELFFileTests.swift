import Glibc
import Testing

@testable import VMMapCore

@Suite struct ELFFileTests {
  static let realFiles = [
    "/proc/self/exe", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/bin/true",
    "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
  ]

  static func readelfTypeName(_ type: UInt32) -> String {
    switch type {
    case ProgramHeader.load: "LOAD"
    case ProgramHeader.dynamic: "DYNAMIC"
    case ProgramHeader.interpreter: "INTERP"
    case ProgramHeader.gnuRelro: "GNU_RELRO"
    case 4: "NOTE"
    case 6: "PHDR"
    case 7: "TLS"
    case 0x6474_e550: "GNU_EH_FRAME"
    case 0x6474_e551: "GNU_STACK"
    case 0x6474_e553: "GNU_PROPERTY"
    default: "0x\(String(type, radix: 16))"
    }
  }

  @Test(arguments: realFiles)
  func programHeadersMatchReadelf(path: String) throws {
    // readelf of /proc/self/exe would read readelf itself: resolve the link first.
    let file = path == "/proc/self/exe" ? try selfExecutable() : path
    let elf = try ELFFile(path: file)
    let expected = try ReadelfOutput.segments(file)
    #expect(!expected.isEmpty)
    let got = elf.programHeaders.map {
      ReadelfOutput.Segment(
        type: Self.readelfTypeName($0.type), offset: $0.offset, virtualAddress: $0.virtualAddress,
        fileSize: $0.fileSize, memorySize: $0.memorySize, flags: $0.flagString)
    }
    #expect(got == expected)
    #expect(elf.machine == 62)
  }

  @Test(arguments: realFiles)
  func sectionsMatchReadelf(path: String) throws {
    let file = path == "/proc/self/exe" ? try selfExecutable() : path
    let elf = try ELFFile(path: file)
    let expected = try ReadelfOutput.sections(file)
    let got = elf.sections.map {
      ReadelfOutput.Section(name: $0.name, address: $0.address, offset: $0.offset, size: $0.size)
    }
    #expect(got == expected)
    #expect(elf.sectionProblem == nil)
  }

  @Test func fileTypesAndInterpreter() throws {
    let trueELF = try ELFFile(path: "/bin/true")
    #expect(trueELF.type == .sharedObject)  // PIE
    #expect(trueELF.interpreter == "/lib64/ld-linux-x86-64.so.2")
    #expect(trueELF.relro != nil)
    #expect(trueELF.isDynamic)
    let loader = try ELFFile(path: "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
    #expect(loader.type == .sharedObject)
    #expect(loader.interpreter == nil)
    #expect(trueELF.sections.contains { $0.name == ".text" && $0.isAllocated })
    #expect(trueELF.sections.contains { $0.name == ".bss" && $0.isNoBits })
  }

  @Test func descriptorOfProcSelfExe() throws {
    let fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)
    try #require(fd >= 0)
    defer { close(fd) }
    let elf = try ELFFile(descriptor: fd)
    #expect(elf.loadSegments.count >= 2)
  }

  func selfExecutable() throws -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    try #require(n > 0)
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
