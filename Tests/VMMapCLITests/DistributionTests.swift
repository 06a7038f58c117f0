import Foundation
import Testing
import VMMapTestSupport

/// `vmmap --version` and the shell completions, with the debug binary (Scripts/test-dist checks
/// the same on the release tarball, without the toolchain).
@Suite struct DistributionTests {
  /// The version line names the release and the commit the binary was built from.
  @Test func versionNamesTheCommit() throws {
    let r = try vmmap("--version")
    #expect(r.status == 0, "\(r.stderr)")
    let first = try #require(r.text.split(separator: "\n").first.map(String.init))
    #expect(first.hasPrefix("vmmap 0.1.0 (commit "), "\(first)")
    #expect(r.text.contains("cmark 0.30"), "\(r.text)")
    let git = try run("/usr/bin/git", ["-C", repositoryRoot, "rev-parse", "--short=12", "HEAD"])
    if git.status == 0 {
      let head = git.text.trimmingCharacters(in: .whitespacesAndNewlines)
      #expect(first.contains("(commit \(head)"), "built from \(head)? \(first)")
    }
  }

  /// bash: the script loads, and the completion function offers running PIDs after --map and
  /// --pid (from /proc, by vmmap itself) and every fault type after --fault.
  @Test func bashCompletesPIDsAndFaultTypes() throws {
    let script = try vmmap("--generate-completion-script", "bash")
    #expect(script.status == 0, "\(script.stderr)")
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vmmap-completion-\(getpid()).bash"
    ).path
    try script.stdout.write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let sleeper = try Sleeper()
    func complete(_ words: String...) throws -> [String] {
      let program = """
        source "$1"; shift; complete -p vmmap >/dev/null || exit 3
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        f=$(complete -p vmmap | sed 's/.*-F \\([^ ]*\\).*/\\1/')
        "$f" vmmap "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf '%s\\n' "${COMPREPLY[@]}"
        """
      let r = try run("/bin/bash", ["-c", program, "bash", path, vmmapBinary] + words)
      #expect(r.status == 0, "\(r.stderr)")
      return r.text.split(separator: "\n").map(String.init)
    }
    let pid = String(sleeper.pid)
    #expect(try complete("--map", "").contains(pid))
    let narrowed = try complete("--detail", "0x1000", "--pid", String(pid.prefix(2)))
    #expect(narrowed.contains(pid))
    #expect(narrowed.allSatisfy { $0.hasPrefix(pid.prefix(2)) })
    let faults = try complete("--fault", "")
    for type in ["null", "write-readonly", "execute-data", "stack-overflow", "guard-page", "all"] {
      #expect(faults.contains(type), "\(faults)")
    }
    #expect(try complete("--fault", "wr").sorted() == ["write-readonly", "write-text"])
  }

  /// zsh and fish (when installed): the scripts load; fish also lists the fault types.
  @Test func zshAndFishLoadTheirScripts() throws {
    for (shell, name) in [("zsh", "_vmmap"), ("fish", "vmmap.fish")] {
      guard FileManager.default.isExecutableFile(atPath: "/usr/bin/\(shell)") else { continue }
      let script = try vmmap("--generate-completion-script", shell)
      #expect(script.status == 0, "\(script.stderr)")
      let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
        "vmmap-\(shell)-\(getpid())"
      ).path
      try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(atPath: dir) }
      try script.stdout.write(to: URL(fileURLWithPath: dir + "/" + name))
      if shell == "zsh" {
        let r = try run(
          "/usr/bin/zsh",
          [
            "-fc",
            "fpath=(\(dir) $fpath); autoload -U compinit && compinit -u -D && print -r -- ${_comps[vmmap]}",
          ])
        #expect(r.text == "_vmmap\n", "\(r.text) \(r.stderr)")
      } else {
        let r = try run(
          "/usr/bin/fish",
          ["--no-config", "-c", "source \(dir)/\(name); complete -C 'vmmap --fault '"])
        let words = r.text.split(separator: "\n").map { $0.split(separator: "\t")[0] }
        #expect(words.contains("write-readonly") && words.contains("bus-error"), "\(r.text)")
      }
    }
  }
}
