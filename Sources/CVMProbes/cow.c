#define _GNU_SOURCE
#include "CVMProbes.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * The fork half of copy-on-write (DESIGN.md: C only where Swift cannot go). A Swift process
 * must not run Swift code in a forked child, so the child's whole life is here: it reads its
 * own page 0, reports over a pipe, writes when told to, reports again and exits, using only
 * async-signal-safe calls. The parent (Swift, VMExperiments.CowExperiment) reads everything
 * else from /proc between the steps, so nothing races.
 */

static int read_full(int fd, void *buffer, size_t length) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = read(fd, (char *)buffer + done, length - done);
    if (n > 0) {
      done += (size_t)n;
    } else if (n == 0) {
      return -EPIPE; /* the other side is gone */
    } else if (errno != EINTR) {
      return -errno;
    }
  }
  return 0;
}

static int write_full(int fd, const void *buffer, size_t length) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = write(fd, (const char *)buffer + done, length - done);
    if (n > 0) {
      done += (size_t)n;
    } else if (n < 0 && errno != EINTR) {
      return -errno;
    }
  }
  return 0;
}

static int pread_u64(int fd, uint64_t index, uint64_t *value) {
  for (;;) {
    ssize_t n = pread(fd, value, sizeof *value, (off_t)(index * sizeof *value));
    if (n == (ssize_t)sizeof *value) return 0;
    if (n >= 0) return -EIO;
    if (errno != EINTR) return -errno;
  }
}

/* In the forked child: page 0 as this process sees it. */
static void read_own_page(const struct vmp_cow *cow, struct vmp_cow_view *view) {
  memset(view, 0, sizeof *view);
  view->value = *(volatile const uint32_t *)cow->start;
  int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void)pread_u64(fd, cow->start / cow->page_size, &view->pagemap_entry);
    close(fd);
  }
  uint64_t entry = view->pagemap_entry;
  uint64_t pfn = entry & ((1ULL << 55) - 1);
  if (!(entry & (1ULL << 63)) || pfn == 0) return; /* not present, or frames not visible */
  int counts = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
  if (counts < 0) {
    view->kpagecount_errno = errno;
    return;
  }
  int r = pread_u64(counts, pfn, &view->map_count);
  close(counts);
  if (r == 0) {
    view->map_count_known = 1;
  } else {
    view->kpagecount_errno = -r;
  }
}

__attribute__((noreturn)) static void child_main(const struct vmp_cow *cow, pid_t parent) {
  /* Die with the parent; if it is already gone, the death signal will never come. */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (getppid() != parent) _exit(2);
  struct vmp_cow_view view;
  read_own_page(cow, &view);
  if (write_full(cow->from_child, &view, sizeof view) != 0) _exit(3);
  for (;;) {
    char command;
    if (read_full(cow->to_child, &command, 1) != 0 || command == 'q') _exit(0);
    if (command != 'w') _exit(4);
    uint32_t value;
    if (read_full(cow->to_child, &value, sizeof value) != 0) _exit(5);
    /* The write, between two looks at the fault counter. */
    long faults = vmp_cow_write((struct vmp_cow *)cow, 0, value);
    read_own_page(cow, &view);
    view.write_minor_faults = faults;
    if (write_full(cow->from_child, &view, sizeof view) != 0) _exit(6);
  }
}

int vmp_cow_map(size_t length, uint32_t fill, struct vmp_cow *cow) {
  memset(cow, 0, sizeof *cow);
  cow->to_child = -1;
  cow->from_child = -1;
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0 || length == 0 || length % (size_t)page != 0) return -EINVAL;
  cow->page_size = (size_t)page;
  char *base = mmap(0, length + 2 * (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return -errno;
  cow->start = (uintptr_t)(base + page);
  cow->length = length;
  if (mprotect(base + page, length, PROT_READ | PROT_WRITE) != 0) return -errno;
  if (madvise(base + page, length, MADV_NOHUGEPAGE) != 0) return -errno;
  uint32_t *words = (uint32_t *)cow->start;
  for (size_t i = 0; i < length / sizeof *words; i++) words[i] = fill;
  return 0;
}

int vmp_cow_fork(struct vmp_cow *cow, struct vmp_cow_view *after_fork) {
  int to_child[2], from_child[2];
  if (pipe2(to_child, O_CLOEXEC) != 0) return -errno;
  if (pipe2(from_child, O_CLOEXEC) != 0) {
    int e = errno;
    close(to_child[0]);
    close(to_child[1]);
    return -e;
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(to_child[0]);
    close(to_child[1]);
    close(from_child[0]);
    close(from_child[1]);
    return -e;
  }
  if (pid == 0) {
    close(to_child[1]);
    close(from_child[0]);
    cow->to_child = to_child[0];
    cow->from_child = from_child[1];
    child_main(cow, parent);
  }
  close(to_child[0]);
  close(from_child[1]);
  cow->child_pid = pid;
  cow->to_child = to_child[1];
  cow->from_child = from_child[0];
  return read_full(cow->from_child, after_fork, sizeof *after_fork);
}

int vmp_cow_child_write(struct vmp_cow *cow, uint32_t value, struct vmp_cow_view *after_write) {
  char command[1 + sizeof value];
  command[0] = 'w';
  memcpy(command + 1, &value, sizeof value);
  int r = write_full(cow->to_child, command, sizeof command);
  if (r != 0) return r;
  return read_full(cow->from_child, after_write, sizeof *after_write);
}

long vmp_cow_write(struct vmp_cow *cow, size_t offset, uint32_t value) {
  struct rusage usage;
  /* Touch the struct first: a fault on its stack page (copy-on-write after a fork) during the
     first getrusage would be counted after the values were taken. */
  memset(&usage, 0, sizeof usage);
  if (getrusage(RUSAGE_THREAD, &usage) != 0) return -errno;
  long before = usage.ru_minflt;
  *(volatile uint32_t *)(cow->start + offset) = value;
  if (getrusage(RUSAGE_THREAD, &usage) != 0) return -errno;
  return usage.ru_minflt - before;
}

uint32_t vmp_cow_read(const struct vmp_cow *cow, size_t offset) {
  return *(volatile const uint32_t *)(cow->start + offset);
}

int vmp_cow_finish(struct vmp_cow *cow, int *status) {
  *status = 0;
  if (cow->child_pid <= 0) return -ECHILD;
  char quit = 'q';
  (void)write_full(cow->to_child, &quit, 1); /* a child already gone is reaped all the same */
  close(cow->to_child);
  cow->to_child = -1;
  while (waitpid(cow->child_pid, status, 0) < 0) {
    if (errno != EINTR) return -errno;
  }
  cow->child_pid = 0;
  return 0;
}

void vmp_cow_release(struct vmp_cow *cow) {
  if (cow->child_pid > 0) {
    int status;
    kill(cow->child_pid, SIGKILL);
    while (waitpid(cow->child_pid, &status, 0) < 0 && errno == EINTR) {
    }
    cow->child_pid = 0;
  }
  if (cow->to_child >= 0) close(cow->to_child);
  if (cow->from_child >= 0) close(cow->from_child);
  cow->to_child = cow->from_child = -1;
  if (cow->length) munmap((void *)(cow->start - cow->page_size), cow->length + 2 * cow->page_size);
  cow->length = 0;
}
