import Testing
import VMMapCore

@testable import VMReport

@Suite struct RedactorTests {
  let redactor = Redactor(
    hostname: "build-7",
    users: [.init(name: "root", home: "/root"), .init(name: "alice", home: "/home/alice")])

  @Test(arguments: [
    ("/home/alice/bin/tool", "/home/user2/bin/tool"),
    ("/root/.cache/x.so", "/home/user1/.cache/x.so"),
    ("alice ran it on build-7", "user2 ran it on host"),
    // Only whole words: a longer name that contains a user or the host stays.
    ("malice build-70 alice_x", "malice build-70 alice_x"),
    ("/home/alicex/file", "/home/alicex/file"),
    ("owner: root.", "owner: user1."),
  ])
  func replacesWholeNamesAndHomePrefixes(input: String, expected: String) {
    #expect(String(decoding: redactor.redact(bytes: Array(input.utf8)), as: UTF8.self) == expected)
  }

  @Test func invalidUTF8IsRedactedByteForByte() {
    let bytes = Array("/home/alice/".utf8) + [0xff, 0xfe]
    #expect(redactor.redact(bytes: bytes) == Array("/home/user2/".utf8) + [0xff, 0xfe])
  }

  @Test func argumentsBecomePlaceholders() {
    #expect(
      Redactor.redactArguments(["/usr/bin/ssh", "alice@secret", "-p", "22"]) == [
        "/usr/bin/ssh", "<arg 1>", "<arg 2>", "<arg 3>",
      ])
    #expect(Redactor.redactArguments([]) == [])
  }
}
