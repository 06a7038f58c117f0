import Testing

@testable import VMMapCore

/// Sizes read as dd reads them (DESIGN.md): IEC for a bare letter or `…iB`, SI for `…B`.
@Suite struct ByteSizeTests {
  @Test(
    arguments: [
      ("100M", 100 << 20), ("100MiB", 100 << 20), ("100MB", 100_000_000), ("4K", 4096),
      ("4k", 4096), ("4KiB", 4096), ("4kB", 4000), ("4KB", 4000), ("1G", 1 << 30),
      ("1GB", 1_000_000_000), ("2T", 2 << 40), ("1P", 1 << 50), ("1E", 1 << 60), ("512", 512),
      ("0", 0), ("2b", 1024), ("3w", 6), ("7c", 7),
    ] as [(String, UInt64)])
  func parses(text: String, bytes: UInt64) throws {
    #expect(try ByteSize.parse(text) == bytes)
  }

  @Test(arguments: [
    "", "M", "1.5M", "-1M", "10XB", "100 M", " 100M", "0x10", "1MiBs", "1mib", "1m", "1Mi",
  ])
  func malformedIsAUsageError(text: String) {
    #expect(throws: VMMapError.self) { try ByteSize.parse(text) }
    do {
      _ = try ByteSize.parse(text)
    } catch {
      #expect(error.code == .usage)
      #expect(error.exitCode == 64)
      #expect(error.description.hasPrefix("--size '\(text)': not a size ("))
    }
  }

  @Test(arguments: ["16E", "18446744073709551616", "99999999999999999999K", "20000P"])
  func pastTwoToTheSixtyFourIsAUsageError(text: String) {
    do {
      _ = try ByteSize.parse(text)
      Issue.record("\(text) parsed")
    } catch {
      #expect(error.code == .usage)
      #expect(error.why == "more than 2^64 - 1 bytes")
    }
  }
}
