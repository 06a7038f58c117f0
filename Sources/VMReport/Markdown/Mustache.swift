import VMMapCore

/// The Mustache vmmap's templates use, rendered without HTML escaping (values reach a
/// Markdown template already escaped for Markdown): variables `{{name}}` and `{{a.b}}`,
/// `{{.}}`, sections `{{#name}}…{{/name}}` (false, nil, an empty list or a missing name
/// render nothing; a list renders once per element; anything else once, as the context),
/// inverted sections `{{^name}}…{{/name}}` and comments `{{! … }}`. A section, inverted,
/// closing or comment tag alone on its line takes the line with it (the spec's standalone
/// rule). Partials, delimiter changes and lambdas are not supported: a template using them is
/// an error, not silently wrong output.
///
/// Written for vmmap instead of depending on swift-mustache, whose directory loading links
/// full Foundation and with it ICU's data into a static binary (issue 11).
struct MustacheTemplate {
  indirect enum Node {
    case text(Substring)
    case variable([Substring])
    case section([Substring], inverted: Bool, [Node])
  }

  struct SyntaxError: Error, CustomStringConvertible {
    var description: String
  }

  let nodes: [Node]

  init(_ source: String) throws(SyntaxError) {
    var parser = Parser(source: source)
    nodes = try parser.parse()
  }

  func render(_ context: Any) -> String {
    var out = ""
    Self.render(nodes, stack: [context], into: &out)
    return out
  }

  // MARK: rendering

  static func render(_ nodes: [Node], stack: [Any], into out: inout String) {
    for node in nodes {
      switch node {
      case .text(let t):
        out += t
      case .variable(let path):
        if let value = lookup(path, in: stack) { out += string(value) }
      case .section(let path, let inverted, let children):
        let value = lookup(path, in: stack)
        let items = elements(value)
        if inverted {
          if items.isEmpty { render(children, stack: stack, into: &out) }
        } else {
          for item in items { render(children, stack: stack + [item], into: &out) }
        }
      }
    }
  }

  /// What a section iterates: nothing for false, nil or an empty list; the elements of a
  /// list; the value itself otherwise.
  static func elements(_ value: Any?) -> [Any] {
    guard let value = unwrap(value) else { return [] }
    if let b = value as? Bool { return b ? [b] : [] }
    if let list = value as? [Any] { return list }
    return [value]
  }

  /// `.` is the innermost context; `a.b` finds `a` from the innermost context outwards, then
  /// `b` inside it.
  static func lookup(_ path: [Substring], in stack: [Any]) -> Any? {
    guard let first = path.first else { return nil }
    if first == "." { return stack.last }
    var value: Any?
    for context in stack.reversed() {
      if let dictionary = unwrap(context) as? [String: Any], let v = dictionary[String(first)] {
        value = v
        break
      }
    }
    for key in path.dropFirst() {
      guard let dictionary = unwrap(value) as? [String: Any] else { return nil }
      value = dictionary[String(key)]
    }
    return unwrap(value)
  }

  /// An optional inside `Any` (a dictionary value of type `String?`) as itself or nil.
  static func unwrap(_ value: Any?) -> Any? {
    guard let value else { return nil }
    if let optional = value as? OptionalProtocol { return optional.wrapped }
    return value
  }

  static func string(_ value: Any) -> String {
    if let s = value as? String { return s }
    if let s = value as? Substring { return String(s) }
    if let s = value as? CustomStringConvertible { return s.description }
    return ""
  }

  // MARK: parsing

  struct Parser {
    let source: String
    var tokens: [(kind: Character?, name: Substring, range: Range<String.Index>)] = []

    init(source: String) { self.source = source }

