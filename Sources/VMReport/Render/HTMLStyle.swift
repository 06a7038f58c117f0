/// The report page's one stylesheet, inline in its `<head>`: readable prose, wide tables that
/// scroll sideways on screen, numbers right-aligned in tabular figures, light and dark (from
/// `prefers-color-scheme`), and a print layout (black on white, table heads repeated on each
/// page, rows and figures kept whole). Table cells keep their spaces (`pre-wrap`): a name is
/// shown as it is, and a long one wraps anywhere rather than widening the page.
enum HTMLStyle {
  static let css = """
    :root {
      color-scheme: light dark;
      --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --surface: #f6f8fa;
      --border: #d1d9e0; --accent: #0969da; --stripe: #f6f8fa; --note: #9a6700;
    }
    @media (prefers-color-scheme: dark) {
      :root {
        --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --surface: #161b22;
        --border: #3d444d; --accent: #4493f8; --stripe: #131920; --note: #d29922;
      }
    }
    * { box-sizing: border-box; }
    html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
    body {
      margin: 0; background: var(--bg); color: var(--fg);
      font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans",
        sans-serif;
    }
    main { max-width: 76rem; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
    main > p, main > ul, main > ol, main > blockquote, main > dl { max-width: 48rem; }
    h1, h2, h3, h4 { line-height: 1.25; font-weight: 650; }
    h1 { font-size: 2rem; margin: 0 0 1rem; }
    h2 {
      font-size: 1.5rem; margin: 2.5rem 0 .75rem; padding-bottom: .3rem;
      border-bottom: 1px solid var(--border);
    }
    h3 { font-size: 1.2rem; margin: 2rem 0 .5rem; }
    h4 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
    a { color: var(--accent); }
    code, pre {
      font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace;
      font-size: .875em;
    }
    code {
      background: var(--surface); padding: .1em .35em; border-radius: 4px;
      overflow-wrap: anywhere;
    }
    pre {
      background: var(--surface); border: 1px solid var(--border); border-radius: 6px;
      padding: .75rem 1rem; overflow-x: auto; line-height: 1.45;
    }
    pre code { background: none; padding: 0; }
    blockquote {
      margin: 1rem 0; padding: .25rem 1rem; border-left: 4px solid var(--border);
      color: var(--muted);
    }
    hr { border: 0; border-top: 1px solid var(--border); margin: 2rem 0; }
    .table-scroll { overflow-x: auto; margin: 1rem 0 1.5rem; }
    table { border-collapse: collapse; font-size: .875rem; font-variant-numeric: tabular-nums; }
    caption {
      caption-side: bottom; text-align: left; color: var(--muted); font-size: .85rem;
      padding-top: .5rem; max-width: 48rem;
    }
    th, td {
      padding: .3rem .75rem; border-bottom: 1px solid var(--border); text-align: left;
      vertical-align: top;
    }
    th {
      background: var(--surface); font-weight: 600; white-space: nowrap;
      border-bottom: 2px solid var(--border);
    }
    td { overflow-wrap: anywhere; white-space: pre-wrap; }
    tbody tr:nth-child(even) { background: var(--stripe); }
    .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    figure.figure { margin: 1.5rem 0; }
    figure.figure svg {
      display: block; max-width: 100%; height: auto; background: #ffffff; color: #1f2328;
      border: 1px solid var(--border); border-radius: 6px;
    }
    figcaption { color: var(--muted); font-size: .9rem; margin-top: .5rem; max-width: 48rem; }
    .mark-missing { color: var(--note); font-style: italic; }
    nav.toc {
      background: var(--surface); border: 1px solid var(--border); border-radius: 6px;
      padding: .75rem 1.25rem; margin: 1.5rem 0; max-width: 48rem;
    }
    .toc-title { font-weight: 600; margin: 0 0 .25rem; }
    nav.toc ol { margin: 0; padding-left: 1.4rem; }
    nav.toc a { text-decoration: none; }
    nav.toc a:hover { text-decoration: underline; }
    @media print {
      :root {
        --fg: #000000; --muted: #444444; --bg: #ffffff; --surface: #f0f0f0;
        --border: #b0b0b0; --accent: #000000; --stripe: #f6f6f6; --note: #000000;
      }
      @page { margin: 16mm 14mm; }
      body { font-size: 10.5pt; }
      main { max-width: none; padding: 0; }
      .table-scroll { overflow: visible; }
      table { font-size: 8.5pt; }
      thead { display: table-header-group; }
      tr, figure, pre, nav.toc { break-inside: avoid; }
      h1, h2, h3, h4 { break-after: avoid; }
      a { text-decoration: none; }
      * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
    }

    """
}
