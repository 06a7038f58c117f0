#if canImport(Glibc)
  import Glibc
#endif

/// What vmmap can find out about why reading `/proc/PID/<file>` was refused, and the one-line
/// error built from it.
///
/// Reading another process's `maps`, `smaps` or `pagemap` needs ptrace read access
/// (`PTRACE_MODE_READ_FSCREDS`: the same uid and a dumpable target, or `CAP_SYS_PTRACE` in the
/// target's user namespace); `task/TID/syscall` needs attach access, which Yama may restrict.
/// Root is not always enough: a target in another user namespace, an LSM (AppArmor, SELinux),
/// a root without `CAP_SYS_PTRACE` (a container), or `/proc` mounted with `hidepid`.
public struct PermissionDiagnosis: Hashable, Sendable {
  /// Our effective uid.
  public var euid: UInt32
  /// The target's effective uid (from `status`), when readable.
  public var targetUID: UInt32?
  /// Whether our effective capabilities hold `CAP_SYS_PTRACE` (bit 19 of `CapEff`).
  public var hasCapSysPtrace: Bool
  /// The `hidepid=` option of the `/proc` mount, when set and not `0`/`off`.
  public var hidepid: String?
  /// `/proc/sys/kernel/yama/ptrace_scope`, when Yama is built in.
  public var yamaPtraceScope: Int?
  /// False when the target's user namespace differs from ours; nil when unknown.
  public var sameUserNamespace: Bool?
  /// Active LSMs that confine processes (`apparmor`, `selinux`, `smack`, `tomoyo`).
  public var confiningLSMs: [String]

  public init(
    euid: UInt32, targetUID: UInt32? = nil, hasCapSysPtrace: Bool, hidepid: String? = nil,
    yamaPtraceScope: Int? = nil, sameUserNamespace: Bool? = nil, confiningLSMs: [String] = []
  ) {
    self.euid = euid
    self.targetUID = targetUID
    self.hasCapSysPtrace = hasCapSysPtrace
    self.hidepid = hidepid
    self.yamaPtraceScope = yamaPtraceScope
    self.sameUserNamespace = sameUserNamespace
    self.confiningLSMs = confiningLSMs
  }

  /// The error for `path` (`/proc/123/smaps`) of process `pid`, naming the most likely cause.
  public func error(path: String, pid: Int32, file: String, errno: Int32? = nil) -> VMMapError {
    let what = "\(path): permission denied"
    let attach = file.hasSuffix("syscall") || file == "mem"
    let access =
      attach
      ? "ptrace attach access (PTRACE_MODE_ATTACH: the same uid or CAP_SYS_PTRACE)"
      : "ptrace read access (PTRACE_MODE_READ: the same uid or CAP_SYS_PTRACE)"
    var why: String
    var fix: String
    if euid != 0, let targetUID, targetUID != euid {
      why =
        "reading another user's \(file) needs \(access); you are uid \(euid) and PID \(pid) "
        + "runs as uid \(targetUID)"
      fix = targetUID == 0 ? "run vmmap as root" : "run vmmap as uid \(targetUID) or as root"
      if let hidepid { why += "; /proc is also mounted with hidepid=\(hidepid)" }
    } else if euid != 0, let hidepid {
      why = "/proc is mounted with hidepid=\(hidepid), which hides other users' processes"
      fix = "run vmmap as root, or as a member of the mount's gid= group"
    } else if euid != 0 {
      why =
        "PID \(pid) runs as your uid but is not dumpable (a setuid or file-capability "
        + "program, or prctl(PR_SET_DUMPABLE, 0)), so reading its \(file) needs CAP_SYS_PTRACE"
      fix = "run vmmap as root"
    } else if !hasCapSysPtrace {
      why =
        "vmmap runs as root but without CAP_SYS_PTRACE (dropped by a container or the "
        + "capability bounding set), which reading another process's \(file) needs"
      fix = "grant CAP_SYS_PTRACE, e.g. docker run --cap-add=SYS_PTRACE"
    } else if sameUserNamespace == false {
      why = "PID \(pid) is in another user namespace, where our root has no CAP_SYS_PTRACE"
      fix = "run vmmap inside that namespace (nsenter -U -t \(pid))"
    } else if attach, let scope = yamaPtraceScope, scope >= 1 {
      why =
        "Yama's ptrace_scope is \(scope), which restricts ptrace attach"
        + (scope == 3 ? " for everyone, root included" : "")
      fix =
        scope == 3 ? "reboot with kernel.yama.ptrace_scope < 3" : "lower kernel.yama.ptrace_scope"
    } else if let lsm = confiningLSMs.first {
      why = "even root was refused: the \(lsm) security module denied it"
      fix = "check the audit log (dmesg | grep -i denied) and the target's \(lsm) profile"
    } else {
      why =
        "even root was refused: likely another user namespace, a security module "
        + "(AppArmor, SELinux) or a target with capabilities vmmap lacks"
      fix = "check dmesg for denials"
    }
    return VMMapError(.permissionDenied, what: what, why: why, fix: fix, errno: errno)
  }

