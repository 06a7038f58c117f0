import VMMapCore

/// The one stylesheet every figure carries.
///
/// Inline in the HTML page, an SVG's `<style>` applies to the whole page, so every rule is
/// scoped to `svg.vmfig` and every figure carries the same rules (duplicates agree). Colours
/// follow the reader's light or dark scheme (`prefers-color-scheme`, which also works in a
/// standalone `.svg` shown as an image), and print in the light scheme. The CSS holds no `<`,
/// `>` or `&`, so it reads the same as XML text and as HTML.
enum SVGStyle {
  static let rootClass = "vmfig"

  /// The class that colours a region of `kind`: `k-` and its raw value.
  static func kindClass(_ kind: RegionKind) -> String { "k-" + kind.rawValue }

  /// Fill colours of the region kinds: mid tones that read on white and on near-black.
  static let kindColours: [(RegionKind, String)] = [
    (.executable, "#d1242f"), (.sharedLibrary, "#8250df"), (.bss, "#e16f24"),
    (.heap, "#1a7f37"), (.mainStack, "#0969da"), (.threadStack, "#54aeff"),
    (.guardPage, "#6e7781"), (.reserved, "#afb8c1"), (.mallocArena, "#4ac26b"),
    (.anonymous, "#d4a72c"), (.sharedAnonymous, "#fb8f44"), (.privateFile, "#c297ff"),
    (.sharedFile, "#6639ba"), (.memfd, "#e85aad"), (.sysvShm, "#99286e"),
    (.hugetlb, "#116329"), (.vdso, "#1b7c83"), (.vvar, "#3fb9c5"), (.vsyscall, "#0e5c63"),
    (.uprobes, "#9a6700"), (.device, "#57606a"),
  ]

