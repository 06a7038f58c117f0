// WIP: wired to the readers and the classifier at merge.
public enum MemoryMapLoader {
  public static func live(pid: Int32, counters: Bool) throws(VMMapError) -> MemoryMap {
    throw VMMapError(.internalError, what: "wip", why: "wip")
  }
  public static func saved(path: String, smaps: Bool) throws(VMMapError) -> MemoryMap {
    throw VMMapError(.internalError, what: "wip", why: "wip")
  }
}
public enum DetailLoader {
  public static func live(address: UInt64, pid: Int32) throws(VMMapError) -> AddressDetail {
    throw VMMapError(.internalError, what: "wip", why: "wip")
  }
  public static func saved(address: UInt64, path: String, smaps: Bool) throws(VMMapError)
    -> AddressDetail
  {
    throw VMMapError(.internalError, what: "wip", why: "wip")
  }
}
