extension ProcessReader {
  /// The whole map: regions from smaps (`counters`) or maps, with smaps_rollup (when
  /// `counters`), status, stat, threads, command line and executable; file names resolved
  /// through `map_files` where permitted.
  ///
  /// Throws `.notAUserProcess` for a kernel thread or a zombie, `.exitedDuringRead` when the
  /// process exits while it is read, `.permissionDenied` with the likely cause.
  public func readMemoryMap(counters: Bool) throws(VMMapError) -> MemoryMap {
    let stat = try readStat()
    try checkUserProcess(stat)
    // smaps_rollup is read on this thread while the reader thread starts on smaps.
    var rollupRead: Result<SmapsCounters, VMMapError>?
    var regions =
      counters
      ? try readRegions(meanwhile: {
        do throws(VMMapError) { rollupRead = .success(try readRollup()) } catch {
          rollupRead = .failure(error)
        }
      }) : try readMappings().map { Region(mapping: $0) }
    if regions.isEmpty {
      // Kernel threads and zombies read as empty; so does a process that just exited.
      if hasExited() {
        throw ProcfsErrors.exitedDuringRead(pid: pid, file: counters ? "smaps" : "maps")
      }
      try checkUserProcess(try readStat(), status: try readStatus())
    }
    let rollup = try rollupRead?.get()
    // Status after the regions: for vmmap's own map (--self), reading maps memory of its own
    // (the reader thread's stack, the buffers), which stays mapped afterwards; VmSize read
    // now agrees with the regions.
    let status = try readStatus()
    MapFilesResolver(reader: self).resolve(&regions)
    let map = MemoryMap(
      source: .live(pid: pid), regions: regions, rollup: rollup, status: status, stat: stat,
      threads: readThreads(), commandLine: readCommandLine(), executable: readExecutable(),
      hasCounters: counters)
    return map
  }

  /// Throws `.notAUserProcess` for a kernel thread (`PF_KTHREAD`, or no `VmSize` in status) or
  /// a zombie.
  public func checkUserProcess(_ stat: ProcessStat, status: ProcessStatus? = nil) throws(VMMapError)
  {
    let name = stat.comm.string
    if stat.isKernelThread || (status.map { !$0.hasAddressSpace } ?? false) {
      throw VMMapError(
        .notAUserProcess, what: "PID \(pid) is a kernel thread (\(name))",
        why: "it has no user address space",
        fix: "choose a user process, e.g. from `ps -e`")
    }
    if stat.isZombie {
      throw VMMapError(
        .notAUserProcess, what: "PID \(pid) is a zombie (\(name))",
        why: "its memory is already freed",
        fix: "its parent has not reaped it yet; nothing is left to map")
    }
  }
}

/// Reads the memory map of process `pid` (see `ProcessReader.readMemoryMap(counters:)`).
public func readMemoryMap(pid: Int32, counters: Bool) throws(VMMapError) -> MemoryMap {
  try ProcessReader(pid: pid).readMemoryMap(counters: counters)
}
