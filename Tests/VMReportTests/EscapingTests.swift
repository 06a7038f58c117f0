import Foundation
import Testing
import VMMapCore

@testable import VMReport

@Suite struct TerminalEscapeTests {
  @Test func plainTextIsUnchanged() {
    #expect(
      TerminalEscape.escape("/usr/lib/x86_64-linux-gnu/libc.so.6")
        == "/usr/lib/x86_64-linux-gnu/libc.so.6")
    #expect(TerminalEscape.escape("my file (deleted)") == "my file (deleted)")
  }

  @Test(arguments: [
    ([0x61, 0x0a, 0x62] as [UInt8], "a\\nb"),
    ([0x1b, 0x5b, 0x33, 0x31, 0x6d], "\\x1b[31m"),  // ANSI colour: shown, not obeyed
    ([0x61, 0x5c, 0x30, 0x31, 0x32], "a\\\\012"),  // a literal backslash stays distinguishable
    ([0xff, 0x41], "\\xffA"),  // invalid UTF-8
    ([0xc0, 0xaf], "\\xc0\\xaf"),  // overlong encoding of '/'
    ([0xe2, 0x80, 0xae, 0x61], "\\u202ea"),  // RIGHT-TO-LEFT OVERRIDE
    ([0xc2, 0x9b], "\\u009b"),  // C1 CSI
    ([0x7f], "\\x7f"),
    ([0xc3, 0xa9, 0x74, 0xc3, 0xa9], "été"),  // ordinary non-ASCII stays readable
  ])
  func hostileBytesBecomeVisible(input: [UInt8], expected: String) {
    let out = TerminalEscape.escape(input)
    #expect(out == expected)
    #expect(!out.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) })
  }
}

@Suite struct JSONWriterTests {
  /// Whatever goes in comes back out of an independent JSON parser unchanged.
  @Test(arguments: [
    "plain", "quote \" backslash \\ slash /", "newline\nand\ttab\r", "\u{1b}[31mred",
    "\u{0}nul", "c1 \u{85} next-line", "ls \u{2028} ps \u{2029}", "emoji 🧠 and é",
  ])
  func stringsRoundTrip(_ s: String) throws {
    var w = JSONWriter()
    w.beginObject()
    w.field("s", s)
    w.endObject()
    let raw = w.bytes
    #expect(!raw.contains { $0 < 0x20 && $0 != 0x0a && $0 != 0x20 })  // only layout newlines
    let object = try JSONSerialization.jsonObject(with: Data(raw)) as? [String: String]
    #expect(object?["s"] == s)
  }

  @Test func invalidUTF8PathKeepsTheBytes() throws {
    var w = JSONWriter()
    w.beginObject()
    w.path("name", PathBytes([0x61, 0xff, 0x62]))
    w.path("ok", PathBytes("fine"))
    w.endObject()
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String: String])
    #expect(object["name"] == "a\u{fffd}b")
    #expect(object["nameBytes"] == "61ff62")
    #expect(object["okBytes"] == nil)
  }

  @Test func nestingAndCommas() throws {
    var w = JSONWriter(prettyDepth: 1)
    w.beginObject()
    w.field("a", 1)
    w.beginArray("list")
    w.value(UInt64(2))
    w.value("three")
    w.element()
    w.beginObject()
    w.field("x", true)
    w.null("y")
    w.endObject()
    w.endArray()
    w.beginObject("empty")
    w.endObject()
    w.endObject()
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String: Any])
    #expect(object["a"] as? Int == 1)
    let list = try #require(object["list"] as? [Any])
    #expect(list.count == 3)
    #expect((list[2] as? [String: Any])?["x"] as? Bool == true)
    #expect((object["empty"] as? [String: Any])?.isEmpty == true)
  }
}

@Suite struct SizeFormatTests {
  static let cases: [(UInt64, String)] = [
    (0, "0 B"), (1023, "1023 B"), (1024, "1 KiB"), (4096, "4 KiB"), (1536, "1.5 KiB"),
    (72 * 1024, "72 KiB"), (1_677_722, "1.6 MiB"), (100 << 20, "100 MiB"),
    (131_072 << 30, "128 TiB"),
    (UInt64.max, "16 EiB"),
  ]

  @Test(arguments: cases)
  func iec(bytes: UInt64, text: String) { #expect(SizeFormat.iec(bytes) == text) }

  @Test func compactAndPercent() {
    #expect(SizeFormat.compact(0) == "0")
    #expect(SizeFormat.compact(8192) == "8K")
    #expect(SizeFormat.compact(1_677_722) == "1.6M")
    #expect(SizeFormat.percent(1, of: 3) == "33.3%")
    #expect(SizeFormat.percent(1, of: 100_000) == "<0.1%")
  }
}

@Suite struct AtomicFileTests {
  func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vmmap-atomic-\(UUID())"
    ).path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  @Test func writesAndLeavesNoTemporaryFile() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/out.json"
    try AtomicFile.write(Array("first".utf8), to: path)
    try AtomicFile.write(Array("second".utf8), to: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "second")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.json"])
  }

  @Test func failureLeavesTheOldTargetUntouched() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // The target is a non-empty directory, so rename(2) must fail after the data was written.
    let path = dir + "/target"
    try FileManager.default.createDirectory(
      atPath: path + "/keep", withIntermediateDirectories: true)
    #expect(throws: VMMapError.self) { try AtomicFile.write(Array("x".utf8), to: path) }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["target"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: path) == ["keep"])
  }

  @Test func missingDirectoryIsCannotCreate() {
    do {
      try AtomicFile.write([1], to: "/nonexistent-dir-vmmap/x")
      Issue.record("expected an error")
    } catch {
      #expect(error.code == .cannotCreate)
      #expect(error.exitCode == 73)
    }
  }
}
