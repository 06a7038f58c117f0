import CVMProbes
import Glibc
import VMMapCore

/// Turns a probe's raw result and the detail of its address into a `FaultReport`: names,
/// the cause, the why (from `AccessAnalysis`, as `vmmap --detail` gives it) and the fix.
struct FaultExplainer {
  var type: FaultType
  var probe: vmp_fault
  var detail: AddressDetail

  func report() -> FaultReport {
    let signo = probe.signo
    let code = probe.code
    let (codeName, meaning) = Self.codeName(signal: signo, code: code)
    let region = detail.region.map { r in
      FaultRegion(
        start: hex(r.start), end: hex(r.end), permissions: "\(r.permissions)",
        kind: r.classification.kind.rawValue, description: r.classification.description,
        read: r.permissions.read, write: r.permissions.write, execute: r.permissions.execute)
    }
    let gap = detail.gap.map { FaultGap(start: hex($0.start), end: hex($0.end)) }
    let page = detail.page.map { p in
      FaultPage(
        present: p.entry.isPresent, swapped: p.entry.isSwapped, frame: p.entry.frameNumber.map(hex),
        note: detail.pageNote)
    }
    let outcome = detail.outcomes.first { $0.access.rawValue == type.access }
    let size = detail.pageSize
    return FaultReport(
      type: type, access: type.access, setup: setup(pageSize: size), caught: probe.caught != 0,
      signal: signalName(signo), signalNumber: signo, code: codeName, codeNumber: code,
      codeMeaning: meaning, faultAddress: hex(UInt64(probe.fault_addr)),
      target: hex(UInt64(probe.target)),
      depth: type == .stackOverflow ? Int(probe.depth) : nil, region: region, gap: gap,
      page: page, predicted: type == .stackOverflow ? nil : outcome?.summary,
      cause: cause(region: region), why: why(outcome: outcome), fix: fix)
  }

  func setup(pageSize: UInt64) -> String {
    let kib = pageSize / 1024
    switch type {
    case .null: return "reading through a NULL pointer (address 0)"
    case .writeReadonly:
      return "a \(kib) KiB anonymous page, written once, then mprotect(PROT_READ); writing to it"
    case .executeData:
      return
        "a \(kib) KiB read-write page holding `mov eax, 42; ret`; calling it without PROT_EXEC"
    case .stackOverflow: return "unbounded recursion, 512-byte frames, on the main thread's stack"
    case .writeText: return "writing to one of vmmap's own functions (its .text)"
    case .unmapped:
      return "three pages mapped, the middle one unmapped again; reading the hole (a wild pointer)"
    case .guardPage:
      return "two pages, the lower one mprotect(PROT_NONE) as a guard; reading the guard"
    case .busError:
      return
        "a one-page file mapped MAP_SHARED, then truncated to 0 bytes; writing the mapped page"
    }
  }

  func cause(region: FaultRegion?) -> String {
    let mark = " ← this caused the fault"
    if type == .busError { return "File data: NONE (the file ends before this page)" + mark }
    if type == .stackOverflow {
      return "Stack: at RLIMIT_STACK (\(stackLimit())), no room to grow" + mark
    }
    guard let region else { return "Region: NONE (no mapping holds this address)" + mark }
    func flag(_ name: String, _ allowed: Bool, _ access: String) -> String {
      "\(name): \(allowed ? "YES" : "NO")" + (!allowed && access == type.access ? mark : "")
    }
    return [
      flag("Read", region.read, "read"), flag("Write", region.write, "write"),
      flag("Execute", region.execute, "execute"),
    ].joined(separator: ", ")
  }

  func why(outcome: AccessOutcome?) -> String {
    let lead: String
    switch type {
    case .null:
      lead =
        "Page 0 is never mapped (vm.mmap_min_addr is \(mmapMinAddress())), so a NULL dereference always faults."
    case .writeReadonly, .writeText:
      lead = "The page exists (no SEGV_MAPERR), but write permission is denied."
    case .executeData:
      lead = "The page exists and is readable, but it is mapped without PROT_EXEC (NX bit set)."
    case .stackOverflow:
      return
        "Each call pushed a frame below the last; the kernel grew the stack down until RLIMIT_STACK (\(stackLimit())), then refused, so the next push touched an address no region holds. The handler ran on an alternate stack (sigaltstack): the normal one was full."
    case .unmapped:
      lead = "The address lies in a gap between regions."
    case .guardPage:
      lead = "The page is mapped, but PROT_NONE: it exists only to stop an overrun."
    case .busError:
      lead =
        "The region is valid (no SIGSEGV), but the page lies beyond the end of the file: there is no data to map, so the kernel raises SIGBUS."
    }
    guard let outcome, type != .busError else { return lead }
    return lead + " " + outcome.reason.prefix(1).uppercased() + outcome.reason.dropFirst() + "."
  }

  var fix: String {
    switch type {
    case .null:
      return
        "Check pointers before use and initialise them; keep vm.mmap_min_addr so NULL bugs stay crashes."
    case .writeReadonly:
      return "Use mprotect() to add PROT_WRITE, or map with PROT_WRITE initially."
    case .executeData:
      return
        "For generated code, write it, then mprotect() the page to PROT_READ|PROT_EXEC (W^X); never make data executable."
    case .stackOverflow:
      return
        "Bound the recursion or make it iterative, move large locals to the heap; raise ulimit -s only if the depth is legitimate."
    case .writeText:
      return
        "Do not write to code; patching needs mprotect(PROT_WRITE) on a private copy of the page first (and gives up W^X)."
    case .unmapped:
      return
        "Find where the pointer came from (use after munmap/free, bad arithmetic): run under AddressSanitizer or valgrind."
    case .guardPage:
      return
        "Bound the access; for a thread stack, give pthread_attr_setstacksize() more room."
    case .busError:
      return
        "Do not truncate a file while it is mapped; check its size with fstat() and map only pages that hold data."
    }
  }

  func stackLimit() -> String {
    var limit = rlimit()
    guard getrlimit(__rlimit_resource_t(RLIMIT_STACK.rawValue), &limit) == 0,
      limit.rlim_cur != rlim_t.max
    else { return "unlimited" }
    return "\(limit.rlim_cur / 1024) KiB"
  }

  /// The si_code's name and meaning (the wording of siginfo.h's comments).
  static func codeName(signal: Int32, code: Int32) -> (String, String) {
    switch (signal, code) {
    case (SIGSEGV, 1): ("SEGV_MAPERR", "address not mapped to object")
    case (SIGSEGV, 2): ("SEGV_ACCERR", "invalid permissions for mapped object")
    case (SIGSEGV, 3): ("SEGV_BNDERR", "failed address bound checks")
    case (SIGSEGV, 4): ("SEGV_PKUERR", "failed protection key checks")
    case (SIGBUS, 1): ("BUS_ADRALN", "invalid address alignment")
    case (SIGBUS, 2): ("BUS_ADRERR", "non-existent physical address")
    case (SIGBUS, 3): ("BUS_OBJERR", "object-specific hardware error")
    case (_, 0x80): ("SI_KERNEL", "sent by the kernel (a general-protection fault)")
    case (_, 0): ("SI_USER", "sent by kill()")
    default: ("\(code)", "unknown code")
    }
  }
}
