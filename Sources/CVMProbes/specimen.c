#define _GNU_SOURCE
#include "CVMProbes.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Globals that land in the executable's .data and .bss (see CVMProbes.h). */
int vmp_specimen_data = 42;  /* non-static, so it stays a real .data object */
char vmp_specimen_bss[VMP_SPECIMEN_BSS_SIZE];

uintptr_t vmp_specimen_data_address(void) {
  vmp_specimen_data += 1;
  return (uintptr_t)&vmp_specimen_data;
}

uintptr_t vmp_specimen_bss_address(void) { return (uintptr_t)vmp_specimen_bss; }

uintptr_t vmp_vdso_address(void) { return (uintptr_t)getauxval(AT_SYSINFO_EHDR); }

int vmp_exit_signalfd(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  int rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
  if (rc != 0) return -rc;
  int fd = signalfd(-1, &set, SFD_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

struct thread_start {
  pthread_mutex_t lock;
  pthread_cond_t ready;
  int done;
  int pipe_read;
  struct vmp_specimen_thread *out;
};

static void *specimen_thread(void *arg) {
  struct thread_start *start = arg;
  volatile char local[64];
  local[0] = 1;
  void *block = malloc(100); /* a non-main thread's first malloc creates an arena */
  pthread_mutex_lock(&start->lock);
  start->out->tid = (int)syscall(SYS_gettid);
  start->out->stack_address = (uintptr_t)&local[0];
  start->out->arena_block = (uintptr_t)block;
  int fd = start->pipe_read;
  start->done = 1;
  pthread_cond_signal(&start->ready);
  pthread_mutex_unlock(&start->lock);
  /* Block in a syscall for ever, so /proc/PID/task/TID/syscall shows the stack pointer. */
  char c;
  for (;;) {
    ssize_t n = read(fd, &c, 1);
    if (n == 0) break;
    if (n < 0 && errno != EINTR) break;
  }
  local[1] = (char)(uintptr_t)block;
  return NULL;
}

int vmp_specimen_start_thread(struct vmp_specimen_thread *out) {
  static struct thread_start start = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, -1, NULL};
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -errno;
  start.pipe_read = fds[0];
  start.out = out;
  pthread_t thread;
  int rc = pthread_create(&thread, NULL, specimen_thread, &start);
  if (rc != 0) return -rc;
  pthread_mutex_lock(&start.lock);
  while (!start.done) pthread_cond_wait(&start.ready, &start.lock);
  pthread_mutex_unlock(&start.lock);
  out->pipe_write = fds[1];
  return 0;
}

uintptr_t vmp_specimen_stack_address(void) { return (uintptr_t)__builtin_frame_address(0); }

uintptr_t vmp_specimen_text_address(void) { return (uintptr_t)&vmp_specimen_text_address; }

uintptr_t vmp_specimen_libc_address(void) { return (uintptr_t)&getpid; }

int vmp_line_buffer_stdout(void) { return setvbuf(stdout, NULL, _IOLBF, 0) == 0 ? 0 : -EINVAL; }

int vmp_memfd_create(const char *name, unsigned int flags) {
  long fd = syscall(SYS_memfd_create, name, flags);
  return fd < 0 ? -errno : (int)fd;
}
