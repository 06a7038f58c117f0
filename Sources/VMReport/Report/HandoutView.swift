import VMExperiments
import VMMapCore

/// The handout's view model: the Mustache context of `report.md` (every system string escaped
/// for Markdown here, never in the template) and the tables and figures its marks name.
struct HandoutView {
  let report: Report

  // MARK: escaping

  /// Prose from the system (descriptions, messages): Markdown-escaped.
  static func md(_ s: String) -> String { MarkdownEscape.escape(s) }
  /// Names, paths, addresses, command lines: a code span.
  static func code(_ s: String) -> String { MarkdownEscape.escape(s, as: .code) }
  static func size(_ b: UInt64) -> String { SizeFormat.iec(b) }

  // MARK: the context

  func context() -> [String: Any] {
    let m = report.machine
    var c: [String: Any] = [:]
    c["host"] = Self.code(m.hostname)
    c["kernelRelease"] = Self.code(m.kernel.release)
    c["architecture"] = Self.code(m.kernel.architecture)
    c["cpuModel"] = m.cpu.model.map(Self.md)
    c["cpus"] = "\(m.cpu.logicalCPUs)"
    c["memTotal"] = m.memory.total.map(Self.size) ?? "an unknown amount"
    c["generator"] = Self.md(report.generator.vmmap)
    c["redacted"] = report.options.redacted
    let failures = report.failures.map(Self.md)
    c["hasFailures"] = !failures.isEmpty
    c["failures"] = failures
    c["seconds"] = SizeFormat.fixed(report.seconds, places: 2)

    let p = m.paging
    c["pageSize"] = Self.size(p.pageSize)
    c["levels"] = "\(p.levels)"
    c["vaBits"] = "\(p.virtualAddressBits)"
    c["userTop"] = Self.code(Address(p.userTop).description)
    c["la57"] = p.cpuHasLA57
    let offsetBits = p.pageSize.trailingZeroBitCount
    c["offsetBits"] = "\(offsetBits)"
    let indexBits = Self.log2(p.pageSize / 8)
    c["indexBits"] = "\(indexBits)"
    c["entriesPerTable"] = thousands(Int(p.pageSize / 8))
    // 2^(vaBits - offsetBits) entries of 8 bytes.
    c["flatTableSize"] = Self.size(UInt64(8) << UInt64(p.virtualAddressBits - offsetBits))
    c["mmapMinAddress"] = Self.code(Address(m.settings.mmapMinAddress ?? 65536).description)

    let huge = m.settings.thpSize ?? p.hugePageSizes.first ?? 2 << 20
    c["hugePageSize"] = Self.size(huge)
    c["pagesPerHuge"] = thousands(Int(huge / p.pageSize))
    c["thpEnabled"] = Self.md(m.settings.thpEnabled ?? "unknown")
    c["thpMadvise"] = m.settings.thpEnabled == "madvise"
    if let tlb = m.cpu.tlbSize {
      c["tlbSize"] = Self.md(tlb)
      if let entries = UInt64(tlb.split(separator: " ").first ?? "") {
        c["tlbReach"] = Self.size(entries * p.pageSize)
      }
    }
    let aslr = m.settings.randomizeVASpace
    c["aslrSetting"] = aslr.map { "`\($0)`" } ?? "unknown"
    c["aslrMeaning"] =
      switch aslr {
      case 0: "randomisation is off; every run gets the same addresses."
      case 1:
        "the stack, the mmap area (libraries), the vdso and position-independent executables are randomised, the heap (brk) is not."
      case 2:
        "the stack, the mmap area (libraries), the vdso, position-independent executables and the heap (brk) are all randomised."
      default: "the kernel's setting could not be read."
      }

    let swapAreas = m.memory.swapAreas ?? 0
    c["swapLine"] =
      swapAreas == 0
      ? "no swap is configured on this machine, so nothing can be swapped out"
      : "\(swapAreas) swap area(s), \(Self.size(m.memory.swapTotal ?? 0)) in all"

    if let step = report.specimen, let s = step.result {
      c["specimen"] = true
      c["specimenRegions"] = thousands(s.totals.regions)
      c["specimenVirtual"] = Self.size(s.totals.virtual)
      c["specimenVmSize"] = s.totals.vmSize.map(Self.size) ?? "unknown"
      c["specimenRSS"] = Self.size(s.totals.rss)
      c["specimenPSS"] = Self.size(s.totals.pss)
      c["specimenPSSSource"] = Self.md(s.totals.pssSource)
      c["specimenResidency"] = s.residency.indices.map {
        ["figure": "specimen-residency-\($0 + 1)"]
      }
      if let text = s.regions.first(where: { $0.kind == .executable && $0.segment == "text" }) {
        c["exampleLine"] = Self.code(Self.mapsLine(text))
      }
      if let walk = walkPage(s) {
        c["walkAddress"] = Self.code(walk.address.description)
        c["walkLabel"] = Self.md(walk.label)
        if let frame = walk.frame {
          c["walkFrame"] = Self.code(frame.description)
          c["walkPhysical"] = Self.code(
            Address(frame.value * p.pageSize + walk.address.value % p.pageSize).description)
        }
      }
    }

    if let step = report.process {
      c["process"] = true
      c["processPID"] = "\(report.options.pid ?? step.result?.pid ?? 0)"
      if let s = step.result {
        c["processOK"] = true
        c["processName"] = Self.code(s.name)
        c["processCommand"] = Self.code(s.command.joined(separator: " "))
        c["processRegions"] = thousands(s.totals.regions)
        c["processVirtual"] = Self.size(s.totals.virtual)
        c["processRSS"] = Self.size(s.totals.rss)
        c["processPSS"] = Self.size(s.totals.pss)
        if s.totals.swap > 0 { c["processSwap"] = Self.size(s.totals.swap) }
        c["processResidency"] = s.residency.indices.map {
          ["figure": "process-residency-\($0 + 1)"]
        }
      } else {
        c["processName"] = "?"
        c["processError"] = Self.md(step.error?.message ?? "unknown error")
      }
    }

    let faults = report.faults.compactMap(\.result)
    c["hasFaults"] = !faults.isEmpty
    if let f = faults.first(where: { $0.type == .writeReadonly }) ?? faults.first {
      var e: [String: Any] = [:]
      e["type"] = Self.code(f.type.rawValue)
      e["target"] = Self.code(f.target)
      e["signal"] = Self.code(f.signal)
      e["code"] = Self.code(f.code)
      e["codeMeaning"] = Self.md(f.codeMeaning)
      e["faultAddress"] = Self.code(f.faultAddress)
      if let r = f.region {
        e["where"] =
          "it lies in the region \(Self.code(r.start + "-" + r.end)) with permissions \(Self.code(r.permissions)) (\(Self.md(r.description)))."
      } else if let g = f.gap {
        e["where"] = "no region holds it: it lies in the gap \(Self.code(g.start + "-" + g.end))."
      }
      e["cause"] = Self.md(f.cause)
      e["why"] = Self.md(f.why)
      e["fix"] = Self.md(f.fix)
      c["segfaultExample"] = e
    }

    demandContext(&c)
    cowContext(&c)
    sampleContext(&c)
    walkContext(&c)
    tlbContext(&c)
    aslrContext(&c)
    c["hasKernelConfig"] = !(m.kernelConfig ?? [:]).isEmpty
    return c
  }

