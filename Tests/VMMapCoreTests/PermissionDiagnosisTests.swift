import Testing

@testable import VMMapCore

@Suite struct PermissionDiagnosisTests {
  @Test func anotherUsersProcess() {
    let e = PermissionDiagnosis(euid: 1000, targetUID: 0, hasCapSysPtrace: false)
      .error(path: "/proc/1/smaps", pid: 1, file: "smaps", errno: 13)
    #expect(e.code == .permissionDenied && e.exitCode == 77)
    #expect(e.what == "/proc/1/smaps: permission denied")
    #expect(
      e.why.contains("PTRACE_MODE_READ") && e.why.contains("uid 1000") && e.why.contains("uid 0"))
    #expect(e.fix == "run vmmap as root")
  }

  @Test func hidepidIsNamed() {
    let e = PermissionDiagnosis(
      euid: 1000, targetUID: nil, hasCapSysPtrace: false, hidepid: "invisible"
    )
    .error(path: "/proc/1/maps", pid: 1, file: "maps")
    #expect(e.why.contains("hidepid=invisible"))
  }

  @Test func sameUserNotDumpable() {
    let e = PermissionDiagnosis(euid: 1000, targetUID: 1000, hasCapSysPtrace: false)
      .error(path: "/proc/7/maps", pid: 7, file: "maps")
    #expect(e.why.contains("not dumpable"))
  }

  @Test func rootWithoutCapSysPtrace() {
    let e = PermissionDiagnosis(euid: 0, targetUID: 1000, hasCapSysPtrace: false)
      .error(path: "/proc/7/smaps", pid: 7, file: "smaps")
    #expect(e.why.contains("without CAP_SYS_PTRACE"))
    #expect(e.fix?.contains("SYS_PTRACE") == true)
  }

  @Test func rootInAnotherUserNamespace() {
    let e = PermissionDiagnosis(
      euid: 0, targetUID: 0, hasCapSysPtrace: true, sameUserNamespace: false
    )
    .error(path: "/proc/7/smaps", pid: 7, file: "smaps")
    #expect(e.why.contains("another user namespace"))
  }

  @Test func yamaOnlyForAttach() {
    let d = PermissionDiagnosis(
      euid: 0, hasCapSysPtrace: true, yamaPtraceScope: 3, sameUserNamespace: true)
    #expect(
      d.error(path: "/proc/7/task/7/syscall", pid: 7, file: "task/7/syscall").why.contains("Yama"))
    #expect(!d.error(path: "/proc/7/smaps", pid: 7, file: "smaps").why.contains("Yama"))
  }

  @Test func rootDeniedByLSM() {
    let e = PermissionDiagnosis(
      euid: 0, hasCapSysPtrace: true, sameUserNamespace: true, confiningLSMs: ["apparmor"]
    ).error(path: "/proc/7/smaps", pid: 7, file: "smaps")
    #expect(e.why.contains("apparmor"))
    let unknown = PermissionDiagnosis(euid: 0, hasCapSysPtrace: true)
      .error(path: "/proc/7/smaps", pid: 7, file: "smaps")
    #expect(unknown.why.contains("even root"))
  }

  @Test func gatheredFactsOnThisMachine() {
    let d = PermissionDiagnosis.gather(pid: 1, procDir: -1)
    #expect(d.targetUID == 0)
    if d.euid == 0 { #expect(d.hasCapSysPtrace) }
  }
}
