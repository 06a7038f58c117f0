import CVMProbes
import Glibc
import VMMapCore

/// The process that holds one region of every kind (`vmmap __specimen`), for tests and reports.
///
/// Output on stdout, line-buffered, one record per line, stable across versions:
///
///     PID <pid>
///     TID <tid>                               the second thread (blocked in read(2))
///     TMPDIR <path>                           its private directory under /tmp
///     REGION <kind> 0x<address> <bytes> <tag> [<note>]
///     …
///     READY
///
/// `<kind>` is the `RegionKind` raw value the classifier must give the region holding
/// `<address>`; `<bytes>` is the size the specimen asked for (0 when it is just an address);
/// `<tag>` is one word saying what was made (`data`, `bss`, `text`, `malloc`, `tid=N`, `thp`,
/// `rwx`, `deleted`, `space`, `newline`, …); `<note>` is free text with non-printable bytes
/// written as `\xHH`. Optional regions (`hugetlb`, which needs reserved huge pages) are printed
/// only when they could be made. After `READY` the specimen waits until it gets SIGTERM, SIGINT
/// or SIGHUP, or until stdin reaches end-of-file when stdin is a pipe, socket or terminal
/// (never for /dev/null); then it removes its files and exits 0. SIGKILL leaves the directory.
public enum Specimen {
  /// Creates the regions, prints where they are, then waits until killed. Never returns.
  public static func main(arguments: [String]) -> Never {
    _ = vmp_line_buffer_stdout()
    // Block the exit signals before any thread starts, so every thread inherits the mask
    // and the main thread takes them through a signalfd.
    let signals = vmp_exit_signalfd()

    var maker = RegionMaker()
    print("PID \(getpid())")
    maker.makeAll(hostile: arguments.contains("--hostile"))
    print("READY")
    waitForExit(signalFD: signals)
    maker.cleanUp()
    exit(0)
  }

  private static func waitForExit(signalFD sfd: Int32) {
    var st = stat()
    let stdinEnds =
      fstat(0, &st) == 0
      && (st.st_mode & S_IFMT == S_IFIFO || st.st_mode & S_IFMT == S_IFSOCK || isatty(0) == 1)
    // Without a signalfd (-errno), poll ignores the negative descriptor; signals then kill.
    var fds = [pollfd(fd: sfd, events: Int16(POLLIN), revents: 0)]
    if stdinEnds { fds.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
    var buffer = [UInt8](repeating: 0, count: 256)
    while true {
      let n = poll(&fds, nfds_t(fds.count), -1)
      if n < 0 && errno == EINTR { continue }
      if n < 0 { return }
      if fds[0].revents != 0 { return }
      if fds.count > 1, fds[1].revents != 0 {
        let got = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
        if got <= 0 { return }
      }
    }
  }
}
