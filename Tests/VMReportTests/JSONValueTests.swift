import Foundation
import Testing

@testable import VMReport

/// The redactor's JSON tree (FoundationEssentials has no JSONSerialization): every value comes
/// back as it went in, integers with every digit.
@Suite struct JSONValueTests {
  @Test func roundTripKeepsEveryValue() throws {
    let text = """
      {"max":18446744073709551615,"min":-9223372036854775808,"zero":0,"half":0.5,
       "big":1e300,"t":true,"f":false,"n":null,"s":"a\\u0000b\\"é","empty":{},"list":[1,"x",[],null],
       "nameBytes":"2f746d70"}
      """
    let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    guard case .object(let object) = value else {
      Issue.record("not an object: \(value)")
      return
    }
    #expect(object["max"] == .unsigned(UInt64.max))
    #expect(object["min"] == .integer(Int64.min))
    #expect(object["zero"] == .integer(0))
    #expect(object["half"] == .double(0.5))
    #expect(object["big"] == .double(1e300))
    #expect(object["t"] == .bool(true))
    #expect(object["f"] == .bool(false))
    #expect(object["n"] == .null)
    #expect(object["s"] == .string("a\u{0}b\"é"))
    #expect(object["empty"] == .object([:]))
    #expect(object["list"] == .array([.integer(1), .string("x"), .array([]), .null]))
    let again = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    #expect(again == value)
    // The same numbers, read independently.
    let reread = try #require(
      try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? [String: Any])
    #expect((reread["max"] as? NSNumber)?.uint64Value == UInt64.max)
    #expect((reread["min"] as? NSNumber)?.int64Value == Int64.min)
  }
}
