import CVMProbes
import Glibc

/// `vmmap __touch PAGES`: a known workload for `--sample`. It maps PAGES fresh 4 KiB pages of
/// private anonymous memory between two PROT_NONE pages (so no neighbour merges with it),
/// without transparent huge pages, writes one byte to each page (one minor fault each), prints
/// `REGION 0x<start> 0x<end>` (unless the second word is `quiet`) and exits 0.
public enum TouchProgram {
  /// The report's short `--sample` run: 1,024 pages (4 MiB), quiet (stdout is the sandbox's
  /// result pipe).
  public static let reportPages = 1024
  public static var reportCommand: [String] {
    ["/proc/self/exe", "__touch", "\(reportPages)", "quiet"]
  }

  public static func main(arguments: [String]) -> Never {
    guard let text = arguments.first, let pages = Int(text), pages > 0, pages <= 1 << 20 else {
      let line = "usage: vmmap __touch PAGES (1 to 1048576)\n"
      _ = line.withCString { write(2, $0, strlen($0)) }
      exit(64)
    }
    let page = 4096
    let length = (pages + 2) * page
    guard let base = mmap(nil, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
      base != MAP_FAILED
    else { exit(71) }
    let region = base + page
    guard mprotect(region, pages * page, PROT_READ | PROT_WRITE) == 0,
      madvise(region, pages * page, MADV_NOHUGEPAGE) == 0
    else { exit(71) }
    _ = vmp_touch_pages(region.assumingMemoryBound(to: UInt8.self), page, pages, 1)
    if arguments.dropFirst().first == "quiet" { exit(0) }
    let start = UInt(bitPattern: region)
    let line =
      "REGION 0x\(String(start, radix: 16)) 0x\(String(start + UInt(pages * page), radix: 16))\n"
    _ = line.withCString { write(1, $0, strlen($0)) }
    exit(0)
  }
}