  /// Gathers what can be checked about us, `/proc`, and the target (`procDir` is its dirfd,
  /// or -1 when it could not be opened).
  static func gather(pid: Int32, procDir: CInt) -> PermissionDiagnosis {
    let selfStatus =
      (try? Syscall.readAll(AT_FDCWD, "/proc/self/status").get()).flatMap {
        try? StatusParser.parse($0, source: "/proc/self/status")
      }
    var capEff: UInt64 = 0
    if let v = selfStatus?.lines.first(where: { $0.key == "CapEff" })?.value {
      capEff = UInt64(v, radix: 16) ?? 0
    }
    var targetUID: UInt32?
    let dir = procDir >= 0 ? procDir : AT_FDCWD
    let statusPath = procDir >= 0 ? "status" : "/proc/\(pid)/status"
    if let bytes = try? Syscall.readAll(dir, statusPath).get(),
      let st = try? StatusParser.parse(bytes, source: "status"),
      let uids = st.lines.first(where: { $0.key == "Uid" })?.value
    {
      let fields = uids.split(whereSeparator: { $0 == "\t" || $0 == " " })
      if fields.count >= 2 { targetUID = UInt32(fields[1]) }
    }
    var sameNS: Bool?
    if let mine = try? Syscall.readlinkat(AT_FDCWD, "/proc/self/ns/user").get(),
      procDir >= 0, let theirs = try? Syscall.readlinkat(procDir, "ns/user").get()
    {
      sameNS = mine == theirs
    }
    var yama: Int?
    if let b = try? Syscall.readAll(AT_FDCWD, "/proc/sys/kernel/yama/ptrace_scope").get() {
      yama = Int(String(decoding: b, as: UTF8.self).filter { !$0.isWhitespace })
    }
    return PermissionDiagnosis(
      euid: geteuid(), targetUID: targetUID, hasCapSysPtrace: capEff & (1 << 19) != 0,
      hidepid: procHidepid(), yamaPtraceScope: yama, sameUserNamespace: sameNS,
      confiningLSMs: activeLSMs())
  }

  /// The `hidepid=` mount option of `/proc` from `/proc/self/mountinfo`, unless off.
  static func procHidepid() -> String? {
    guard let b = try? Syscall.readAll(AT_FDCWD, "/proc/self/mountinfo").get() else { return nil }
    for line in String(decoding: b, as: UTF8.self).split(separator: "\n") {
      let fields = line.split(separator: " ")
      guard fields.count > 4, fields[4] == "/proc" else { continue }
      for option in line.split(whereSeparator: { $0 == " " || $0 == "," })
      where option.hasPrefix("hidepid=") {
        let v = String(option.dropFirst("hidepid=".count))
        return v == "0" || v == "off" ? nil : v
      }
    }
    return nil
  }

  /// LSMs that confine processes and are active, from securityfs or their sysfs switches.
  static func activeLSMs() -> [String] {
    if let b = try? Syscall.readAll(AT_FDCWD, "/sys/kernel/security/lsm").get() {
      let all = String(decoding: b, as: UTF8.self).split(separator: ",").map {
        $0.trimmingCharacters()
      }
      return all.filter { ["apparmor", "selinux", "smack", "tomoyo"].contains($0) }
    }
    var found: [String] = []
    if let b = try? Syscall.readAll(AT_FDCWD, "/sys/module/apparmor/parameters/enabled").get(),
      b.first == UInt8(ascii: "Y")
    {
      found.append("apparmor")
    }
    if (try? Syscall.readAll(AT_FDCWD, "/sys/fs/selinux/enforce").get()) != nil {
      found.append("selinux")
    }
    return found
  }
}

extension Substring {
  fileprivate func trimmingCharacters() -> String {
    String(self.filter { !$0.isWhitespace })
  }
}
