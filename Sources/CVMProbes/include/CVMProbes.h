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

/* struct pm_scan_arg and struct page_region from include/uapi/linux/fs.h (Linux 6.7+). */
struct vmp_pm_scan_arg {
  uint64_t size;
  uint64_t flags;
  uint64_t start;
  uint64_t end;
  uint64_t walk_end;
  uint64_t vec;
  uint64_t vec_len;
  uint64_t max_pages;
  uint64_t category_inverted;
  uint64_t category_mask;
  uint64_t category_anyof_mask;
  uint64_t return_mask;
};

struct vmp_page_region {
  uint64_t start;
  uint64_t end;
  uint64_t categories;
};

enum {
  VMP_PAGE_IS_PRESENT = 1 << 3,
  VMP_PAGE_IS_SWAPPED = 1 << 4,
  VMP_PAGE_IS_PFNZERO = 1 << 5,
  VMP_PAGE_IS_HUGE = 1 << 6,
};

/// PAGEMAP_SCAN on an open /proc/PID/pagemap descriptor: the number of page_region entries
/// written, or -errno (-ENOTTY / -EINVAL on kernels without the ioctl).
long vmp_pagemap_scan(int pagemap_fd, struct vmp_pm_scan_arg *_Nonnull arg);

/// pidfd_open(2). Returns a descriptor or -errno.
int vmp_pidfd_open(int pid);

/// Polls a pidfd without blocking: 1 if the process has exited, 0 if it still runs, -errno.
int vmp_pidfd_exited(int pidfd);

/// pipe2(fds, O_CLOEXEC): both ends close on exec, atomically. Returns 0 or -errno.
int vmp_pipe_cloexec(int fds[_Nonnull 2]);

/// The thread's own kernel TID (gettid).
int vmp_gettid(void);

/* ---- The specimen (`vmmap __specimen`): C only for what Swift cannot express exactly. ---- */

#define VMP_SPECIMEN_BSS_SIZE (64 * 1024)

/// The address of an initialised C global (`int vmp_specimen_data = 42`): the executable's .data.
uintptr_t vmp_specimen_data_address(void);
/// The address of a zero-initialised C global of VMP_SPECIMEN_BSS_SIZE bytes: the executable's
/// .bss, most of it in the anonymous tail after the last file-backed segment.
uintptr_t vmp_specimen_bss_address(void);
/// getauxval(AT_SYSINFO_EHDR): the start of the vDSO, or 0.
uintptr_t vmp_vdso_address(void);
/// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (threads started later inherit
/// the mask) and returns a signalfd for them, or -errno. <sys/signalfd.h> is not in Glibc's
/// Swift module.
int vmp_exit_signalfd(void);

struct vmp_specimen_thread {
  int tid;
  int pipe_write;           /* closing it ends the thread's read(2) */
  uintptr_t stack_address;  /* a local of the thread: inside its stack */
  uintptr_t arena_block;    /* its first malloc: inside a non-main malloc arena */
};

/// Starts a thread that mallocs once, reports, then blocks in read(2) on a pipe so that
/// task/TID/syscall shows its stack pointer. Swift cannot pin a local's address on a thread's
/// stack for the thread's whole life. Returns 0 or -errno.
int vmp_specimen_start_thread(struct vmp_specimen_thread *_Nonnull out);
/// The address of a local of the calling function: inside the calling thread's stack.
uintptr_t vmp_specimen_stack_address(void);
/// The address of a function of the executable (its .text).
uintptr_t vmp_specimen_text_address(void);
/// The address of getpid in libc (a shared library's .text).
uintptr_t vmp_specimen_libc_address(void);
/// Line-buffers stdout (Swift 6 cannot reference the `stdout` global). Returns 0 or -errno.
int vmp_line_buffer_stdout(void);
/// memfd_create(2). Returns a descriptor or -errno.
int vmp_memfd_create(const char *_Nonnull name, unsigned int flags);

/* ---- Fault probes (`vmmap --fault`): only ever called in a sandboxed child. ---- */

enum vmp_fault_kind {
  VMP_FAULT_NULL = 0,
  VMP_FAULT_WRITE_READONLY = 1,
  VMP_FAULT_EXECUTE_DATA = 2,
  VMP_FAULT_STACK_OVERFLOW = 3,
  VMP_FAULT_WRITE_TEXT = 4,
  VMP_FAULT_UNMAPPED = 5,
  VMP_FAULT_GUARD_PAGE = 6,
  VMP_FAULT_BUS_ERROR = 7,
};

