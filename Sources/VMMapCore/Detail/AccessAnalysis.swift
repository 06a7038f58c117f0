/// What a read, a write or an instruction fetch at one address would do, and why.
public struct AccessOutcome: Hashable, Sendable {
  public enum Access: String, CaseIterable, Sendable {
    case read, write, execute
  }

  public enum Result: Hashable, Sendable {
    /// The access completes (possibly after a page fault the kernel resolves).
    case succeeds
    /// The kernel grows the stack to cover the address, then the access completes.
    case growsStack
    /// The process gets a signal.
    case signal(name: String, code: String)
  }

  public var access: Access
  public var result: Result
  /// The page fault on the way, if any ("minor fault: maps the shared zero page").
  public var fault: String?
  /// Why, in one or two sentences.
  public var reason: String

  public init(access: Access, result: Result, fault: String?, reason: String) {
    self.access = access
    self.result = result
    self.fault = fault
    self.reason = reason
  }

  /// "succeeds", "SIGSEGV (SEGV_ACCERR)".
  public var summary: String {
    switch result {
    case .succeeds: return "succeeds"
    case .growsStack: return "grows the stack, then succeeds"
    case .signal(let name, let code): return "\(name) (\(code))"
    }
  }
}

/// Where an address lies relative to the user address space.
public enum AddressClass: Hashable, Sendable {
  /// Below the top of user space: a region holds it, or a gap.
  case user
  /// Canonical but above the top of user space and below the kernel half.
  case aboveUserSpace
  /// Bits 63…47 (or 63…56) not all equal: the CPU refuses it before any page walk.
  case nonCanonical
  /// The upper, kernel half.
  case kernel

  public init(_ address: UInt64, space: AddressSpace) {
    if !space.isCanonical(address) {
      self = .nonCanonical
    } else if address >= space.kernelBase {
      self = .kernel
    } else if address >= space.userTop {
      self = .aboveUserSpace
    } else {
      self = .user
    }
  }
}

/// The rules of the x86-64 Linux fault handler (arch/x86/mm/fault.c, mm/memory.c), applied to
/// one address.
public enum AccessAnalysis {
  /// Outcomes for an address inside `region`, given what pagemap says of its page.
  /// `beyondEndOfFile` is true when the page lies past the end of the mapped file.
  public static func outcomes(
    in region: Region, page: PageInfo?, beyondEndOfFile: Bool = false
  ) -> [AccessOutcome] {
    let p = region.permissions
    let kind = region.classification.kind
    if region.mapping.name == .vsyscall {
      return vsyscallOutcomes(p)
    }
    if p.isNone {
      let why = "mapped \(p) (PROT_NONE): the region reserves address space but allows no access"
      return AccessOutcome.Access.allCases.map {
        AccessOutcome(
          access: $0, result: .signal(name: "SIGSEGV", code: "SEGV_ACCERR"), fault: nil, reason: why
        )
      }
    }
    if beyondEndOfFile {
      let why = "the page lies beyond the end of the mapped file: there is no data to map"
      return AccessOutcome.Access.allCases.map { a in
        let allowed = a == .write ? p.write : a == .execute ? p.execute : true
        return allowed
          ? AccessOutcome(
            access: a, result: .signal(name: "SIGBUS", code: "BUS_ADRERR"), fault: "page fault",
            reason: why)
          : AccessOutcome(
            access: a, result: .signal(name: "SIGSEGV", code: "SEGV_ACCERR"), fault: nil,
            reason: "mapped \(p): no \(a == .write ? "write" : "execute") permission")
      }
    }
    let present = page?.entry.isPresent ?? false
    let swapped = page?.entry.isSwapped ?? false
    let zeroPage = page?.flags?.contains(.zeroPage) ?? false
    let mapCount = page?.mapCount
    let fileBacked = region.filePath != nil
    let sharedMemory = p.shared || [.sharedAnonymous, .memfd, .sysvShm].contains(kind)
    let known = page != nil

    func faultIn(writing: Bool) -> String? {
      if swapped { return "major fault: reads the page back from swap" }
      if present || !known { return nil }
      if sharedMemory && !fileBacked {
        return "minor fault: allocates a shared memory page"
      }
      if fileBacked {
        return writing && !p.shared
          ? "page fault: reads the file page (minor if in the page cache, major if from disk), then copies it for this process"
          : "page fault: maps the file page (minor if in the page cache, major if it must be read from disk)"
      }
      return writing
        ? "minor fault: allocates a zeroed page"
        : "minor fault: maps the shared zero page (no new memory until a write)"
    }

    var result: [AccessOutcome] = []
    // Read: x86 page tables cannot express write-only or execute-only, so every accessible
    // mapping is readable (short of protection keys).
    let readReason =
      p.read
      ? "mapped \(p): readable"
      : "mapped \(p): x86 page tables cannot make a page \(p.write ? "write" : "execute")-only, so the kernel allows reads"
    result.append(
      AccessOutcome(
        access: .read, result: .succeeds, fault: faultIn(writing: false), reason: readReason))

    if !p.write {
      result.append(
        AccessOutcome(
          access: .write, result: .signal(name: "SIGSEGV", code: "SEGV_ACCERR"), fault: nil,
          reason: "mapped \(p): no write permission, so the page fault handler refuses the write"))
    } else {
      var fault = faultIn(writing: true)
      var reason = "mapped \(p): writable"
      if !p.shared && present {
        if zeroPage {
          fault =
            "minor fault (copy-on-write): replaces the shared zero page with a new zeroed page"
        } else if let mapCount, mapCount > 1 {
          fault =
            "minor fault (copy-on-write): the frame is mapped \(mapCount) times, so the kernel copies it for this process first"
        } else if page?.entry.isExclusive == false && page?.entry.isFileOrSharedAnonymous == true {
          fault =
            "minor fault (copy-on-write): the page is the file's page-cache page, so the kernel copies it first"
        }
        reason += " and private: a write never reaches the file or another process"
      } else if p.shared {
        reason +=
          " and shared: the write is visible to every process that maps it"
          + (fileBacked ? ", and reaches the file on writeback" : "")
      }
      result.append(AccessOutcome(access: .write, result: .succeeds, fault: fault, reason: reason))
    }

    if !p.execute {
      result.append(
        AccessOutcome(
          access: .execute, result: .signal(name: "SIGSEGV", code: "SEGV_ACCERR"), fault: nil,
          reason: "mapped \(p): no execute permission; the page table entry has the NX bit set"))
    } else {
      result.append(
        AccessOutcome(
          access: .execute, result: .succeeds, fault: faultIn(writing: false),
          reason: "mapped \(p): executable" + (p.write ? " (and writable: W+X)" : "")))
    }
    return result
  }

