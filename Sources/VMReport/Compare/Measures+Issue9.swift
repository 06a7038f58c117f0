import VMExperiments
import VMMapCore

// What `compare` sets side by side for the page walk, the TLB sweep, ASLR and fault sampling.

extension WalkReport: ComparableExperiment {
  public var measures: [Measure] {
    var out = [
      Measure("levels", "Page-table levels", .count, Double(levels)),
      Measure("vm-pte", "VmPTE of the walked process", .bytes, pageTables.vmPTE.map { Double($0) }),
      Measure(
        "tables-present", "Page tables for the present pages (computed)", .bytes,
        pageTables.fromPagesBytes.map { Double($0) }),
    ]
    for walk in walks {
      let name = walk.label ?? walk.address.description
      out.append(
        Measure(
          "page-size-\(name)", "Page size backing the \(name) address", .bytes,
          walk.mappedPageSize.map { Double($0) }))
    }
    return out
  }
}

extension TLBReport: ComparableExperiment {
  public var measures: [Measure] {
    var out: [Measure] = []
    for (i, knee) in reach.tlbKnees.enumerated() {
      out.append(
        Measure("tlb-reach-\(i + 1)", "TLB reach, step \(i + 1)", .bytes, Double(knee)))
    }
    out.append(
      Measure(
        "ns-4k", "ns per access at the largest working set, 4 KiB pages", .nanoseconds,
        reach.baseNanoseconds, metric: "time"))
    out.append(
      Measure(
        "ns-huge", "ns per access at the largest working set, huge pages", .nanoseconds,
        reach.hugeNanoseconds, metric: "time"))
    return out
  }
}

extension AslrReport: ComparableExperiment {
  public var measures: [Measure] {
    var out: [Measure] = [
      Measure(
        "randomize-va-space", "randomize_va_space", .count, randomizeVASpace.map { Double($0) })
    ]
    for stats in randomized.regions {
      out.append(
        Measure(
          "entropy-\(stats.region.rawValue)", "Random bits observed: \(stats.region.label)",
          .count, Double(stats.entropyBits)))
    }
    out.append(
      Measure(
        "fixed-without-aslr", "Same addresses in every run without ASLR",
        text: notRandomized.allSame ? "yes" : "no"))
    return out
  }
}

extension SampleReport: ComparableExperiment {
  public var measures: [Measure] {
    [
      Measure("sampled", "Faults sampled", .faults, Double(sampledFaults), metric: "faults"),
      Measure("regions", "Regions that faulted", .count, Double(regions.count)),
      Measure("difference", "Samples against wait4", .count, difference.map { Double($0) }),
    ]
  }
}
