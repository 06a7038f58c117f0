#define _GNU_SOURCE
#include "CVMProbes.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * `vmmap --faults CMD`: fork, trace, exec, relay, read at the exit stop, reap. In C because
 * Swift must not run in a forked child (SWIFT-NOTES.md §3) and cannot call the variadic
 * ptrace(2). The child calls only async-signal-safe functions before execve.
 */

/* The command's PID for the forwarding handler; 0 while there is none. */
static volatile sig_atomic_t g_command_pid;

static void forward_signal(int signo) {
  int saved = errno;
  pid_t pid = (pid_t)g_command_pid;
  if (pid > 0) kill(pid, signo);
  errno = saved;
}

static int64_t monotonic_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Reads /proc/TID/NAME into buf (at most cap bytes); returns the length, or 0. */
static size_t read_proc(pid_t tid, const char *name, char *buf, size_t cap) {
  char path[64];
  int n = snprintf(path, sizeof path, "/proc/%d/%s", (int)tid, name);
  if (n < 0 || (size_t)n >= sizeof path) return 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  size_t len = 0;
  while (len < cap) {
    ssize_t got = read(fd, buf + len, cap - len);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    len += (size_t)got;
  }
  close(fd);
  return len;
}

/* In the forked child: default dispositions, empty mask, wait for the tracer, exec. */
__attribute__((noreturn)) static void child_exec(
    const char *path, char *const argv[], char *const envp[], int go_fd, int error_fd) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  /* An ignored signal stays ignored across exec (vmmap ignores SIGPIPE and, while it waits,
   * SIGINT and SIGQUIT): the command must start as a shell would start it. */
  for (int s = 1; s < NSIG; s++) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    sigaction(s, &dfl, 0);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, 0);
  char go = 0;
  while (read(go_fd, &go, 1) < 0 && errno == EINTR) {
  }
  execve(path, argv, envp);
  int e = errno;
  while (write(error_fd, &e, sizeof e) < 0 && errno == EINTR) {
  }
  _exit(127);
}

static int is_stop_signal(int s) {
  return s == SIGSTOP || s == SIGTSTP || s == SIGTTIN || s == SIGTTOU;
}

/* One stop of a traced task: record what the run needs, then let the task go on. */
static void handle_stop(struct vmp_command_run *run, pid_t tid, int status) {
  int sig = WSTOPSIG(status);
  int event = (unsigned)status >> 16;
  switch (event) {
  case PTRACE_EVENT_EXIT:
    /* The task is about to exit; its memory is still mapped. A later exit stop (another
     * thread of the group) replaces an earlier one: the last is the final state. */
    run->exit_stops++;
    run->exit_status_len = read_proc(tid, "status", run->exit_status, sizeof run->exit_status);
    run->exit_stat_len = read_proc(tid, "stat", run->exit_stat, sizeof run->exit_stat);
    run->exit_stop_tid = tid;
    if (run->hooks && run->hooks->at_exit_stop) run->hooks->at_exit_stop(run->hooks->context, tid);
    ptrace(PTRACE_CONT, tid, 0, 0);
    return;
  case PTRACE_EVENT_EXEC:
    /* The first exec is the starter's: what the counters hold now happened before the
     * command's first instruction. */
    if (run->exec_stops++ == 0) {
      run->exec_stat_len = read_proc(tid, "stat", run->exec_stat, sizeof run->exec_stat);
    }
    if (run->hooks && run->hooks->at_exec_stop) {
      run->hooks->at_exec_stop(run->hooks->context, tid, run->exec_stops);
    }
    ptrace(PTRACE_CONT, tid, 0, 0);
    return;
  case PTRACE_EVENT_CLONE:
    run->threads_started++;
    ptrace(PTRACE_CONT, tid, 0, 0);
    return;
  case PTRACE_EVENT_STOP:
    /* A group-stop (SIGSTOP, ^Z): stay stopped, as an untraced process would, until SIGCONT.
     * Otherwise the first stop of a newly attached thread, or the end of a listen. */
    if (is_stop_signal(sig)) {
      ptrace(PTRACE_LISTEN, tid, 0, 0);
    } else {
      ptrace(PTRACE_CONT, tid, 0, 0);
    }
    return;
  case 0:
    /* Signal-delivery-stop: deliver the signal, so the command behaves as untraced. */
    run->signals_relayed++;
    ptrace(PTRACE_CONT, tid, 0, (void *)(long)sig);
    return;
  default:
    ptrace(PTRACE_CONT, tid, 0, 0);
    return;
  }
}

