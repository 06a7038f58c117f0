/// What the name column of a maps line says, interpreted.
///
/// The kernel's text is ambiguous: it escapes only a newline (as `\012`) and never a backslash,
/// so a file named `a\012b` and one named `a<newline>b` print the same; and a live file really
/// named `x (deleted)` looks deleted. For a live process, `MapFilesResolver` settles both through
/// `/proc/PID/map_files`; for saved text the ambiguity is reported (`isAmbiguous`).
public enum MappingName: Hashable, Sendable {
  /// Empty column: anonymous memory.
  case anonymous
  case heap
  case stack
  /// `[stack:TID]`, printed by kernels before 4.5 for thread stacks.
  case threadStack(tid: Int32)
  case vdso
  case vvar
  /// `[vvar_vclock]` (Linux 6.13+ splits the vDSO data pages).
  case vvarVclock
  case vsyscall
  case uprobes
  /// `[anon:NAME]`, set with `prctl(PR_SET_VMA_ANON_NAME)` (needs `CONFIG_ANON_VMA_NAME`).
  case namedAnonymous(PathBytes)
  /// `[anon_shmem:NAME]`: named shared anonymous memory.
  case namedSharedAnonymous(PathBytes)
  /// Another bracketed pseudo name this code does not know, kept as printed.
  case otherPseudo(PathBytes)
  /// A file. `path` has the kernel's `\012` escapes decoded; `deleted` is the `" (deleted)"` suffix.
  case file(path: PathBytes, deleted: Bool)
  /// A name that is neither bracketed nor absolute (`anon_inode:[perf_event]`, `socket:[…]`).
  case otherName(PathBytes)

  public init(raw: PathBytes) {
    let b = raw.bytes
    if b.isEmpty {
      self = .anonymous
      return
    }
    if b.first == UInt8(ascii: "["), b.last == UInt8(ascii: "]") {
      self = MappingName.pseudo(Array(b[1..<(b.count - 1)]), raw: raw)
      return
    }
    if b.first == UInt8(ascii: "/") {
      var path = b
      var deleted = false
      let suffix = Array(" (deleted)".utf8)
      if path.count > suffix.count, Array(path[(path.count - suffix.count)...]) == suffix {
        deleted = true
        path.removeLast(suffix.count)
      }
      self = .file(path: PathBytes(MappingName.decodeEscapes(path)), deleted: deleted)
      return
    }
    self = .otherName(raw)
  }

  private static func pseudo(_ inner: [UInt8], raw: PathBytes) -> MappingName {
    switch inner {
    case Array("heap".utf8): return .heap
    case Array("stack".utf8): return .stack
    case Array("vdso".utf8): return .vdso
    case Array("vvar".utf8): return .vvar
    case Array("vvar_vclock".utf8): return .vvarVclock
    case Array("vsyscall".utf8): return .vsyscall
    case Array("uprobes".utf8): return .uprobes
    default: break
    }
    if inner.starts(with: "anon:".utf8) {
      return .namedAnonymous(PathBytes(Array(inner.dropFirst(5))))
    }
    if inner.starts(with: "anon_shmem:".utf8) {
      return .namedSharedAnonymous(PathBytes(Array(inner.dropFirst(11))))
    }
    if inner.starts(with: "stack:".utf8),
      let tid = Int32(String(decoding: inner.dropFirst(6), as: UTF8.self))
    {
      return .threadStack(tid: tid)
    }
    return .otherPseudo(raw)
  }

  /// Decodes the kernel's `\ooo` octal escapes (seq_path escapes only `\n`, as `\012`).
  /// A backslash not followed by three octal digits stays as it is.
  public static func decodeEscapes(_ bytes: [UInt8]) -> [UInt8] {
    guard bytes.contains(UInt8(ascii: "\\")) else { return bytes }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = 0
    func octal(_ b: UInt8) -> UInt8? {
      b >= UInt8(ascii: "0") && b <= UInt8(ascii: "7") ? b - UInt8(ascii: "0") : nil
    }
    while i < bytes.count {
      if bytes[i] == UInt8(ascii: "\\"), i + 3 < bytes.count,
        let a = octal(bytes[i + 1]), let b = octal(bytes[i + 2]), let c = octal(bytes[i + 3]),
        a <= 3
      {
        out.append(a << 6 | b << 3 | c)
        i += 4
      } else {
        out.append(bytes[i])
        i += 1
      }
    }
    return out
  }

  /// True when the printed name may stand for another name (an escape sequence that could be
  /// literal, or a `(deleted)` suffix that could be part of the file name).
  public var isAmbiguous: Bool {
    if case .file(let path, let deleted) = self {
      return deleted || path.bytes.contains(UInt8(ascii: "\n"))
    }
    return false
  }

  /// The file path, for file-backed names.
  public var filePath: PathBytes? {
    if case .file(let path, _) = self { return path }
    return nil
  }

  public var isDeletedFile: Bool {
    if case .file(_, let deleted) = self { return deleted }
    return false
  }
}
