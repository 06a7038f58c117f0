import ArgumentParser
import VMMapCore

/// What a shell offers on TAB for the options that take a process or a fault type
/// (`vmmap --generate-completion-script bash|zsh|fish`).
enum Completions {
  /// `--map` and `--pid`: the PIDs running when TAB is pressed (the numeric entries of
  /// /proc, read by vmmap itself: the shell calls `vmmap ---completion …`).
  static var pids: CompletionKind {
    .custom { _, _, prefix in RunningProcesses.pidStrings(withPrefix: prefix) }
  }

  /// `--fault`: every fault type, and `all`.
  static var faultTypes: CompletionKind { .list(FaultChoice.allValueStrings) }

  /// `--kind`: the region kinds (one; a comma-separated list is typed by hand).
  static var regionKinds: CompletionKind { .list(RegionKind.allCases.map(\.rawValue)) }
}
