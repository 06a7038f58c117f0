#ifndef CVMPROBES_H
#define CVMPROBES_H
/*
 * C helpers for what Swift cannot do safely or cannot import: ioctl request numbers and
 * structs newer than the system headers, raw syscalls without a glibc wrapper, and (later)
 * fault recovery with sigsetjmp/siglongjmp and fork.
 * Every function returns 0 or a non-negative value on success and -errno on failure.
 */
#include <stdint.h>
#include <stddef.h>

/* struct procmap_query from include/uapi/linux/fs.h (Linux 6.11+); the system headers predate it. */
struct vmp_procmap_query {
  uint64_t size;
  uint64_t query_flags;
  uint64_t query_addr;
  uint64_t vma_start;
  uint64_t vma_end;
  uint64_t vma_flags;
  uint64_t vma_page_size;
  uint64_t vma_offset;
  uint64_t inode;
  uint32_t dev_major;
  uint32_t dev_minor;
  uint32_t vma_name_size;
  uint32_t build_id_size;
  uint64_t vma_name_addr;
  uint64_t build_id_addr;
};

enum {
  VMP_PROCMAP_QUERY_VMA_READABLE = 0x01,
  VMP_PROCMAP_QUERY_VMA_WRITABLE = 0x02,
  VMP_PROCMAP_QUERY_VMA_EXECUTABLE = 0x04,
  VMP_PROCMAP_QUERY_VMA_SHARED = 0x08,
  VMP_PROCMAP_QUERY_COVERING_OR_NEXT_VMA = 0x10,
};

/// PROCMAP_QUERY on an open /proc/PID/maps descriptor. Returns 0, or -errno
/// (-ENOTTY / -EINVAL on kernels without the ioctl, -ENOENT when no VMA covers or follows).
int vmp_procmap_query(int maps_fd, struct vmp_procmap_query *_Nonnull query);

/// pidfd_open(2). Returns a descriptor or -errno.
int vmp_pidfd_open(int pid);

/// Polls a pidfd without blocking: 1 if the process has exited, 0 if it still runs, -errno.
int vmp_pidfd_exited(int pidfd);

/// The thread's own kernel TID (gettid).
int vmp_gettid(void);

#endif
