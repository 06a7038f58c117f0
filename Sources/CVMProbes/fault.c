#define _GNU_SOURCE
#include "CVMProbes.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

/*
 * Fault probes: recovery from SIGSEGV/SIGBUS must stay in C (Swift cannot call sigsetjmp).
 * SWIFT-NOTES.md §2. Only ever run in the sandboxed child (`vmmap __experiment fault TYPE`).
 */

static _Thread_local sigjmp_buf t_env;
static _Thread_local volatile sig_atomic_t t_armed;
static _Thread_local volatile int t_signo, t_code;
static _Thread_local volatile uintptr_t t_addr;
static volatile long g_depth;
static volatile int g_stop_recursion; /* never set: keeps the recursion from looking infinite */

/* Opaque to the optimiser, so a NULL read stays a load instead of ud2 (SWIFT-NOTES.md §2). */
int *volatile vmp_fault_null_pointer = 0;

static struct sigaction g_old_segv, g_old_bus;

static void on_fault(int signo, siginfo_t *info, void *context) {
  (void)context;
  if (!t_armed) {
    /* Not ours: give the signal back to the previous handler by re-executing the access. */
    sigaction(SIGSEGV, &g_old_segv, 0);
    sigaction(SIGBUS, &g_old_bus, 0);
    return;
  }
  t_armed = 0;
  t_signo = signo;
  t_code = info->si_code;
  t_addr = (uintptr_t)info->si_addr;
  siglongjmp(t_env, 1);
}

static long page_size(void) { return sysconf(_SC_PAGESIZE); }

