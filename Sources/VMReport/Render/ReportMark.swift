import VMMapCore

/// A mark in a template (DESIGN.md, "Rendering, safely"): a fenced code block whose info string
/// starts with the word `vmmap`. `vmmap table=NAME` and `vmmap figure=NAME` stand for a table or
/// a figure; anything else after `vmmap` is a template mistake, shown as a visible note.
enum ReportMark: Hashable, Sendable {
  case table(String)
  case figure(String)
  /// A `vmmap` info string that names neither (the info string, as written).
  case unknown(String)

  /// The mark an info string makes, or nil when it does not start with the word `vmmap` (an
  /// ordinary code block).
  init?(info: some StringProtocol) {
    let words = info.split(whereSeparator: { $0 == " " || $0 == "\t" })
    guard words.first == "vmmap" else { return nil }
    for word in words.dropFirst() {
      if word.hasPrefix("table="), word.count > "table=".count {
        self = .table(String(word.dropFirst("table=".count)))
        return
      }
      if word.hasPrefix("figure="), word.count > "figure=".count {
        self = .figure(String(word.dropFirst("figure=".count)))
        return
      }
    }
    self = .unknown(String(info))
  }

  /// Whether `name` can be a figure's file name (`NAME.svg` beside the report): a letter or
  /// digit, then letters, digits, `.`, `_` or `-`, at most 100 of them. Figure names come from
  /// templates, but a file name is never built from unchecked text.
  static func isFileName(_ name: String) -> Bool {
    guard let first = name.utf8.first, name.utf8.count <= 100 else { return false }
    func allowed(_ b: UInt8) -> Bool {
      switch b {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
      case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"): return true
      default: return false
      }
    }
    return first != UInt8(ascii: ".") && first != UInt8(ascii: "-") && first != UInt8(ascii: "_")
      && name.utf8.allSatisfy(allowed)
  }
}

extension ReportTable {
  /// Checks that every row has one cell per column: a table built otherwise is a bug in vmmap,
  /// and each stage would show it differently (GitHub drops extra cells, HTML keeps them).
  func check(named name: String) throws(VMMapError) {
    if columns.isEmpty {
      throw VMMapError(
        .internalError, what: "table \(name)", why: "it has no columns",
        fix: "report this as a vmmap bug")
    }
    for (k, row) in rows.enumerated() where row.count != columns.count {
      throw VMMapError(
        .internalError, what: "table \(name)",
        why: "row \(k + 1) has \(row.count) cells for \(columns.count) columns",
        fix: "report this as a vmmap bug")
    }
  }
}
