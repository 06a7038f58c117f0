import CVMProbes
import Glibc
import VMMapCore

/// The child side of `vmmap --fault TYPE`: set up, look at the target, fault, recover, explain.
enum FaultExperiment {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  static func run(_ type: FaultType) throws -> FaultReport {
    var probe = vmp_fault()
    let prepared = vmp_fault_prepare(type.kind, &probe)
    guard prepared == 0 else {
      throw Failure(
        description: "setting up \(type.rawValue): \(String(cString: strerror(-prepared)))")
    }
    defer { vmp_fault_cleanup(&probe) }
    // The region and the page right before the access (the stack overflow's address is known
    // only after it).
    var before: AddressDetail?
    if type != .stackOverflow {
      before = try DetailLoader.live(address: UInt64(probe.target), pid: getpid())
    }
    let triggered = vmp_fault_trigger(&probe)
    guard triggered == 0 else {
      throw Failure(
        description: "installing the handlers: \(String(cString: strerror(-triggered)))")
    }
    guard probe.caught != 0 else {
      throw Failure(description: "\(type.rawValue): the access did not fault")
    }
    let detail = try before ?? DetailLoader.live(address: UInt64(probe.fault_addr), pid: getpid())
    return FaultExplainer(type: type, probe: probe, detail: detail).report()
  }
}