  /// The demand variant with these options, when it ran.
  func demand(thp: Bool = false, read: Bool = false, file: Bool = false) -> DemandReport? {
    report.demand.compactMap(\.result).first {
      $0.options.hugePages == thp && $0.options.read == read && $0.options.file == file
    }
  }

  func demandContext(_ c: inout [String: Any]) {
    func common(_ d: DemandReport) -> [String: Any] {
      var e: [String: Any] = [:]
      e["size"] = Self.size(d.size)
      e["pages"] = thousands(d.pages)
      e["minor"] = thousands(d.faults.minor)
      e["major"] = thousands(d.faults.major)
      e["presentBefore"] = thousands(d.before.region.presentPages)
      e["presentAfter"] = thousands(d.after.region.presentPages)
      e["rssBefore"] = Self.size(d.before.region.rss)
      e["rssAfter"] = Self.size(d.after.region.rss)
      e["rssGrowth"] = Self.size(d.after.region.rss &- d.before.region.rss)
      e["millis"] = SizeFormat.fixed(Double(d.touchNanoseconds) / 1e6, places: 1)
      return e
    }
    if let d = demand() {
      var e = common(d)
      if d.faults.surplus != 0 {
        e["surplus"] = Self.md(
          "The \(d.faults.surplus) extra faults are the loop's own (a second pass over the same pages faulted \(d.faults.repeatPass) times)."
        )
      }
      c["demandWrite"] = e
    }
    if let d = demand(read: true) {
      var e = common(d)
      e["zeroPages"] = d.after.region.zeroPages.map(thousands) ?? "?"
      c["demandRead"] = e
    }
    if let d = demand(thp: true) {
      var e = common(d)
      e["thpPages"] = d.after.region.thpPages.map(thousands) ?? "?"
      e["anonHuge"] = Self.size(d.after.region.anonHugePages)
      c["demandTHP"] = e
    }
    if let d = demand(file: true) {
      var e = common(d)
      e["cachedAfterDrop"] = d.file.map { thousands($0.cachedAfterDrop) } ?? "?"
      if let anon = demand() {
        e["anonMillis"] = SizeFormat.fixed(Double(anon.touchNanoseconds) / 1e6, places: 1)
      } else {
        e["anonMillis"] = "?"
      }
      c["demandFile"] = e
    }
  }

