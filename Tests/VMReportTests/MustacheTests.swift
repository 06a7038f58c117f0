import Testing

@testable import VMReport

/// vmmap's Mustache subset, against the spec's rules for what it supports.
@Suite struct MustacheTests {
  func render(_ template: String, _ context: [String: Any]) throws -> String {
    try MustacheTemplate(template).render(context)
  }

  @Test func variablesAreNotEscaped() throws {
    #expect(try render("a {{x}} b {{ y }}", ["x": "<&>", "y": 42]) == "a <&> b 42")
    #expect(try render("[{{missing}}]", [:]) == "[]")
    #expect(try render("{{a.b.c}}", ["a": ["b": ["c": "deep"]]]) == "deep")
  }

  @Test func sectionsFollowTheValue() throws {
    #expect(try render("{{#t}}yes{{/t}}{{#f}}no{{/f}}", ["t": true, "f": false]) == "yes")
    #expect(try render("{{#l}}<{{.}}>{{/l}}", ["l": ["a", "b"]]) == "<a><b>")
    #expect(try render("{{#l}}x{{/l}}", ["l": [String]()]) == "")
    #expect(try render("{{#d}}{{k}}{{/d}}", ["d": ["k": "v"]]) == "v")
    // A name not in the innermost context is found outside it.
    #expect(try render("{{#d}}{{outer}}{{/d}}", ["d": ["k": "v"], "outer": "o"]) == "o")
    // A string section renders once, with the string as its context.
    #expect(try render("{{#s}}({{s}}){{/s}}", ["s": "text"]) == "(text)")
    let none: String? = nil
    #expect(try render("{{#n}}x{{/n}}{{^n}}none{{/n}}", ["n": none as Any]) == "none")
    #expect(try render("{{^l}}empty{{/l}}", ["l": [Int]()]) == "empty")
  }

  @Test func standaloneTagsTakeTheirLine() throws {
    let template = "a\n  {{#s}}\nin\n  {{/s}}  \n{{! note }}\nb\n{{^s}}\nnot\n{{/s}}\n"
    #expect(try render(template, ["s": true]) == "a\nin\nb\n")
    // Not alone on its line: the line stays.
    #expect(try render("x {{#s}}y{{/s}}\nz", ["s": true]) == "x y\nz")
    #expect(try render("{{#s}}\r\nwin\r\n{{/s}}\r\n", ["s": true]) == "win\r\n")
  }

  @Test(arguments: [
    "{{#a}}unclosed", "{{/a}}", "{{#a}}{{/b}}", "{{> partial}}", "{{=<% %>=}}", "{{x",
  ])
  func unsupportedOrBrokenTemplatesAreErrors(_ template: String) {
    #expect(throws: MustacheTemplate.SyntaxError.self) { try MustacheTemplate(template) }
  }
}