  static let css: String = {
    let s = "svg.vmfig"
    var rules = [
      "\(s){font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',sans-serif;"
        + "font-size:12px}",
      "\(s) .bg{fill:#ffffff}",
      "\(s) text{fill:#1f2328}",
      "\(s) text.muted{fill:#59636e}",
      "\(s) .mono{font-family:ui-monospace,'SF Mono',Menlo,Consolas,'DejaVu Sans Mono',monospace;"
        + "font-size:10.5px}",
      "\(s) .heading{font-size:15px;font-weight:600}",
      "\(s) .strong{font-weight:600}",
      "\(s) .small{font-size:10.5px}",
      "\(s) .end{text-anchor:end}",
      "\(s) .middle{text-anchor:middle}",
      "\(s) .band{stroke:#ffffff;stroke-width:0.6}",
      "\(s) .break{fill:none;stroke:#8c959f;stroke-width:1}",
      "\(s) .gapfill{fill:#f6f8fa}",
      "\(s) .tick{stroke:#8c959f;stroke-width:1}",
      "\(s) .axis{stroke:#59636e;stroke-width:1}",
      "\(s) .grid{stroke:#d8dee4;stroke-width:0.6}",
      "\(s) .box{fill:#f6f8fa;stroke:#59636e;stroke-width:1}",
      "\(s) .frame{fill:#ddf4ff;stroke:#0969da;stroke-width:1.2}",
      "\(s) .frame.new{fill:#fff1e5;stroke:#bc4c00}",
      "\(s) .frame.hidden{fill:#f6f8fa;stroke:#8c959f;stroke-dasharray:4 3}",
      "\(s) .arrow{stroke:#1f2328;stroke-width:1.4}",
      "\(s) .arrowhead{fill:#1f2328}",
      "\(s) .divider{stroke:#d8dee4;stroke-width:1}",
      "\(s) .r0{fill:#eaeef2}",
      "\(s) .r1{fill:#b6e3ff}",
      "\(s) .r2{fill:#54aeff}",
      "\(s) .r3{fill:#0969da}",
      "\(s) .r4{fill:#0a3069}",
      "\(s) .swap{fill:#cf222e}",
      "\(s) .series-rss{fill:none;stroke:#0969da;stroke-width:2}",
      "\(s) .series-expected{fill:none;stroke:#8c959f;stroke-width:1.2;stroke-dasharray:5 4}",
      "\(s) .series-minor{fill:none;stroke:#bc4c00;stroke-width:2}",
      "\(s) .series-major{fill:none;stroke:#8250df;stroke-width:2;stroke-dasharray:2 2}",
      "\(s) .dot-rss{fill:#0969da}",
      "\(s) .dot-minor{fill:#bc4c00}",
      "\(s) .dot-major{fill:#8250df}",
      "\(s) .swatch-expected{fill:#8c959f}",
    ]
    for (kind, colour) in kindColours {
      rules.append("\(s) .\(kindClass(kind)){fill:\(colour)}")
    }
    let dark = [
      "\(s) .bg{fill:#0d1117}",
      "\(s) text{fill:#e6edf3}",
      "\(s) text.muted{fill:#9198a1}",
      "\(s) .band{stroke:#0d1117}",
      "\(s) .gapfill{fill:#161b22}",
      "\(s) .grid{stroke:#30363d}",
      "\(s) .axis{stroke:#9198a1}",
      "\(s) .box{fill:#161b22;stroke:#9198a1}",
      "\(s) .frame{fill:#0c2d6b;stroke:#4493f8}",
      "\(s) .frame.new{fill:#3d1d00;stroke:#f0883e}",
      "\(s) .frame.hidden{fill:#161b22;stroke:#6e7681}",
      "\(s) .arrow{stroke:#e6edf3}",
      "\(s) .arrowhead{fill:#e6edf3}",
      "\(s) .divider{stroke:#30363d}",
      "\(s) .r0{fill:#21262d}",
      "\(s) .r4{fill:#cae8ff}",
      "\(s) .series-rss{stroke:#4493f8}",
      "\(s) .dot-rss{fill:#4493f8}",
      "\(s) .series-minor{stroke:#f0883e}",
      "\(s) .dot-minor{fill:#f0883e}",
      "\(s) .series-major{stroke:#ab7df8}",
      "\(s) .dot-major{fill:#ab7df8}",
    ]
    // Print: back to the light scheme, whatever the screen prefers.
    let print = [
      "\(s) .bg{fill:#ffffff}",
      "\(s) text{fill:#000000}",
      "\(s) text.muted{fill:#424a53}",
      "\(s) .band{stroke:#ffffff}",
      "\(s) .gapfill{fill:#f6f8fa}",
      "\(s) .grid{stroke:#d8dee4}",
      "\(s) .axis{stroke:#424a53}",
      "\(s) .box{fill:#ffffff;stroke:#424a53}",
      "\(s) .frame{fill:#ddf4ff;stroke:#0969da}",
      "\(s) .frame.new{fill:#fff1e5;stroke:#bc4c00}",
      "\(s) .frame.hidden{fill:#ffffff;stroke:#8c959f}",
      "\(s) .arrow{stroke:#000000}",
      "\(s) .arrowhead{fill:#000000}",
      "\(s) .divider{stroke:#d8dee4}",
      "\(s) .r0{fill:#eaeef2}",
      "\(s) .r4{fill:#0a3069}",
      "\(s) .series-rss{stroke:#0969da}",
      "\(s) .dot-rss{fill:#0969da}",
      "\(s) .series-minor{stroke:#bc4c00}",
      "\(s) .dot-minor{fill:#bc4c00}",
      "\(s) .series-major{stroke:#8250df}",
      "\(s) .dot-major{fill:#8250df}",
    ]
    return "\n" + rules.joined(separator: "\n")
      + "\n@media (prefers-color-scheme: dark){\n" + dark.joined(separator: "\n") + "\n}"
      + "\n@media print{\n" + print.joined(separator: "\n") + "\n}\n"
  }()
}
