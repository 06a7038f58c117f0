/// Word wrapping for the experiments' text narratives.

/// Units kept on the line of their number.
let unitsKeptWithNumbers: Set<Substring> = ["B", "kB", "KiB", "MiB", "GiB", "TiB", "µs"]

/// Greedy word wrap; a number and its unit stay together.
func wrapText(_ text: String, width: Int, first: String, rest: String) -> [String] {
  var words: [Substring] = []
  for word in text.split(separator: " ") {
    let unit = unitsKeptWithNumbers.contains(
      word.prefix { $0 != ")" && $0 != "," && $0 != "." && $0 != ":" && $0 != ";" })
    if unit, let last = words.last {
      words[words.count - 1] = Substring(last + " " + word)
    } else {
      words.append(word)
    }
  }
  var lines: [String] = []
  var line = first
  var empty = true
  for word in words {
    if !empty && line.count + 1 + word.count > width {
      lines.append(line)
      line = rest
      empty = true
    }
    line += (empty ? "" : " ") + word
    empty = false
  }
  lines.append(line)
  return lines
}