int vmp_run_command(
    const char *path, char *const argv[], char *const envp[], struct vmp_command_run *run) {
  int use_ptrace = run->use_ptrace;
  const struct vmp_command_hooks *hooks = run->hooks;
  memset(run, 0, sizeof *run);
  run->use_ptrace = use_ptrace;
  run->hooks = hooks;
  run->pid = -1;
  run->ptrace_errno = -1;

  int go[2], err[2];
  if (pipe2(go, O_CLOEXEC) != 0) return -errno;
  if (pipe2(err, O_CLOEXEC) != 0) {
    int e = errno;
    close(go[0]);
    close(go[1]);
    return -e;
  }

  /* Like time(1): ^C and ^\ from the terminal reach the command through the foreground
   * process group and vmmap waits to report; SIGTERM and SIGHUP sent to vmmap alone are
   * passed on to the command. */
  struct sigaction ignore, forward, old_int, old_quit, old_term, old_hup;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  memset(&forward, 0, sizeof forward);
  forward.sa_handler = forward_signal;
  forward.sa_flags = SA_RESTART;
  sigemptyset(&forward.sa_mask);
  g_command_pid = 0;
  sigaction(SIGINT, &ignore, &old_int);
  sigaction(SIGQUIT, &ignore, &old_quit);
  sigaction(SIGTERM, &forward, &old_term);
  sigaction(SIGHUP, &forward, &old_hup);

  /* Held back across fork until g_command_pid is set, so none is lost. The child empties
   * its mask before exec. */
  sigset_t forwarded, old_mask;
  sigemptyset(&forwarded);
  sigaddset(&forwarded, SIGTERM);
  sigaddset(&forwarded, SIGHUP);
  sigprocmask(SIG_BLOCK, &forwarded, &old_mask);

  int64_t start = monotonic_ns();
  pid_t pid = fork();
  if (pid == 0) {
    close(go[1]);
    close(err[0]);
    child_exec(path, argv, envp, go[0], err[1]);
  }
  int fork_errno = errno;
  close(go[0]);
  close(err[1]);
  if (pid < 0) {
    close(go[1]);
    close(err[0]);
    sigprocmask(SIG_SETMASK, &old_mask, 0);
    sigaction(SIGINT, &old_int, 0);
    sigaction(SIGQUIT, &old_quit, 0);
    sigaction(SIGTERM, &old_term, 0);
    sigaction(SIGHUP, &old_hup, 0);
    return -fork_errno;
  }
  run->pid = pid;
  if (hooks && hooks->after_fork) {
    int rc = hooks->after_fork(hooks->context, pid);
    if (rc < 0) {
      /* The child has not exec'd (it waits for `go`): nothing of the command ran. */
      kill(pid, SIGKILL);
      close(go[1]);
      int status;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      close(err[0]);
      sigprocmask(SIG_SETMASK, &old_mask, 0);
      sigaction(SIGINT, &old_int, 0);
      sigaction(SIGQUIT, &old_quit, 0);
      sigaction(SIGTERM, &old_term, 0);
      sigaction(SIGHUP, &old_hup, 0);
      return rc;
    }
  }
  g_command_pid = pid;
  /* Unblocked while waiting even if vmmap inherited them blocked: forwarding must work. */
  sigprocmask(SIG_UNBLOCK, &forwarded, 0);

  if (use_ptrace) {
    long options = PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC | PTRACE_O_TRACECLONE |
                   PTRACE_O_EXITKILL;
    if (ptrace(PTRACE_SEIZE, pid, 0, (void *)options) == 0) {
      run->traced = 1;
      run->ptrace_errno = 0;
    } else {
      run->ptrace_errno = errno;
    }
  }
  /* Let the child exec (closing our end is the signal: read returns 0). */
  close(go[1]);

  for (;;) {
    int status = 0;
    struct rusage usage;
    memset(&usage, 0, sizeof usage);
    pid_t tid = run->traced ? wait4(-1, &status, __WALL, &usage) : wait4(pid, &status, 0, &usage);
    if (tid < 0) {
      if (errno == EINTR) continue;
      run->wait_errno = errno;
      break;
    }
    if (WIFSTOPPED(status)) {
      if (run->traced) {
        handle_stop(run, tid, status);
      }
      continue;
    }
    if (tid == pid && (WIFEXITED(status) || WIFSIGNALED(status))) {
      run->status = status;
      run->usage = usage;
      break;
    }
  }
  run->wall_ns = monotonic_ns() - start;
  sigprocmask(SIG_BLOCK, &forwarded, 0);
  g_command_pid = 0;
  sigprocmask(SIG_SETMASK, &old_mask, 0);

  /* The child wrote errno here if execve failed; end of file means it succeeded. */
  int exec_errno = 0;
  ssize_t got;
  while ((got = read(err[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
  }
  run->exec_errno = got == (ssize_t)sizeof exec_errno ? exec_errno : 0;
  close(err[0]);

  sigaction(SIGINT, &old_int, 0);
  sigaction(SIGQUIT, &old_quit, 0);
  sigaction(SIGTERM, &old_term, 0);
  sigaction(SIGHUP, &old_hup, 0);
  return run->wait_errno ? -run->wait_errno : 0;
}
