import Testing

@testable import VMMapCore

@Suite struct ProcessFileParserTests {
  @Test func statusOfSleep() throws {
    let s = try StatusParser.parse(try TestSupport.fixture("status-6.18-sleep.txt"), source: "s")
    #expect(s.name == "sleep")
    #expect(s.state == "S")
    #expect(s.pid > 0 && s.tgid == s.pid && s.ppid > 0)
    #expect(s.threads == 1)
    #expect(s[memory: "VmSize"].map { $0 > 0 && $0 % 1024 == 0 } == true)
    #expect(s[memory: "RssAnon"] != nil && s[memory: "HugetlbPages"] == 0)
    #expect(s.lines.count == 59)
    #expect(s.lines.first { $0.key == "Uid" }?.value == "0\t0\t0\t0")
    #expect(s.hasAddressSpace)
  }

  @Test func statusOfKernelThread() throws {
    let s = try StatusParser.parse(try TestSupport.fixture("status-6.18-kthreadd.txt"), source: "s")
    #expect(s.name == "kthreadd")
    #expect(!s.hasAddressSpace)
  }

  @Test func statusNameIsUnescaped() throws {
    let text = "Name:\ta\\nb\\\\c d\nState:\tZ (zombie)\nVmRSS:\t  12 kB\n"
    let s = try StatusParser.parse(Array(text.utf8), source: "s")
    #expect(s.name == "a\nb\\c d")
    #expect(s.state == "Z")
    #expect(s[memory: "VmRSS"] == 12 * 1024)
  }

  @Test(arguments: ["Nocolon\n", "VmRSS:\t12 MB\n", "Pid:\tabc\n", "State:\t\n"])
  func statusErrors(text: String) throws {
    let error = try #require(throws: VMMapError.self) {
      try StatusParser.parse(Array("Name:\tx\n\(text)".utf8), source: "st")
    }
    #expect(error.what == "st: line 2")
  }

  @Test func statOfSleepAndKernelThread() throws {
    let s = try StatParser.parse(try TestSupport.fixture("stat-6.18-sleep.txt"), source: "s")
    #expect(s.comm == PathBytes("sleep"))
    #expect(s.state == UInt8(ascii: "S"))
    #expect(s.threads == 1 && !s.isKernelThread && s.virtualSize > 0 && s.startStack > 0)
    let k = try StatParser.parse(try TestSupport.fixture("stat-6.18-kthreadd.txt"), source: "k")
    #expect(k.pid == 2 && k.comm == PathBytes("kthreadd") && k.isKernelThread)
  }

  @Test func statCommWithParensSpacesAndNewline() throws {
    let tail = (4...52).map { $0 == 9 ? "4194560" : $0 == 20 ? "3" : $0 == 18 ? "-100" : "\($0)" }
    let text = "42 (a) b\n(c)) Z " + tail.joined(separator: " ") + "\n"
    let s = try StatParser.parse(Array(text.utf8), source: "s")
    #expect(s.pid == 42)
    #expect(s.comm == PathBytes("a) b\n(c)"))
    #expect(s.isZombie)
    #expect(s.ppid == 4 && s.flags == 4_194_560 && s.threads == 3 && s.processor == 39)
  }

  @Test(arguments: [
    "", "42 sleep S 1", "42 (x) S 1 2 3", "x (y) S " + String(repeating: "1 ", count: 40),
  ])
  func statErrors(text: String) throws {
    #expect(throws: VMMapError.self) { try StatParser.parse(Array(text.utf8), source: "s") }
  }

  @Test func syscallForms() throws {
    func parse(_ s: String) throws -> ThreadSyscallState {
      try SyscallParser.parse(Array(s.utf8), source: "sc")
    }
    #expect(try parse("running\n") == .running)
    #expect(
      try parse("230 0x0 0x0 0x7ffc405e3da0 0x7ffc405e3de0 0x0 0x0 0x7ffc405e3d88 0x7f1a4cdf2503\n")
        == .inSyscall(number: 230, stackPointer: 0x7ffc_405e_3d88, programCounter: 0x7f1a_4cdf_2503)
    )
    #expect(try parse("-1 0x7ffd1000 0x401000\n").stackPointer == 0x7ffd_1000)
    #expect(throws: VMMapError.self) { try parse("") }
    #expect(throws: VMMapError.self) { try parse("5 0x1 0x2\n") }
    #expect(throws: VMMapError.self) { try parse("-1 7ffd 0x1\n") }
  }

  @Test func commandLine() {
    #expect(
      CommandLineParser.arguments(Array("sleep\u{0}30\u{0}".utf8)) == [
        PathBytes("sleep"), PathBytes("30"),
      ])
    #expect(CommandLineParser.arguments(Array("a\u{0}\u{0}b\u{0}".utf8)).count == 3)
    #expect(
      CommandLineParser.arguments(Array("rewritten title".utf8)) == [PathBytes("rewritten title")])
    #expect(CommandLineParser.arguments([]) == [])
    #expect(CommandLineParser.comm(Array("bash\n".utf8)) == PathBytes("bash"))
  }
}
