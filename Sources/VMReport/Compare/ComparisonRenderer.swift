import FoundationEssentials
import VMMapCore

/// Renders a `Comparison` through `compare.md` (Markdown, HTML) or as its JSON model: the same
/// stages, escaping and safety as the report.
public struct ComparisonRenderer {
  /// Template sources by name (`compare.md`); nil for the built-in ones.
  public var templates: [String: String]?

  public init(templates: [String: String]? = nil) {
    self.templates = templates
  }

  /// The Mustache context: every value from the inputs escaped for Markdown here.
  static func context(_ c: Comparison) -> [String: Any] {
    func code(_ s: String) -> String { MarkdownEscape.escape(s, as: .code) }
    func md(_ s: String) -> String { MarkdownEscape.escape(s) }
    var x: [String: Any] = [:]
    x["aSource"] = code(c.a.source)
    x["bSource"] = code(c.b.source)
    x["aDescription"] = md(c.a.description)
    x["bDescription"] = md(c.b.description)
    x["result"] = md(
      c.differences == 0
        ? "no differences"
        : "\(c.differences) difference\(c.differences == 1 ? "" : "s")"
          + (c.thresholds.isEmpty
            ? ""
            : c.thresholdCrossed ? ", a threshold was crossed" : ", no threshold crossed"))
    x["isReport"] = c.inputs == "report"
    x["machineSame"] = c.machine.isEmpty
    let measures = c.experiments.flatMap(\.measures)
    x["changedMeasures"] = "\(measures.filter(\.changed).count)"
    x["totalMeasures"] = "\(measures.count)"
    x["layouts"] = c.layouts.map { l -> [String: Any] in
      [
        "role": l.role, "hasKinds": !l.kinds.isEmpty, "hasAdded": !l.added.isEmpty,
        "added": "\(l.added.count)", "hasRemoved": !l.removed.isEmpty,
        "removed": "\(l.removed.count)", "hasChanged": !l.changed.isEmpty,
        "changed": "\(l.changed.count)", "unchanged": "\(l.unchanged)",
        "writableExecutable": l.becameWritableExecutable.map(code),
      ]
    }
    x["hasThresholds"] = !c.thresholds.isEmpty
    return x
  }

  func stage(_ c: Comparison) throws(VMMapError) -> (String, ComparisonTables) {
    let markdown = try MarkdownTemplates.render(
      "compare.md", Self.context(c), sources: templates ?? MarkdownTemplates.embedded)
    return (markdown, ComparisonTables(comparison: c))
  }

  public func markdown(_ c: Comparison) throws(VMMapError) -> MarkdownReport {
    let (markdown, tables) = try stage(c)
    return try MarkdownReportRenderer().render(markdown: markdown, marks: tables)
  }

  public func html(_ c: Comparison, generator: String) throws(VMMapError) -> [UInt8] {
    let (markdown, tables) = try stage(c)
    return try HTMLDocumentRenderer(
      title: "Comparison of \(c.a.source) and \(c.b.source)",
      metadata: [
        .init(name: "generator", content: generator),
        .init(name: "description", content: "What changed between two vmmap measurements"),
      ]
    ).render(markdown: markdown, marks: tables)
  }

  /// The model as pretty JSON with sorted keys (docs/schema/compare.schema.json).
  public static func json(_ c: Comparison) throws(VMMapError) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do {
      return Array(try encoder.encode(c)) + [UInt8(ascii: "\n")]
    } catch {
      throw VMMapError(.internalError, what: "the comparison model", why: "\(error)")
    }
  }
}