    mutating func parse() throws(SyntaxError) -> [Node] {
      try tokenize()
      var stack: [(path: [Substring], inverted: Bool, nodes: [Node])] = [([], false, [])]
      var position = source.startIndex
      for token in tokens {
        let (start, end) = standaloneRange(token)
        if position < start { stack[stack.count - 1].nodes.append(.text(source[position..<start])) }
        position = end
        let path = token.name == "." ? [token.name] : token.name.split(separator: ".")
        switch token.kind {
        case nil:
          stack[stack.count - 1].nodes.append(.variable(path))
        case "#", "^":
          stack.append((path, token.kind == "^", []))
        case "/":
          guard stack.count > 1, stack[stack.count - 1].path == path else {
            throw SyntaxError(description: "{{/\(token.name)}} closes no open section")
          }
          let section = stack.removeLast()
          stack[stack.count - 1].nodes.append(
            .section(section.path, inverted: section.inverted, section.nodes))
        case "!":
          break
        default:
          throw SyntaxError(
            description: "{{\(token.kind!)…}} (\(token.name)) is not supported by vmmap's Mustache")
        }
      }
      if position < source.endIndex {
        stack[stack.count - 1].nodes.append(.text(source[position...]))
      }
      guard stack.count == 1 else {
        throw SyntaxError(
          description: "{{#\(stack[stack.count - 1].path.joined(separator: "."))}} is never closed")
      }
      return stack[0].nodes
    }

    /// Every `{{…}}` with its kind (`#`, `^`, `/`, `!`, `>`, `=`, `{`, `&`, `%`, or nil for a
    /// variable) and its trimmed name.
    mutating func tokenize() throws(SyntaxError) {
      var i = source.startIndex
      while let open = source[i...].firstRange(of: "{{") {
        guard let close = source[open.upperBound...].firstRange(of: "}}") else {
          throw SyntaxError(description: "a {{ without its }}")
        }
        var inner = source[open.upperBound..<close.lowerBound]
        var kind: Character?
        if let c = inner.first, "#^/!>={&%".contains(c) {
          kind = c
          inner = inner.dropFirst()
        }
        var end = close.upperBound
        if kind == "{" {
          // {{{name}}}: its third brace.
          guard source[end...].hasPrefix("}") else {
            throw SyntaxError(description: "{{{ without }}}")
          }
          end = source.index(after: end)
        }
        tokens.append((kind, kind == "!" ? inner : trimmed(inner), open.lowerBound..<end))
        i = end
      }
    }

    /// A section, inverted, closing or comment tag alone on its line stands for the whole
    /// line, its end of line included; any other tag for itself.
    func standaloneRange(_ token: (kind: Character?, name: Substring, range: Range<String.Index>))
      -> (String.Index, String.Index)
    {
      guard let kind = token.kind, "#^/!".contains(kind) else {
        return (token.range.lowerBound, token.range.upperBound)
      }
      var lineStart = token.range.lowerBound
      while lineStart > source.startIndex {
        let before = source.index(before: lineStart)
        if source[before] == "\n" || source[before] == "\r\n" { break }
        guard source[before] == " " || source[before] == "\t" else {
          return (token.range.lowerBound, token.range.upperBound)
        }
        lineStart = before
      }
      var lineEnd = token.range.upperBound
      while lineEnd < source.endIndex, source[lineEnd] == " " || source[lineEnd] == "\t" {
        lineEnd = source.index(after: lineEnd)
      }
      if lineEnd == source.endIndex { return (lineStart, lineEnd) }
      // "\r\n" is one Character in Swift.
      guard source[lineEnd] == "\n" || source[lineEnd] == "\r\n" else {
        return (token.range.lowerBound, token.range.upperBound)
      }
      return (lineStart, source.index(after: lineEnd))
    }

    func trimmed(_ s: Substring) -> Substring {
      var t = s
      while t.first == " " { t = t.dropFirst() }
      while t.last == " " { t = t.dropLast() }
      return t
    }
  }
}

/// Lets `unwrap` see through an `Optional` stored in `Any`.
protocol OptionalProtocol {
  var wrapped: Any? { get }
}

extension Optional: OptionalProtocol {
  var wrapped: Any? { self.map { $0 as Any } }
}