/* `si_addr` is a glibc macro, hence `fault_addr`. */
struct vmp_fault {
  int kind;
  int caught;           /* 1 when the handler ran and recovered */
  int signo;
  int code;             /* si_code */
  uintptr_t fault_addr; /* si_addr */
  uintptr_t target;     /* the address the probe meant to touch */
  long depth;           /* stack-overflow: recursion depth reached */
  /* Set by vmp_fault_prepare, released by vmp_fault_cleanup. */
  uintptr_t map_start;
  size_t map_length;
  int fd;
};

/// Sets up the condition for `kind` (maps, mprotects, truncates) and sets `out->target`, so
/// that the caller can look at the target's region and page before the access. Returns 0 or
/// -errno.
int vmp_fault_prepare(int kind, struct vmp_fault *_Nonnull out);
/// Makes the faulting access under SA_SIGINFO|SA_ONSTACK handlers for SIGSEGV and SIGBUS on a
/// freshly mapped alternate stack, recovers with siglongjmp and restores the handlers and the
/// old alternate stack. Fills `caught`, `signo`, `code`, `fault_addr`, `depth`. Returns 0 or
/// -errno (when the handlers could not be installed).
int vmp_fault_trigger(struct vmp_fault *_Nonnull fault);
/// Unmaps and closes what vmp_fault_prepare made.
void vmp_fault_cleanup(struct vmp_fault *_Nonnull fault);

/* ---- Copy-on-write (`vmmap --cow`): the fork half, only ever called in a sandboxed child. ---- */

/* What the forked child reads of its own page 0 and reports over a pipe. */
struct vmp_cow_view {
  uint64_t pagemap_entry;  /* /proc/self/pagemap entry of page 0 (raw 64 bits) */
  uint64_t map_count;      /* /proc/kpagecount of its frame, when map_count_known */
  int map_count_known;     /* 0: no frame visible, or /proc/kpagecount unreadable */
  int kpagecount_errno;    /* why kpagecount could not be read (0 when it was) */
  uint32_t value;          /* the 32-bit word at page 0, as the child reads it */
  long write_minor_faults; /* after a write: the minor faults the write itself cost (ru_minflt) */
};

/* The mapping and the forked child; every field is set by the vmp_cow_* calls. */
struct vmp_cow {
  uintptr_t start;    /* the private anonymous region (between two PROT_NONE pages) */
  size_t length;
  size_t page_size;
  int child_pid;      /* 0 before the fork and after the reap */
  int to_child;       /* commands: 'w' + value (write page 0), 'q' (exit) */
  int from_child;     /* struct vmp_cow_view reports */
};

/// Maps `length` bytes MAP_PRIVATE|MAP_ANONYMOUS read-write between two PROT_NONE guard pages
/// (so the kernel cannot merge it with a neighbour), MADV_NOHUGEPAGE (one 4 KiB frame per page),
/// and fills every 32-bit word with `fill`. Returns 0 or -errno.
int vmp_cow_map(size_t length, uint32_t fill, struct vmp_cow *_Nonnull cow);
/// Forks. The child (C only, async-signal-safe calls only) arms PR_SET_PDEATHSIG, reads its own
/// page 0 (pagemap, kpagecount, value) and reports it; the parent waits for that report in
/// `after_fork`. Returns 0 or -errno.
int vmp_cow_fork(struct vmp_cow *_Nonnull cow, struct vmp_cow_view *_Nonnull after_fork);
/// Tells the child to write `value` to page 0, then waits for its report of page 0 after the
/// write. Returns 0 or -errno (-EPIPE when the child is gone).
int vmp_cow_child_write(struct vmp_cow *_Nonnull cow, uint32_t value,
                        struct vmp_cow_view *_Nonnull after_write);
/// Writes `value` at byte `offset` of the region from the calling thread; returns the minor
/// faults that one store cost (RUSAGE_THREAD, so other threads' faults do not count), or -errno.
long vmp_cow_write(struct vmp_cow *_Nonnull cow, size_t offset, uint32_t value);
/// The 32-bit word at byte `offset` of the region, read by the calling process.
uint32_t vmp_cow_read(const struct vmp_cow *_Nonnull cow, size_t offset);
/// Tells the child to exit and reaps it; its wait status in `status`. Returns 0 or -errno.
int vmp_cow_finish(struct vmp_cow *_Nonnull cow, int *_Nonnull status);
/// Kills and reaps a child still running, closes the pipes and unmaps the region.
void vmp_cow_release(struct vmp_cow *_Nonnull cow);

