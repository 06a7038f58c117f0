import CVMProbes
import Glibc

/// RSS and swap per region straight from the page tables, with the `PAGEMAP_SCAN` ioctl on
/// `/proc/PID/pagemap` (Linux 6.7+): `vmmap --fast`.
///
/// It skips what makes smaps expensive (formatting two dozen counters per region, then parsing
/// them back) and so cannot give Pss, shared/private or dirty splits. What it counts is what
/// smaps counts as Rss: pages present in this process's page tables, less the shared zero page
/// (which smaps does not count either); swapped pages are swap entries in the page tables.
public enum PageTableResidency {
  /// Fills each region's counters with `Size`, `Rss` and `Swap` only.
  public static func measure(pid: Int32, _ map: inout MemoryMap) throws(VMMapError) {
    let path = "/proc/\(pid)/pagemap"
    let fd = try PagemapReader.openPagemap(pid: pid)
    defer { close(fd) }
    let top = AddressSpace.current.userTop
    var rss = [UInt64](repeating: 0, count: map.regions.count)
    var swap = [UInt64](repeating: 0, count: map.regions.count)
    let user = map.regions.indices.filter { map.regions[$0].start < top }
    if let first = user.first, let last = user.last {
      var vector = [vmp_page_region](repeating: vmp_page_region(), count: 4096)
      var start = map.regions[first].start
      let end = map.regions[last].end
      var k = first  // the region the next range starts in (ranges come in address order)
      while start < end {
        var arg = vmp_pm_scan_arg()
        arg.start = start
        arg.end = end
        // Present or swapped, and not the zero page.
        arg.category_inverted = UInt64(VMP_PAGE_IS_PFNZERO)
        arg.category_mask = UInt64(VMP_PAGE_IS_PFNZERO)
        arg.category_anyof_mask = UInt64(VMP_PAGE_IS_PRESENT | VMP_PAGE_IS_SWAPPED)
        arg.return_mask = UInt64(VMP_PAGE_IS_PRESENT | VMP_PAGE_IS_SWAPPED)
        let n = vector.withUnsafeMutableBufferPointer { v -> Int in
          arg.vec = UInt64(UInt(bitPattern: v.baseAddress))
          arg.vec_len = UInt64(v.count)
          return vmp_pagemap_scan(fd, &arg)
        }
        guard n >= 0 else {
          let e = Int32(-n)
          throw VMMapError(
            e == ESRCH ? .exitedDuringRead : .ioError,
            what: "PAGEMAP_SCAN on \(path)",
            why: e == ENOTTY || e == EINVAL
              ? "this kernel has no PAGEMAP_SCAN (Linux 6.7+)" : String(cString: strerror(e)),
            fix: "run vmmap without --fast", errno: e)
        }
        for r in vector.prefix(n) {
          // Spread the range over the regions it covers.
          while k <= last && map.regions[k].end <= r.start { k += 1 }
          var j = k
          while j <= last && map.regions[j].start < r.end {
            let bytes = min(r.end, map.regions[j].end) - max(r.start, map.regions[j].start)
            if r.categories & UInt64(VMP_PAGE_IS_PRESENT) != 0 { rss[j] += bytes }
            if r.categories & UInt64(VMP_PAGE_IS_SWAPPED) != 0 { swap[j] += bytes }
            j += 1
          }
        }
        guard arg.walk_end > start else { break }
        start = arg.walk_end
      }
    }
    for i in map.regions.indices {
      var c = SmapsCounters()
      c[.size] = map.regions[i].size
      c[.rss] = rss[i]
      c[.swap] = swap[i]
      map.regions[i].counters = c
    }
    map.hasCounters = true
    map.countersFromPageTables = true
  }
}