static void *map_anonymous(size_t length, int prot) {
  void *p = mmap(0, length, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? 0 : p;
}

/* A frame of the recursion: a pad the compiler must keep, and work after the call. */
__attribute__((noinline)) static long recurse(long depth) {
  volatile char pad[512];
  if (g_stop_recursion) return 0;
  pad[0] = (char)depth;
  pad[511] = (char)depth;
  g_depth = depth;
  return recurse(depth + 1) + pad[0] + pad[511];
}

__attribute__((noinline)) static void text_marker(void) { __asm__ volatile(""); }

int vmp_fault_prepare(int kind, struct vmp_fault *out) {
  memset(out, 0, sizeof *out);
  out->kind = kind;
  out->fd = -1;
  long page = page_size();
  switch (kind) {
  case VMP_FAULT_NULL:
    out->target = 0;
    return 0;
  case VMP_FAULT_WRITE_READONLY:
  case VMP_FAULT_EXECUTE_DATA: {
    char *p = map_anonymous((size_t)page, PROT_READ | PROT_WRITE);
    if (!p) return -errno;
    out->map_start = (uintptr_t)p;
    out->map_length = (size_t)page;
    if (kind == VMP_FAULT_EXECUTE_DATA) {
      /* mov eax, 42; ret: valid code on a page without PROT_EXEC. */
      static const unsigned char code[] = {0xb8, 0x2a, 0, 0, 0, 0xc3};
      memcpy(p, code, sizeof code);
    } else {
      p[0] = 1; /* present, then read-only */
      if (mprotect(p, (size_t)page, PROT_READ) != 0) return -errno;
    }
    out->target = (uintptr_t)p;
    return 0;
  }
  case VMP_FAULT_STACK_OVERFLOW:
    out->target = 0; /* known only after the fault */
    return 0;
  case VMP_FAULT_WRITE_TEXT:
    out->target = (uintptr_t)&text_marker;
    return 0;
  case VMP_FAULT_UNMAPPED: {
    /* Three pages, the middle one unmapped again: a one-page gap between two regions. */
    char *p = map_anonymous((size_t)page * 3, PROT_READ | PROT_WRITE);
    if (!p) return -errno;
    out->map_start = (uintptr_t)p;
    out->map_length = (size_t)page * 3;
    if (munmap(p + page, (size_t)page) != 0) return -errno;
    /* Different protections keep the neighbours two regions even if the kernel merges. */
    if (mprotect(p, (size_t)page, PROT_READ) != 0) return -errno;
    out->target = (uintptr_t)(p + page + 64);
    return 0;
  }
  case VMP_FAULT_GUARD_PAGE: {
    /* A guard page below a writable region, as pthread stacks have. */
    char *p = map_anonymous((size_t)page * 2, PROT_READ | PROT_WRITE);
    if (!p) return -errno;
    out->map_start = (uintptr_t)p;
    out->map_length = (size_t)page * 2;
    if (mprotect(p, (size_t)page, PROT_NONE) != 0) return -errno;
    p[page] = 1;
    out->target = (uintptr_t)(p + page - 8);
    return 0;
  }
  case VMP_FAULT_BUS_ERROR: {
    /* A file of one page, mapped shared, then truncated to nothing: the page has no data. */
    const char *dir = getenv("TMPDIR");
    char path[512];
    if (!dir || !*dir || strlen(dir) > 400) dir = "/tmp";
    strcpy(path, dir);
    strcat(path, "/vmmap-fault-XXXXXX");
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) return -errno;
    unlink(path);
    out->fd = fd;
    if (ftruncate(fd, page) != 0) return -errno;
    void *p = mmap(0, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return -errno;
    out->map_start = (uintptr_t)p;
    out->map_length = (size_t)page;
    if (ftruncate(fd, 0) != 0) return -errno;
    out->target = (uintptr_t)p;
    return 0;
  }
  default:
    return -EINVAL;
  }
}

static void touch(struct vmp_fault *f) {
  switch (f->kind) {
  case VMP_FAULT_NULL:
    f->depth = *vmp_fault_null_pointer;
    break;
  case VMP_FAULT_WRITE_READONLY:
  case VMP_FAULT_WRITE_TEXT:
  case VMP_FAULT_BUS_ERROR:
    *(volatile char *)f->target = 2;
    break;
  case VMP_FAULT_EXECUTE_DATA: {
    int (*fn)(void) = (int (*)(void))f->target;
    f->depth = fn();
    break;
  }
  case VMP_FAULT_STACK_OVERFLOW:
    f->depth = recurse(1);
    break;
  case VMP_FAULT_UNMAPPED:
  case VMP_FAULT_GUARD_PAGE:
    f->depth = *(volatile char *)f->target;
    break;
  }
}

int vmp_fault_trigger(struct vmp_fault *f) {
  const size_t alt_size = 64 * 1024;
  void *alt = map_anonymous(alt_size, PROT_READ | PROT_WRITE);
  if (!alt) return -errno;
  stack_t ss = {.ss_sp = alt, .ss_size = alt_size, .ss_flags = 0}, old_ss;
  if (sigaltstack(&ss, &old_ss) != 0) {
    int e = errno;
    munmap(alt, alt_size);
    return -e;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &g_old_segv);
  sigaction(SIGBUS, &sa, &g_old_bus);

  g_depth = 0;
  if (sigsetjmp(t_env, 1) == 0) {
    t_armed = 1;
    touch(f);
    t_armed = 0;
    f->caught = 0;
  } else {
    f->caught = 1;
    f->signo = t_signo;
    f->code = t_code;
    f->fault_addr = t_addr;
  }
  if (f->kind == VMP_FAULT_STACK_OVERFLOW) {
    f->depth = g_depth;
    f->target = f->fault_addr;
  }

  sigaction(SIGSEGV, &g_old_segv, 0);
  sigaction(SIGBUS, &g_old_bus, 0);
  sigaltstack(&old_ss, 0);
  munmap(alt, alt_size);
  return 0;
}

void vmp_fault_cleanup(struct vmp_fault *f) {
  if (f->map_length) munmap((void *)f->map_start, f->map_length);
  if (f->fd >= 0) close(f->fd);
  f->map_length = 0;
  f->fd = -1;
}

int vmp_set_parent_death_signal(int sig) {
  return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0) == 0 ? 0 : -errno;
}
