import CLibXML2
import VMMapCore

extension HTMLFragmentBuilder {
  /// A mark's table: `<div class="table-scroll"><table>` with a caption, a head row of
  /// `<th scope="col">` and one body row per row; right-aligned columns carry `class="num"`.
  func table(_ table: ReportTable) -> String {
    let wrapper = element("div", [("class", "table-scroll")])
    let t = append("table", to: wrapper)
    if let caption = table.caption { append("caption", text: caption, to: t) }
    let head = append("tr", to: append("thead", to: t))
    func alignment(_ k: Int) -> [(String, String)] {
      table.columns[k].alignment == .right ? [("class", "num")] : []
    }
    for (k, column) in table.columns.enumerated() {
      append("th", [("scope", "col")] + alignment(k), text: column.title, to: head)
    }
    let body = append("tbody", to: t)
    for row in table.rows {
      let tr = append("tr", to: body)
      for (k, cell) in row.enumerated() {
        append("td", k < table.columns.count ? alignment(k) : [], text: cell, to: tr)
      }
    }
    return serialize(wrapper)
  }

  /// A mark's figure: `<figure class="figure">`, the checked `<svg>` (labelled with the figure's
  /// title for screen readers) and a `<figcaption>`.
  func figure(_ figure: ReportFigure) throws(VMMapError) -> String {
    let svg = try InlineSVG.markup(figure, labelled: true)
    let caption = serialize(element("figcaption", text: figure.title))
    return "<figure class=\"figure\">\n" + svg + "\n" + caption + "</figure>"
  }

  /// A visible note where a mark could not be filled (`(no table named x)`).
  func note(_ text: String) -> String {
    serialize(element("p", [("class", "mark-missing")], text: text))
  }

  /// The table of contents: `<nav>` with a nested ordered list of links to the headings.
  func tableOfContents(_ entries: [(level: Int, text: String, id: String)]) -> String {
    let nav = element("nav", [("class", "toc"), ("aria-label", "Contents")])
    append("p", [("class", "toc-title")], text: "Contents", to: nav)
    let top = entries.map(\.level).min() ?? 2
    var lists = [append("ol", to: nav)]
    var lastItem: Node?
    for entry in entries {
      let depth = entry.level - top
      while lists.count <= depth, let item = lastItem {
        lists.append(append("ol", to: item))
        lastItem = nil
      }
      while lists.count > depth + 1 { lists.removeLast() }
      // swift-format-ignore: NeverForceUnwrap
      // `lists` always keeps its first element.
      let item = append("li", to: lists.last!)
      append("a", [("href", "#" + entry.id)], text: entry.text, to: item)
      lastItem = item
    }
    return serialize(nav)
  }
}