/// prctl(PR_SET_PDEATHSIG, sig): the kernel sends `sig` when the parent thread exits.
/// Returns 0 or -errno.
int vmp_set_parent_death_signal(int sig);

/* ---- Running a measured command (`vmmap --faults CMD`). ---- */

#include <sys/resource.h>

/* Calls into a measurement that rides on vmp_run_command (`--sample`); every one optional. */
struct vmp_command_hooks {
  void *_Nullable context;
  /* After fork, before the child may exec (it waits on a pipe) and before PTRACE_SEIZE.
   * A negative return (-errno) kills and reaps the child: vmp_run_command returns it. */
  int (*_Nullable after_fork)(void *_Nullable context, int pid);
  /* At each PTRACE_EVENT_EXEC stop (traced runs only); `count` is 1 for the first. */
  void (*_Nullable at_exec_stop)(void *_Nullable context, int tid, int count);
  /* At each PTRACE_EVENT_EXIT stop, after status and stat were read. */
  void (*_Nullable at_exit_stop)(void *_Nullable context, int tid);
};

struct vmp_command_run {
  /* In: trace the command (PTRACE_SEIZE before its exec) to read it at its exit stop. */
  int use_ptrace;
  /* In: optional hooks (kept across the reset at the start). */
  const struct vmp_command_hooks *_Nullable hooks;
  /* Out. */
  int pid;
  int status;              /* wait status of the command (thread-group leader) */
  struct rusage usage;     /* wait4's: the command and its reaped children */
  long long wall_ns;       /* fork to reap, CLOCK_MONOTONIC */
  int exec_errno;          /* 0 when execve succeeded */
  int traced;              /* 1 when PTRACE_SEIZE succeeded */
  int ptrace_errno;        /* errno of PTRACE_SEIZE; -1 when not asked for, 0 when traced */
  int wait_errno;
  int exit_stops;          /* PTRACE_EVENT_EXIT stops seen (one per traced thread) */
  int exit_stop_tid;       /* the task of the last one */
  int exec_stops;
  int threads_started;     /* PTRACE_EVENT_CLONE stops: threads the command started */
  int signals_relayed;     /* signal-delivery stops whose signal was delivered */
  /* /proc/TID/status and /proc/TID/stat read at the last exit stop, and stat at the
   * first exec stop (the counters before the command's first instruction). */
  size_t exit_status_len;
  size_t exit_stat_len;
  size_t exec_stat_len;
  char exit_status[4096];
  char exit_stat[1024];
  char exec_stat[1024];
};

/// Runs `path` with `argv` and `envp` in a forked child (no shell) and waits for it: with
/// `run->use_ptrace`, the child is seized before its exec (PTRACE_O_TRACEEXIT, TRACEEXEC,
/// TRACECLONE, EXITKILL), every signal-delivery stop is relayed with its signal, group-stops
/// are kept with PTRACE_LISTEN, and at each exit stop the task's status and stat are read.
/// While it waits, SIGINT and SIGQUIT are ignored (the terminal sends them to the command)
/// and SIGTERM and SIGHUP are forwarded to the command. Returns 0 (the run is filled in,
/// whatever the command did) or -errno when it could not be started or waited for.
int vmp_run_command(const char *_Nonnull path, char *_Nullable const *_Nonnull argv,
                    char *_Nullable const *_Nonnull envp, struct vmp_command_run *_Nonnull run);

/* ---- Demand paging (`vmmap --demand`): the touch loop, in C for volatile accesses. ---- */

/// Touches the first byte of `count` pages of `page_size` bytes from `base`: writes 1 when
/// `write` is non-zero, otherwise reads. Every access is volatile, so none is optimised away.
/// Returns the sum of the bytes read (0 for writes).
unsigned long vmp_touch_pages(volatile unsigned char *_Nonnull base, size_t page_size,
                              size_t count, int write);
/// statfs(2)'s f_type (the filesystem's magic number) for `path`, or -errno.
/// (Glibc's Swift module leaves out <sys/statfs.h>.)
long long vmp_filesystem_type(const char *_Nonnull path);

