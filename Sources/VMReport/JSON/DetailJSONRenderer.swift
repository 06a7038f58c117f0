import VMMapCore

/// The `--json` form of `--detail ADDR` (schema: docs/schema/detail.schema.json).
public struct DetailJSONRenderer {
  public static let schemaVersion = 1
  public init() {}

  public func render(_ d: AddressDetail) -> [UInt8] {
    var w = JSONWriter(prettyDepth: 2)
    w.beginObject()
    w.field("schemaVersion", Self.schemaVersion)
    w.address("address", d.address)
    switch d.map.source {
    case .live(let pid): w.field("pid", Int(pid))
    case .file(let path): w.field("file", path)
    }
    w.field("lookup", d.lookup)
    w.field(
      "addressClass",
      {
        switch d.addressClass {
        case .user: "user"
        case .aboveUserSpace: "above-user-space"
        case .nonCanonical: "non-canonical"
        case .kernel: "kernel"
        }
      }())
    w.field("pageSize", d.pageSize)
    w.field("pageNumber", d.pageNumber)
    w.field("pageOffset", d.pageOffset)
    if let off = d.fileOffset { w.address("fileOffset", off) }
    if let size = d.fileSize { w.field("fileSize", size) }
    let renderer = MapJSONRenderer()
    if let i = d.regionIndex {
      w.key("region")
      renderer.writeRegion(d.map.regions[i], index: i, &w, asElement: false)
    } else {
      w.null("region")
    }
    if let g = d.gap {
      w.beginObject("gap")
      w.address("start", g.start)
      w.address("end", g.end)
      w.field("size", g.size)
      w.field("afterPrevious", d.address - g.start)
      w.field("beforeNext", g.end - d.address)
      w.endObject()
    }
    w.beginArray("neighbours")
    for (i, r) in d.map.regions.enumerated() where i != d.regionIndex {
      renderer.writeRegion(r, index: i, &w)
    }
    w.endArray()
    if let p = d.page {
      w.beginObject("page")
      w.address("pagemapEntry", p.entry.rawValue)
      w.field("present", p.entry.isPresent)
      w.field("swapped", p.entry.isSwapped)
      w.field("exclusive", p.entry.isExclusive)
      w.field("fileOrSharedAnonymous", p.entry.isFileOrSharedAnonymous)
      if let pfn = p.entry.frameNumber {
        w.address("frame", pfn)
        w.address("physicalAddress", pfn * d.pageSize + d.pageOffset)
      } else if p.entry.isPresent {
        w.null("frame")
      }
      if let count = p.mapCount { w.field("mapCount", count) }
      if let flags = p.flags {
        w.beginArray("flags")
        for name in flags.names { w.value(name) }
        w.endArray()
      }
      w.endObject()
    }
    if let note = d.pageNote { w.field("pageNote", note) }
    w.beginArray("access")
    for o in d.outcomes {
      w.element()
      w.beginObject()
      w.field("access", o.access.rawValue)
      switch o.result {
      case .succeeds: w.field("result", "succeeds")
      case .growsStack: w.field("result", "grows-stack")
      case .signal(let name, let code):
        w.field("result", "signal")
        w.field("signal", name)
        w.field("code", code)
      }
      if let fault = o.fault { w.field("fault", fault) }
      w.field("reason", o.reason)
      w.endObject()
    }
    w.endArray()
    w.endObject()
    return w.bytes + [UInt8(ascii: "\n")]
  }
}
