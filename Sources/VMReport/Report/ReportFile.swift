import FoundationEssentials
import Glibc
import VMMapCore

/// A report model as a JSON file: written by `vmmap report --format json`, read by `render`.
public enum ReportFile {
  /// The model as pretty JSON with sorted keys (the same model gives the same bytes).
  public static func encode(_ report: Report) throws(VMMapError) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do {
      return Array(try encoder.encode(report)) + [UInt8(ascii: "\n")]
    } catch {
      throw VMMapError(.internalError, what: "the report model", why: "\(error)")
    }
  }

  /// Reads a saved model: a newer `schemaVersion` is refused before anything else is decoded.
  public static func read(path: String) throws(VMMapError) -> Report {
    let bytes: [UInt8]
    do {
      bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      let code = (error as? CocoaError)?.code
      let kind: VMMapError.Code =
        code == .fileReadNoSuchFile
        ? .noInput : code == .fileReadNoPermission ? .permissionDenied : .ioError
      let why =
        kind == .noInput
        ? "no such file" : kind == .permissionDenied ? "permission denied" : "cannot read it"
      throw VMMapError(
        kind, what: path, why: why, fix: "give a file written by vmmap report --json")
    }
    return try decode(bytes, source: path)
  }

  public static func decode(_ bytes: [UInt8], source: String) throws(VMMapError) -> Report {
    struct Version: Decodable { var schemaVersion: Int }
    let data = Data(bytes)
    let version: Int
    do {
      version = try JSONDecoder().decode(Version.self, from: data).schemaVersion
    } catch {
      throw VMMapError(
        .badData, what: source, why: "not a vmmap report (no schemaVersion: \(brief(error)))",
        fix: "give a file written by vmmap report --json")
    }
    guard version <= Report.currentSchemaVersion else {
      throw VMMapError(
        .badData, what: source,
        why:
          "schemaVersion \(version) is newer than this vmmap reads (\(Report.currentSchemaVersion))",
        fix: "render it with a newer vmmap")
    }
    do {
      return try JSONDecoder().decode(Report.self, from: data)
    } catch {
      throw VMMapError(
        .badData, what: source, why: "not a valid report: \(brief(error))",
        fix: "give a file written by vmmap report --json")
    }
  }

  /// A decoding error in one line: what is wrong and where.
  static func brief(_ error: any Error) -> String {
    guard let e = error as? DecodingError else { return "\(error)" }
    func path(_ c: DecodingError.Context) -> String {
      let p = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
      return p.isEmpty ? "" : " at \(p)"
    }
    switch e {
    case .dataCorrupted(let c): return c.debugDescription + path(c)
    case .keyNotFound(let key, let c): return "missing \(key.stringValue)" + path(c)
    case .typeMismatch(_, let c), .valueNotFound(_, let c): return c.debugDescription + path(c)
    @unknown default: return "\(error)"
    }
  }
}
