#define _GNU_SOURCE
#include "CVMProbes.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define VMP_PROCMAP_QUERY _IOWR('f', 17, struct vmp_procmap_query)

int vmp_procmap_query(int maps_fd, struct vmp_procmap_query *query) {
  query->size = sizeof *query;
  for (;;) {
    if (ioctl(maps_fd, VMP_PROCMAP_QUERY, query) == 0) return 0;
    if (errno != EINTR) return -errno;
  }
}

#define VMP_PAGEMAP_SCAN _IOWR('f', 16, struct vmp_pm_scan_arg)

long vmp_pagemap_scan(int pagemap_fd, struct vmp_pm_scan_arg *arg) {
  arg->size = sizeof *arg;
  for (;;) {
    long n = ioctl(pagemap_fd, VMP_PAGEMAP_SCAN, arg);
    if (n >= 0) return n;
    if (errno != EINTR) return -errno;
  }
}

int vmp_pidfd_open(int pid) {
  long fd = syscall(SYS_pidfd_open, pid, 0);
  return fd < 0 ? -errno : (int)fd;
}

int vmp_pidfd_exited(int pidfd) {
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  for (;;) {
    int n = poll(&p, 1, 0);
    if (n >= 0) return n > 0 ? 1 : 0;
    if (errno != EINTR) return -errno;
  }
}

int vmp_gettid(void) { return (int)syscall(SYS_gettid); }

int vmp_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno; }
