import Foundation
import PackagePlugin

/// Writes `BuildCommit.swift` (`BuildCommit.id`: the commit the binary was built from) before
/// every build, so that `vmmap --version` names it.
///
/// A prebuild command, because the commit changes without any input file of the target
/// changing. It runs `/bin/sh` (a prebuild command may not run a tool built from source), which
/// asks git for the package's commit (`-dirty` when tracked files differ from it). Without git,
/// or outside a clone (a source tarball, even one unpacked inside another repository), the
/// commit is "unknown": the build never fails for it. `VMMAP_COMMIT` in the environment
/// overrides it. The file is replaced only when its text changes, so a build with nothing new
/// recompiles nothing.
@main
struct BuildInfo: BuildToolPlugin {
  func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
    let directory = context.pluginWorkDirectoryURL.appending(path: "generated")
    return [
      .prebuildCommand(
        displayName: "Recording the commit of \(context.package.displayName) for --version",
        executable: URL(fileURLWithPath: "/bin/sh"),
        arguments: [
          "-c", Self.script, "build-info", context.package.directoryURL.path, directory.path,
        ],
        outputFilesDirectory: directory)
    ]
  }

  static let script = #"""
    set -u
    package=$1 out=$2
    PATH=/usr/local/bin:/usr/bin:/bin:${PATH:-}
    commit=unknown
    if [ -n "${VMMAP_COMMIT:-}" ]; then
      commit=$VMMAP_COMMIT
    elif top=$(git -C "$package" rev-parse --show-toplevel 2>/dev/null) &&
      [ "$(cd "$top" && pwd -P)" = "$(cd "$package" && pwd -P)" ] &&
      head=$(git -C "$package" rev-parse --short=12 HEAD 2>/dev/null); then
      commit=$head
      git -C "$package" diff --quiet HEAD -- 2>/dev/null || commit="$head-dirty"
    fi
    commit=$(printf '%s' "$commit" | tr -cd 'A-Za-z0-9._+-')
    mkdir -p "$out"
    printf '/// The commit vmmap was built from (Plugins/BuildInfo).\nenum BuildCommit {\n  static let id = "%s"\n}\n' \
      "${commit:-unknown}" >"$out/BuildCommit.swift.new"
    if cmp -s "$out/BuildCommit.swift.new" "$out/BuildCommit.swift"; then
      rm -f "$out/BuildCommit.swift.new"
    else
      mv -f "$out/BuildCommit.swift.new" "$out/BuildCommit.swift"
    fi
    """#
}
