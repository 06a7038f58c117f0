import FoundationEssentials
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

  static func unsigned(_ u: UInt64, key: String) -> String {
    if byteFacts.contains(key) { return SizeFormat.iec(u) }
    if addressFacts.contains(key) { return "0x" + String(u, radix: 16) }
    return String(u)
  }

  static func scalar(_ value: JSONValue, key: String) -> String {
    switch value {
    case .string(let s): return s
    case .bool(let b): return b ? "yes" : "no"
    case .integer(let i) where i >= 0: return unsigned(UInt64(i), key: key)
    case .unsigned(let u): return unsigned(u, key: key)
    case .integer(let i): return String(i)
    case .double(let d): return "\(d)"
    case .null: return "none"
    case .array, .object: return "…"
    }
  }
}
