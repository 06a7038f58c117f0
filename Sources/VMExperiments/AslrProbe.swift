import CVMProbes
import Glibc
import VMMapCore

/// The child side of `vmmap --aslr`: one run of the specimen. The process reads where the
/// kernel put it (its own `/proc/self/maps` and auxiliary vector) and reports it.
///
/// The personality takes effect at `execve`, and posix_spawn cannot set it, so a child whose
/// personality is not the one its series asks for (`ADDR_NO_RANDOMIZE` set, or cleared) sets
/// it and executes itself again (same PID, same limits, same pipes) before it looks: what
/// `setarch -R` does.
enum AslrProbe {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// `ADDR_NO_RANDOMIZE` from `<linux/personality.h>`.
  static let noRandomize: UInt32 = 0x0040000
  static func run(noRandomize wanted: Bool) throws -> AslrSample {
    let read = vmp_personality_get()
    guard read >= 0 else {
      throw Failure(description: "personality: \(String(cString: strerror(Int32(-read))))")
    }
    let current = UInt32(truncatingIfNeeded: read)
    // Each series sets its personality itself, so that `setarch -R vmmap --aslr` (or a
    // debugger's vmmap) still gets a randomised series.
    if wanted != (current & noRandomize != 0) {
      let persona = wanted ? current | noRandomize : current & ~noRandomize
      let set = vmp_personality_set(persona)
      guard set == 0 else {
        throw Failure(
          description:
            "personality(\(wanted ? "ADDR_NO_RANDOMIZE" : "0")): \(String(cString: strerror(-set)))"
        )
      }
      let name = Experiment.aslrSample(noRandomize: wanted).name
      let argv: [UnsafeMutablePointer<CChar>?] = [
        strdup("vmmap"), strdup("__experiment"), strdup(name), nil,
      ]
      execv("/proc/self/exe", argv)
      throw Failure(description: "execv /proc/self/exe: \(String(cString: strerror(errno)))")
    }
    return try sample(pid: getpid(), personality: current)
  }

  /// Where the kernel put this process.
  static func sample(pid: Int32, personality: UInt32) throws -> AslrSample {
    let reader = try ProcessReader(pid: pid)
    let mappings = try reader.readMappings()
    guard let exe = reader.readExecutable() else {
      throw Failure(description: "cannot read /proc/self/exe")
    }
    var s = AslrSample(pid: pid, personality: personality)
    let interpreterBase = UInt64(vmp_auxv_interpreter_base())
    let vdsoBase = UInt64(vmp_auxv_vdso())
    s.auxvInterpreterBase = interpreterBase == 0 ? nil : hex(interpreterBase)
    s.auxvVdso = vdsoBase == 0 ? nil : hex(vdsoBase)

    let located = locate(mappings, executable: exe, interpreterBase: interpreterBase)
    s.executable = located.executable.map(hex)
    s.executableEnd = located.executableEnd.map(hex)
    s.heap = located.heap.map(hex)
    s.stack = located.stack.map(hex)
    s.mmapBase = located.mmapBase.map(hex)
    s.vdso = located.vdso.map(hex)
    s.libc = located.libc.map(hex)
    return s
  }

  struct Located: Equatable {
    var executable: UInt64?
    var executableEnd: UInt64?
    var heap: UInt64?
    var stack: UInt64?
    var mmapBase: UInt64?
    var vdso: UInt64?
    var libc: UInt64?
  }

  /// The recorded places in a map (address order, as maps lists it): the executable is the
  /// file `executable`, the dynamic loader the file mapped at `interpreterBase` (AT_BASE),
  /// libc the first file named `libc.so.6` (or `libc-*.so`).
  static func locate(_ mappings: [Mapping], executable: PathBytes, interpreterBase: UInt64)
    -> Located
  {
    var l = Located()
    func path(_ m: Mapping) -> PathBytes? {
      if case .file(let path, _) = m.name { return path }
      return nil
    }
    let interpreter = mappings.first { $0.start == interpreterBase }.flatMap(path)
    for (i, m) in mappings.enumerated() {
      switch m.name {
      case .heap: l.heap = l.heap ?? m.start
      case .stack: l.stack = m.end
      case .vdso: l.vdso = l.vdso ?? m.start
      case .file(let p, _):
        if p == executable {
          l.executable = l.executable ?? m.start
          var end = m.end
          // The .bss beyond the file's last page is anonymous memory right after it.
          if i + 1 < mappings.count, mappings[i + 1].start == m.end,
            case .anonymous = mappings[i + 1].name, m.permissions.write
          {
            end = mappings[i + 1].end
          }
          l.executableEnd = end
        } else if let interpreter, p == interpreter {
          l.mmapBase = m.end
        } else if l.libc == nil {
          let name = p.lastComponent
          if name == PathBytes("libc.so.6") || (name.hasPrefix("libc-") && name.hasSuffix(".so")) {
            l.libc = m.start
          }
        }
      default: break
      }
    }
    return l
  }
}
