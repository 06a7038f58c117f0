import CVMProbes
import Foundation
import Glibc
import VMMapTestSupport

/// A child that changes its map on command, one byte on its standard input at a time, and
/// acknowledges each change with one byte on its standard output:
/// `g` maps 4 MiB of private anonymous memory (no huge pages) and writes every page; `f` maps
/// the file named by its first argument (read-only, private) and reads every page. End of file
/// on standard input makes it exit.
final class Grower {
  static let growth: UInt64 = 4 << 20

  let pid: pid_t
  private let toChild: Int32
  private let fromChild: Int32
  private var finished = false

  init(file: String = "/dev/null") throws {
    let program = try Self.binary.get()
    var input: [Int32] = [0, 0]
    var output: [Int32] = [0, 0]
    guard vmp_pipe_cloexec(&input) == 0, vmp_pipe_cloexec(&output) == 0 else {
      throw POSIXError(.EIO)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, input[0], 0)
    posix_spawn_file_actions_adddup2(&actions, output[1], 1)
    let args = [strdup(program), strdup(file), nil]
    defer { args.forEach { free($0) } }
    var child: pid_t = 0
    let rc = posix_spawn(&child, program, &actions, nil, args, environ)
    close(input[0])
    close(output[1])
    guard rc == 0 else {
      close(input[1])
      close(output[0])
      throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO)
    }
    pid = child
    toChild = input[1]
    fromChild = output[0]
    // The program says it is ready (after exec and its own start-up) with one byte.
    try awaitAck()
  }

  /// Sends `command` and waits until the child has done it.
  func send(_ command: Character) throws {
    var byte = command.asciiValue ?? 0
    guard write(toChild, &byte, 1) == 1 else { throw POSIXError(.EPIPE) }
    try awaitAck()
  }

  private func awaitAck() throws {
    var byte: UInt8 = 0
    var n: Int
    repeat { n = read(fromChild, &byte, 1) } while n < 0 && errno == EINTR
    guard n == 1 else { throw POSIXError(.EPIPE) }
  }

  /// Closes its input: the child exits; waits for it.
  func finish() {
    guard !finished else { return }
    finished = true
    close(toChild)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    close(fromChild)
  }

  deinit {
    if !finished { kill(pid, SIGKILL) }
    finish()
  }

  static let binary: Result<String, any Error> = Result {
    let dir = NSTemporaryDirectory() + "vmmap-grower-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try """
    #include <fcntl.h>
    #include <string.h>
    #include <sys/mman.h>
    #include <sys/stat.h>
    #include <unistd.h>
    int main(int argc, char **argv) {
      char c = 'r';
      if (write(1, &c, 1) != 1) return 1;
      while (read(0, &c, 1) == 1) {
        if (c == 'g') {
          size_t n = 4 << 20;
          char *p = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
          if (p == MAP_FAILED) return 2;
          madvise(p, n, MADV_NOHUGEPAGE);
          memset(p, 1, n);
        } else if (c == 'f' && argc > 1) {
          int fd = open(argv[1], O_RDONLY);
          struct stat st;
          if (fd < 0 || fstat(fd, &st) != 0) return 3;
          volatile char *p = mmap(0, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
          if (p == MAP_FAILED) return 4;
          unsigned sum = 0;
          for (off_t i = 0; i < st.st_size; i += 4096) sum += p[i];
          close(fd);
          (void)sum;
        }
        if (write(1, &c, 1) != 1) return 5;
      }
      return 0;
    }
    """
    .write(toFile: dir + "/grower.c", atomically: true, encoding: .utf8)
    let binary = dir + "/vmmap-grower"
    let cc = try run("/usr/bin/cc", ["-O2", "-o", binary, dir + "/grower.c"])
    guard cc.status == 0 else { throw CocoaError(.executableLoad, userInfo: ["cc": cc.stderr]) }
    return binary
  }
}