  func cowContext(_ c: inout [String: Any]) {
    guard let cow = report.cow?.result, let shared = cow.stage(.afterFork),
      let written = cow.stage(.afterChildWrite)
    else { return }
    var e: [String: Any] = [:]
    e["regionSize"] = Self.size(cow.region.size)
    e["pages"] = thousands(cow.region.pages)
    e["initial"] = Self.md(cow.initialValue)
    e["written"] = Self.md(cow.writtenValue)
    e["frameShared"] = Self.code(shared.parent.page0.frame ?? "hidden")
    e["countShared"] = shared.parent.page0.mapCount.map { "\($0)" } ?? "?"
    e["childFaults"] = "\(cow.childWriteMinorFaults)"
    e["childFrame"] = Self.code(written.child?.page0.frame ?? "hidden")
    e["copied"] = cow.pagesCopied.map(thousands) ?? "?"
    e["vmFlags"] = Self.code(cow.region.vmFlags.joined(separator: " "))
    c["cow"] = e
  }

  /// A sample page to walk through the page tables: the heap's, else the first present one.
  func walkPage(_ s: MapSnapshot) -> SamplePage? {
    s.samplePages.first { $0.kind == .heap && $0.present } ?? s.samplePages.first { $0.present }
  }

  /// A region as its maps line.
  static func mapsLine(_ r: SnapshotRegion) -> String {
    let width = 12
    func pad(_ s: String) -> String { String(repeating: "0", count: max(0, width - s.count)) + s }
    let offset = String(r.offset, radix: 16)
    return
      "\(pad(String(r.start.value, radix: 16)))-\(pad(String(r.end.value, radix: 16))) \(r.permissions) "
      + String(repeating: "0", count: max(0, 8 - offset.count)) + offset
      + " \(r.device) \(r.inode) \(r.name)"
  }

  static func log2(_ v: UInt64) -> Int { 63 - v.leadingZeroBitCount }
}
