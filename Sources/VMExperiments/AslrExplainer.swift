import VMMapCore

/// The words of an ASLR report, from its numbers.
enum AslrExplainer {
  static func explain(_ r: inout AslrReport) {
    var out: [String] = []
    let random = r.randomized
    let moved = random.regions.filter { $0.distinct > 1 }
    let n = r.runs

    if moved.isEmpty {
      out.append(
        "Nothing moved in \(n) runs: with randomize_va_space \(r.randomizeVASpace.map(String.init) ?? "unknown") the kernel places every process the same way, as ADDR_NO_RANDOMIZE does for one process."
      )
    } else {
      var clauses: [String] = []
      for x in random.regions where x.distinct > 1 {
        let label = x.region.label
        if let d = x.distanceBelowMmapBase, d.distinct == 1 {
          clauses.append(
            "the \(label) \(AslrFormat.hex(d.minimum)) below the mmap base in every run")
        } else if let d = x.distanceBelowMmapBase {
          var clause =
            "\(label) below the mmap base, but not at a fixed distance (\(d.distinct) distances from \(AslrFormat.size(d.minimum)) to \(AslrFormat.size(d.maximum)))"
          if x.distinctWithin2MiB * 4 <= x.distinct {
            // Bits 21 and up of the distances from the lowest position, plus the few places
            // inside a 2 MiB block: a closer count than the page-level one.
            let positions = random.samples.compactMap { $0.position(x.region) }
            let lowest = positions.min() ?? 0
            let high = positions.reduce(UInt64(0)) { $0 | (($1 - lowest) >> 21) }.nonzeroBitCount
            let low =
              x.distinctWithin2MiB > 1
              ? 64 - UInt64(x.distinctWithin2MiB - 1).leadingZeroBitCount : 0
            clause +=
              ": its place inside a 2 MiB block took only \(x.distinctWithin2MiB) value\(x.distinctWithin2MiB == 1 ? "" : "s") in \(n) runs, because the larger libraries mapped before it start on 2 MiB boundaries (the kernel aligns mappings of 2 MiB or more for huge pages), which absorbs the low bits of the base: about \(high + low) random bits, not the \(x.entropyBits) its page-level count shows"
          }
          clauses.append(clause)
        } else if x.region == .heap, let gap = x.offsetFromExecutableEnd, gap.distinct > 1 {
          clauses.append("the heap with the executable, plus a random gap of its own (below)")
        } else if let with = x.movesWith {
          clauses.append("the \(label) at a fixed distance from the \(with.label)")
        } else {
          clauses.append("the \(label) by \(x.entropyBits) random bits")
        }
      }
      out.append(
        "The kernel draws its random numbers at execve (load_elf_binary): the executable's load address, the stack top, the mmap base and the heap's gap after the .bss. Everything in the mmap area is then placed top-down below the mmap base: the dynamic loader first, then the vdso, then the libraries the loader maps. Measured over \(n) runs: \(clauses.joined(separator: "; "))."
      )
    }

    if let heap = random.stats(.heap), let offset = heap.offsetFromExecutableEnd {
      if offset.distinct > 1 {
        out.append(
          "The heap (brk) starts at a random distance after the end of the executable's .bss: between \(AslrFormat.size(offset.minimum)) and \(AslrFormat.size(offset.maximum)) in these runs (\(offset.entropyBits) random bits seen). With ADDR_NO_RANDOMIZE it starts right at the end of the .bss."
        )
      } else if offset.minimum == 0 {
        out.append(
          "The heap (brk) starts right at the end of the executable's .bss in every run: it moves only with the executable (randomize_va_space 2 would add a random gap)."
        )
      }
    }

    if let exe = random.stats(.executable), exe.distinct > 1, let kernel = exe.kernelBits {
      out.append(
        "Counting random bits: the bits that differed between runs (XOR) can include bits above the kernel's range, because adding a random offset to a fixed base carries into higher bits (the executable: \(exe.variedBitCount) bits differed, bits \(exe.lowestVariedBit ?? 0)–\(exe.highestVariedBit ?? 0)). The entropy counted here is the bits of each position's distance from the lowest one: \(exe.entropyBits) for the executable, against the kernel's \(kernel) (mmap_rnd_bits, in pages of \(AslrFormat.size(r.pageSize))). With \(n) runs each random bit is seen to vary with probability 1 − 2^−\(max(n - 1, 0))."
      )
    }

    let fixed = r.notRandomized
    let pie = fixed.stats(.executable)?.lowest ?? "?"
    let top = fixed.stats(.stack)?.lowest ?? "?"
    let base = fixed.stats(.mmapBase)?.lowest ?? "?"
    var gap = ""
    if let t = fixed.stats(.stack)?.lowest.flatMap(parseHex),
      let b = fixed.stats(.mmapBase)?.lowest.flatMap(parseHex), t > b
    {
      gap = " (\(AslrFormat.size(t - b)) below the stack top: room for the stack to grow)"
    }
    out.append(
      fixed.allSame
        ? "With the ADDR_NO_RANDOMIZE personality (setarch -R; gdb sets it by default) all \(n) runs landed at the same addresses: the executable at \(pie) (ELF_ET_DYN_BASE, two thirds of the 47-bit user space), the stack top at \(top) (the top of user space), the mmap base at \(base)\(gap). The personality is inherited by children and takes effect at execve."
        : "With the ADDR_NO_RANDOMIZE personality some regions still moved: \(list(fixed.regions.filter { $0.distinct > 1 }.map(\.region.label)))."
    )
    r.explanation = out
    r.lesson =
      "ASLR does not hide the layout: it slides a few blocks as a whole. One leaked address (a return address, a libc pointer) gives away its whole block; what protects is the number of random bits an attacker must guess, and guesses that crash are noticed."
  }

  /// `a`, `a and b`, `a, b and c`.
  static func list(_ items: [String]) -> String {
    switch items.count {
    case 0: return "none"
    case 1: return items[0]
    default: return items.dropLast().joined(separator: ", ") + " and " + items[items.count - 1]
    }
  }
}
