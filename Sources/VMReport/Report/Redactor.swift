import FoundationEssentials
import Glibc
import VMMapCore

/// `--redact`: a report for a ticket without the hostname, user names, home directories or
/// command-line arguments. Kinds, sizes, permissions and counts stay. Placeholders are stable
/// on one machine: users are numbered in /etc/passwd order (`user1`, `user2`, …), their home
/// directories become `/home/userN`, the hostname `host`, and every argument after the
/// program `<arg N>`.
public struct Redactor: Sendable {
  public struct User: Hashable, Sendable {
    public var name: String
    public var home: String
    public init(name: String, home: String) {
      self.name = name
      self.home = home
    }
  }

  public var hostname: String
  public var users: [User]

  public static let hostPlaceholder = "host"

  public init(hostname: String, users: [User]) {
    self.hostname = hostname
    self.users = users
  }

  /// The hostname and the login users (uid 0 and uid ≥ 1000 with a real home) of this machine.
  public static func forThisMachine() -> Redactor {
    var name = [UInt8](repeating: 0, count: 256)
    gethostname(&name, name.count - 1)
    let hostname = String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
    var users: [User] = []
    setpwent()
    while let entry = getpwent() {
      let uid = entry.pointee.pw_uid
      guard uid == 0 || (uid >= 1000 && uid < 65534) else { continue }
      let home = String(cString: entry.pointee.pw_dir)
      guard home.count > 1, home != "/nonexistent" else { continue }
      users.append(User(name: String(cString: entry.pointee.pw_name), home: home))
    }
    endpwent()
    return Redactor(hostname: hostname, users: users)
  }

  /// The pairs replaced, longest first (a home directory before the user name inside it).
  var replacements: [(from: [UInt8], to: [UInt8], wholeWord: Bool)] {
    var pairs: [(from: [UInt8], to: [UInt8], wholeWord: Bool)] = []
    for (i, u) in users.enumerated() {
      pairs.append((Array(u.home.utf8), Array("/home/user\(i + 1)".utf8), false))
      pairs.append((Array(u.name.utf8), Array("user\(i + 1)".utf8), true))
    }
    if !hostname.isEmpty {
      pairs.append((Array(hostname.utf8), Array(Self.hostPlaceholder.utf8), true))
    }
    return pairs.sorted { $0.from.count > $1.from.count }
  }

  /// `report` with every string redacted, command lines reduced to the program, and
  /// `options.redacted` set.
  public func redact(_ report: Report) throws(VMMapError) -> Report {
    var report = report
    report.options.redacted = true
    report.machine.hostname = Self.hostPlaceholder
    if let command = report.specimen?.result?.command {
      report.specimen?.result?.command = Self.redactArguments(command)
    }
    if let command = report.process?.result?.command {
      report.process?.result?.command = Self.redactArguments(command)
    }
    do {
      let data = try JSONEncoder().encode(report)
      let tree = try JSONDecoder().decode(JSONValue.self, from: data)
      let back = try JSONEncoder().encode(transform(tree, key: nil))
      return try JSONDecoder().decode(Report.self, from: back)
    } catch {
      throw VMMapError(.internalError, what: "redacting the report", why: "\(error)")
    }
  }

  static func redactArguments(_ command: [String]) -> [String] {
    guard let program = command.first else { return [] }
    return [program] + command.indices.dropFirst().map { "<arg \($0)>" }
  }

  func transform(_ value: JSONValue, key: String?) -> JSONValue {
    switch value {
    case .string(let s):
      // `…Bytes` fields hold a name's bytes in hex (names that are not UTF-8).
      if let key, key.hasSuffix("Bytes"), let bytes = Self.unhex(s) {
        return .string(Self.hex(redact(bytes: bytes)))
      }
      return .string(String(decoding: redact(bytes: Array(s.utf8)), as: UTF8.self))
    case .array(let array):
      return .array(array.map { transform($0, key: nil) })
    case .object(let object):
      var out: [String: JSONValue] = [:]
      for (k, v) in object { out[k] = transform(v, key: k) }
      return .object(out)
    case .null, .bool, .integer, .unsigned, .double:
      return value
    }
  }

  /// Replaces every occurrence: user names and the hostname as whole words (not inside a
  /// longer run of letters, digits, `_` or `-`), home directories as whole path components.
  public func redact(bytes: [UInt8]) -> [UInt8] {
    var out = bytes
    for (from, to, wholeWord) in replacements where !from.isEmpty {
      var result: [UInt8] = []
      result.reserveCapacity(out.count)
      var i = 0
      while i < out.count {
        if out[i] == from[0], i + from.count <= out.count,
          out[i..<(i + from.count)].elementsEqual(from),
          // A home directory ends where a path component ends; a name is a whole word.
          i + from.count == out.count || !Self.isWordByte(out[i + from.count]),
          !wholeWord || i == 0 || !Self.isWordByte(out[i - 1])
        {
          result += to
          i += from.count
        } else {
          result.append(out[i])
          i += 1
        }
      }
      out = result
    }
    return out
  }

  static func isWordByte(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x5f
      || b == 0x2d || b >= 0x80
  }

  static func unhex(_ s: String) -> [UInt8]? {
    let digits = Array(s.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    var i = 0
    while i < digits.count {
      guard let b = UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16) else {
        return nil
      }
      out.append(b)
      i += 2
    }
    return out
  }

  static func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
  }
}
