import Foundation
import VMMapCore

/// Machine facts as `key.path → value for people`, from their JSON: a fact added to
/// `MachineFacts` is flattened (and so compared) without a change here.
enum FactFlattener {
  /// Facts in bytes, shown in IEC units.
  static let byteFacts: Set<String> = [
    "memory.total", "memory.available", "memory.swapTotal", "paging.pageSize",
    "paging.hugePageSizes", "settings.thpSize",
  ]
  /// Facts that are addresses, shown in hexadecimal.
  static let addressFacts: Set<String> = ["paging.userTop", "settings.mmapMinAddress"]

  static func flatten(_ facts: MachineFacts) -> [String: String] {
    guard let data = try? JSONEncoder().encode(facts),
      let value = try? JSONDecoder().decode(JSONValue.self, from: data)
    else { return [:] }
    var out: [String: String] = [:]
    walk(value, key: "", into: &out)
    return out
  }

  static func walk(_ value: JSONValue, key: String, into out: inout [String: String]) {
    switch value {
    case .object(let dict):
      for (k, v) in dict { walk(v, key: key.isEmpty ? k : key + "." + k, into: &out) }
    case .array(let items):
      out[key] = items.map { scalar($0, key: key) }.joined(separator: ", ")
    case .null:
      return
    default:
      out[key] = scalar(value, key: key)
    }
  }

  static func scalar(_ value: JSONValue, key: String) -> String {
    switch value {
    case .string(let s): return s
    case .bool(let b): return b ? "yes" : "no"
    case .unsigned(let u):
      if byteFacts.contains(key) { return SizeFormat.iec(u) }
      if addressFacts.contains(key) { return "0x" + String(u, radix: 16) }
      return String(u)
    case .signed(let i): return String(i)
    case .double(let d): return "\(d)"
    case .null: return "none"
    case .array, .object: return "…"
    }
  }
}

/// Any JSON value, decoded without Foundation's number bridging (a Bool stays a Bool, a
/// UInt64 keeps its 64 bits).
enum JSONValue: Decodable, Equatable {
  case null
  case bool(Bool)
  case unsigned(UInt64)
  case signed(Int64)
  case double(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      self = .null
    } else if let b = try? c.decode(Bool.self) {
      self = .bool(b)
    } else if let u = try? c.decode(UInt64.self) {
      self = .unsigned(u)
    } else if let i = try? c.decode(Int64.self) {
      self = .signed(i)
    } else if let d = try? c.decode(Double.self) {
      self = .double(d)
    } else if let s = try? c.decode(String.self) {
      self = .string(s)
    } else if let a = try? c.decode([JSONValue].self) {
      self = .array(a)
    } else {
      self = .object(try c.decode([String: JSONValue].self))
    }
  }
}
