import VMMapCore

/// The last step of every figure: serialise, validate, wrap.
enum SVGFigure {
  static func finish(_ document: SVGDocument, name: String, title: String) throws(VMMapError)
    -> ReportFigure
  {
    let bytes = document.serialize()
    try SVGValidator.validate(bytes, figure: name)
    return ReportFigure(name: name, title: title, svg: bytes)
  }

  /// A row of legend entries (a swatch and its text) from `x`, wrapping at `width`; returns the
  /// y below the last row.
  static func legend(
    _ entries: [(swatchClass: String, text: String)], in parent: SVGElement, x: Double, y: Double,
    width: Double, entryWidth: Double = 150
  ) -> Double {
    let perRow = max(1, Int(width / entryWidth))
    for (i, entry) in entries.enumerated() {
      let ex = x + Double(i % perRow) * entryWidth
      let ey = y + Double(i / perRow) * 18
      parent.add("rect", ["class": entry.swatchClass, "rx": "2"])
        .set("x", ex).set("y", ey).set("width", 12).set("height", 12)
      parent.add("text", ["class": "small"]).set("x", ex + 17).set("y", ey + 10).text(entry.text)
    }
    let rows = (entries.count + perRow - 1) / perRow
    return y + Double(rows) * 18
  }
}