/* ---- Sampling a command's page faults (`vmmap --sample CMD`). ---- */

/* One PERF_COUNT_SW_PAGE_FAULTS (or _MAJ) sample: every field is the kernel's. */
struct vmp_fault_sample {
  uint64_t time;  /* CLOCK_MONOTONIC ns (use_clockid) */
  uint64_t ip;    /* instruction pointer at the fault (a kernel address: a kernel access) */
  uint64_t addr;  /* the faulting data address (CR2) */
  uint32_t pid;   /* thread group */
  uint32_t tid;
  uint32_t cpu;
  uint32_t major; /* 1 for a PERF_COUNT_SW_PAGE_FAULTS_MAJ sample */
};

/* One PERF_RECORD_MMAP2: a mapping made while the event was enabled. */
struct vmp_mmap_record {
  uint64_t time;
  uint64_t start;
  uint64_t length;
  uint64_t offset;
  uint32_t pid;
  uint32_t tid;
  uint32_t prot;
  uint32_t flags;
  char name[256]; /* truncated to 255 bytes */
};

struct vmp_sample_run {
  /* In. */
  size_t ring_pages;        /* data pages per CPU buffer (a power of two) */
  /* Out (freed by vmp_sample_release). */
  int open_errno;           /* perf_event_open's errno when it failed (0 when it opened) */
  int kernel_excluded;      /* 1 when only exclude_kernel=1 opened (perf_event_paranoid 2) */
  int cpus;                 /* CPUs with an event open */
  int enabled;              /* 1 once the events were enabled at the first exec stop */
  uint64_t enabled_time;    /* CLOCK_MONOTONIC ns of that */
  uint64_t lost;            /* samples the kernel dropped (PERF_RECORD_LOST), buffers full */
  uint64_t counted_faults;  /* the events' own counts (read(2) after the run) */
  uint64_t counted_major;
  struct vmp_fault_sample *_Nullable samples; size_t sample_count; size_t sample_capacity;
  struct vmp_mmap_record *_Nullable mmaps; size_t mmap_count; size_t mmap_capacity;
  /* /proc/PID/maps at the first exec stop and at the last exit stop of the leader. */
  char *_Nullable exec_maps; size_t exec_maps_len;
  char *_Nullable exit_maps; size_t exit_maps_len;
  uint64_t exit_maps_time;  /* CLOCK_MONOTONIC ns when exit_maps was read */
  uint64_t exec_times[8];   /* CLOCK_MONOTONIC ns of the first 8 exec stops */
  int exec_count;
  /* Private. */
  void *_Nullable state;
};

/// Runs the command as vmp_run_command does (traced: `run->use_ptrace` must be 1), with one
/// PERF_COUNT_SW_PAGE_FAULTS and one PERF_COUNT_SW_PAGE_FAULTS_MAJ sampling event per CPU
/// (period 1; ip, tid, time, addr, cpu; inherited by threads and children; mmap2 records),
/// opened on the forked child before its exec and enabled at its first exec stop. A thread
/// drains the ring buffers while the command runs. Returns 0, -errno from vmp_run_command,
/// or -errno from perf_event_open (then `sample->open_errno` is set and nothing ran).
int vmp_sample_command(const char *_Nonnull path, char *_Nullable const *_Nonnull argv,
                       char *_Nullable const *_Nonnull envp, struct vmp_command_run *_Nonnull run,
                       struct vmp_sample_run *_Nonnull sample);
/// Frees what vmp_sample_command allocated in `sample`.
void vmp_sample_release(struct vmp_sample_run *_Nonnull sample);
/// /proc/sys/kernel/perf_event_paranoid, or INT32_MIN when it cannot be read.
int vmp_perf_event_paranoid(void);

#include "tlb.h"
/* --aslr (aslr.c): the personality and the auxiliary vector, which Glibc's Swift module does
 * not import. */

/// personality(2) without change: the current persona (ADDR_NO_RANDOMIZE is 0x0040000), or -errno.
long vmp_personality_get(void);

/// personality(2): sets `persona` (it takes effect at the next execve). 0 or -errno.
int vmp_personality_set(unsigned int persona);

/// getauxval(3) of the process: AT_BASE (the dynamic loader's load address).
unsigned long vmp_auxv_interpreter_base(void);

/// getauxval(3) of the process: AT_SYSINFO_EHDR (the vdso's address).
unsigned long vmp_auxv_vdso(void);

#endif