  static func vsyscallOutcomes(_ p: Permissions) -> [AccessOutcome] {
    let fixed = "the legacy vsyscall page at a fixed address, above user space"
    return [
      AccessOutcome(
        access: .read, result: .signal(name: "SIGSEGV", code: "SEGV_MAPERR"), fault: nil,
        reason: "\(fixed): with vsyscall=xonly (the default) it cannot be read"),
      AccessOutcome(
        access: .write, result: .signal(name: "SIGSEGV", code: "SEGV_MAPERR"), fault: nil,
        reason: "\(fixed): never writable"),
      AccessOutcome(
        access: .execute, result: .succeeds, fault: "page fault, which the kernel emulates",
        reason:
          "\(fixed): a call to one of its three entry points is emulated as the system call (gettimeofday, time, getcpu); other addresses get SIGSEGV"
      ),
    ]
  }

  /// Outcomes for an address that no region holds.
  ///
  /// `stackAbove` is the region right above the gap when it grows down (the main stack, VmFlags
  /// `gd`) and `guardGap` the kernel's stack_guard_gap in bytes.
  public static func outcomes(
    inGapBelow stackAbove: Region?, address: UInt64, gapStart: UInt64, guardGap: UInt64
  ) -> [AccessOutcome] {
    if let stack = stackAbove {
      // The stack may grow down to `address` when the previous mapping stays guardGap away.
      if address >= gapStart &+ guardGap || gapStart == 0 {
        let why =
          "just below \(stack.mapping.rawName.string.isEmpty ? "a" : stack.mapping.rawName.string) region that grows down: the kernel extends it, if RLIMIT_STACK allows and stack_guard_gap (\(guardGap / 1024) KiB) stays free below"
        return [
          AccessOutcome(access: .read, result: .growsStack, fault: "minor fault", reason: why),
          AccessOutcome(access: .write, result: .growsStack, fault: "minor fault", reason: why),
          AccessOutcome(
            access: .execute,
            result: stack.permissions.execute
              ? .growsStack : .signal(name: "SIGSEGV", code: "SEGV_ACCERR"),
            fault: "minor fault", reason: why + "; the stack is not executable"),
        ]
      }
    }
    let why = "no region holds this address: the page fault handler finds no VMA"
    return AccessOutcome.Access.allCases.map {
      AccessOutcome(
        access: $0, result: .signal(name: "SIGSEGV", code: "SEGV_MAPERR"), fault: nil, reason: why)
    }
  }

  /// Outcomes for an address outside user space.
  public static func outcomes(outside cls: AddressClass, space: AddressSpace) -> [AccessOutcome] {
    let (result, why): (AccessOutcome.Result, String)
    switch cls {
    case .nonCanonical:
      result = .signal(name: "SIGSEGV", code: "SI_KERNEL")
      why =
        "non-canonical for \(space.virtualAddressBits)-bit addresses (\(space.pagingLevels)-level paging): the CPU raises a general-protection fault before any page walk, and the kernel reports si_addr 0"
    case .kernel:
      result = .signal(name: "SIGSEGV", code: "SEGV_MAPERR")
      why =
        "the kernel's half of the address space: user mode may not touch it (the page tables' user/supervisor bit)"
    case .aboveUserSpace:
      result = .signal(name: "SIGSEGV", code: "SEGV_MAPERR")
      why = "above the top of user space (\(hexString(space.userTop))): no mapping can exist here"
    case .user:
      result = .signal(name: "SIGSEGV", code: "SEGV_MAPERR")
      why = "unmapped"
    }
    return AccessOutcome.Access.allCases.map {
      AccessOutcome(access: $0, result: result, fault: nil, reason: why)
    }
  }
}

func hexString(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
