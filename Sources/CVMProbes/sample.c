#define _GNU_SOURCE
#include "CVMProbes.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * `vmmap --sample CMD`: page-fault sampling with perf_event_open, riding on vmp_run_command's
 * fork + ptrace. In C because perf_event_open is a raw syscall, its ring buffer is read
 * with acquire/release ordering on the mmap'd head and tail, and the drain runs on its own
 * thread while the main thread waits in wait4.
 *
 * Per CPU: one PERF_COUNT_SW_PAGE_FAULTS event (period 1, mmap2 records) and one
 * PERF_COUNT_SW_PAGE_FAULTS_MAJ event redirected into its ring buffer (SET_OUTPUT). Per-task
 * inherited events cannot be mmap'd with cpu == -1, hence one pair per CPU.
 */

#define SAMPLE_TYPE                                                                           \
  (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |             \
   PERF_SAMPLE_ADDR | PERF_SAMPLE_CPU)
/* The sample_id trailer of non-sample records for SAMPLE_TYPE: pid/tid, time, cpu, id. */
#define TRAILER_SIZE 32

struct cpu_events {
  int cpu;
  int fault_fd;
  int major_fd;
  uint64_t major_id;
  unsigned char *ring;
  size_t ring_len;
};

struct sample_state {
  struct vmp_sample_run *out;
  struct cpu_events *cpus;
  int ncpus;
  size_t page_size;
  pthread_t thread;
  int thread_started;
  volatile int stop;
  unsigned char record[65536];
};

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int vmp_perf_event_paranoid(void) {
  int fd = open("/proc/sys/kernel/perf_event_paranoid", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return INT_MIN;
  char buf[32];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return INT_MIN;
  buf[n] = 0;
  char *end;
  long v = strtol(buf, &end, 10);
  if (end == buf) return INT_MIN;
  return (int)v;
}

static int open_event(uint64_t config, int pid, int cpu, size_t ring_len, int with_mmap,
                      int exclude_kernel) {
  struct perf_event_attr a;
  memset(&a, 0, sizeof a);
  a.size = sizeof a;
  a.type = PERF_TYPE_SOFTWARE;
  a.config = config;
  a.sample_period = 1;
  a.sample_type = SAMPLE_TYPE;
  a.disabled = 1;
  a.inherit = 1;
  a.exclude_hv = 1;
  a.exclude_kernel = exclude_kernel ? 1 : 0;
  a.sample_id_all = 1;
  a.use_clockid = 1;
  a.clockid = CLOCK_MONOTONIC;
  a.watermark = 1;
  a.wakeup_watermark = (uint32_t)(ring_len / 4);
  if (with_mmap) {
    a.mmap = 1;
    a.mmap_data = 1;
    a.mmap2 = 1;
  }
  long fd = syscall(SYS_perf_event_open, &a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
  return fd < 0 ? -errno : (int)fd;
}

static int grow(void **array, size_t *capacity, size_t count, size_t element) {
  if (count < *capacity) return 0;
  size_t next = *capacity ? *capacity * 2 : 4096;
  void *p = realloc(*array, next * element);
  if (!p) return -ENOMEM;
  *array = p;
  *capacity = next;
  return 0;
}

static void copy_from_ring(const unsigned char *data, size_t size, uint64_t at, void *to,
                           size_t n) {
  size_t offset = (size_t)(at % size);
  size_t first = size - offset < n ? size - offset : n;
  memcpy(to, data + offset, first);
  if (first < n) memcpy((unsigned char *)to + first, data, n - first);
}

static uint64_t load64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static uint32_t load32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static void parse_record(struct sample_state *st, const unsigned char *r, size_t size) {
  struct vmp_sample_run *out = st->out;
  uint32_t type = load32(r);
  switch (type) {
  case PERF_RECORD_SAMPLE: {
    /* id, ip, pid/tid, time, addr, cpu/res */
    if (size < 8 + 48) return;
    if (grow((void **)&out->samples, &out->sample_capacity, out->sample_count,
             sizeof *out->samples) != 0) {
      out->lost++;
      return;
    }
    uint64_t id = load64(r + 8);
    struct vmp_fault_sample *s = &out->samples[out->sample_count++];
    s->ip = load64(r + 16);
    s->pid = load32(r + 24);
    s->tid = load32(r + 28);
    s->time = load64(r + 32);
    s->addr = load64(r + 40);
    s->cpu = load32(r + 48);
    s->major = 0;
    for (int i = 0; i < st->ncpus; i++) {
      if (st->cpus[i].major_id == id) s->major = 1;
    }
    return;
  }
  case PERF_RECORD_MMAP2: {
    /* pid, tid, addr, len, pgoff, maj, min, ino, ino_generation, prot, flags, filename[] */
    if (size < 72 + TRAILER_SIZE) return;
    if (grow((void **)&out->mmaps, &out->mmap_capacity, out->mmap_count, sizeof *out->mmaps) !=
        0)
      return;
    struct vmp_mmap_record *m = &out->mmaps[out->mmap_count++];
    memset(m, 0, sizeof *m);
    m->pid = load32(r + 8);
    m->tid = load32(r + 12);
    m->start = load64(r + 16);
    m->length = load64(r + 24);
    m->offset = load64(r + 32);
    m->prot = load32(r + 64);
    m->flags = load32(r + 68);
    size_t name_len = size - TRAILER_SIZE - 72;
    const unsigned char *name = r + 72;
    size_t n = strnlen((const char *)name, name_len);
    if (n > sizeof m->name - 1) n = sizeof m->name - 1;
    memcpy(m->name, name, n);
    m->name[n] = 0;
    m->time = load64(r + size - TRAILER_SIZE + 8);
    return;
  }
  case PERF_RECORD_LOST:
    if (size >= 24) out->lost += load64(r + 16);
    return;
  default:
    return;
  }
}

static void drain(struct sample_state *st, struct cpu_events *c) {
  struct perf_event_mmap_page *meta = (struct perf_event_mmap_page *)c->ring;
  const unsigned char *data = c->ring + st->page_size;
  size_t size = c->ring_len - st->page_size;
  uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
  uint64_t tail = meta->data_tail;
  while (tail < head) {
    struct perf_event_header h;
    copy_from_ring(data, size, tail, &h, sizeof h);
    if (h.size < sizeof h || tail + h.size > head) break;
    copy_from_ring(data, size, tail, st->record, h.size);
    parse_record(st, st->record, h.size);
    tail += h.size;
  }
  __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

static void *drain_thread(void *arg) {
  struct sample_state *st = arg;
  struct pollfd fds[256];
  int n = st->ncpus < 256 ? st->ncpus : 256;
  while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
    for (int i = 0; i < n; i++) {
      fds[i].fd = st->cpus[i].fault_fd;
      fds[i].events = POLLIN;
      fds[i].revents = 0;
    }
    poll(fds, (nfds_t)n, 10);
    for (int i = 0; i < st->ncpus; i++) drain(st, &st->cpus[i]);
  }
  return 0;
}

static void close_events(struct sample_state *st) {
  for (int i = 0; i < st->ncpus; i++) {
    struct cpu_events *c = &st->cpus[i];
    if (c->ring) munmap(c->ring, c->ring_len);
    if (c->major_fd >= 0) close(c->major_fd);
    if (c->fault_fd >= 0) close(c->fault_fd);
  }
  free(st->cpus);
  st->cpus = 0;
  st->ncpus = 0;
}

static int open_all(struct sample_state *st, int pid, int exclude_kernel) {
  long configured = sysconf(_SC_NPROCESSORS_CONF);
  if (configured < 1) configured = 1;
  st->cpus = calloc((size_t)configured, sizeof *st->cpus);
  if (!st->cpus) return -ENOMEM;
  size_t ring_len = (1 + st->out->ring_pages) * st->page_size;
  int first_error = 0;
  for (int cpu = 0; cpu < configured; cpu++) {
    int fault_fd = open_event(PERF_COUNT_SW_PAGE_FAULTS, pid, cpu, ring_len, 1, exclude_kernel);
    if (fault_fd == -ENODEV || fault_fd == -ENXIO) continue; /* offline CPU */
    if (fault_fd < 0) {
      first_error = fault_fd;
      break;
    }
    struct cpu_events *c = &st->cpus[st->ncpus++];
    c->cpu = cpu;
    c->fault_fd = fault_fd;
    c->major_fd = -1;
    c->ring_len = ring_len;
    void *ring = mmap(0, ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, fault_fd, 0);
    if (ring == MAP_FAILED) {
      first_error = -errno;
      break;
    }
    c->ring = ring;
    int major_fd =
        open_event(PERF_COUNT_SW_PAGE_FAULTS_MAJ, pid, cpu, ring_len, 0, exclude_kernel);
    if (major_fd < 0) {
      first_error = major_fd;
      break;
    }
    c->major_fd = major_fd;
    if (ioctl(major_fd, PERF_EVENT_IOC_SET_OUTPUT, fault_fd) != 0 ||
        ioctl(major_fd, PERF_EVENT_IOC_ID, &c->major_id) != 0) {
      first_error = -errno;
      break;
    }
  }
  if (!first_error && st->ncpus == 0) first_error = -ENODEV;
  if (first_error) close_events(st);
  return first_error;
}

static int read_maps(int tid, char **buf, size_t *len) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/maps", tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  size_t cap = 65536, n = 0;
  char *b = malloc(cap);
  if (!b) {
    close(fd);
    return -ENOMEM;
  }
  for (;;) {
    if (n == cap) {
      char *bigger = realloc(b, cap * 2);
      if (!bigger) break;
      b = bigger;
      cap *= 2;
    }
    ssize_t got = read(fd, b + n, cap - n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    n += (size_t)got;
  }
  close(fd);
  free(*buf);
  *buf = b;
  *len = n;
  return 0;
}

static int hook_after_fork(void *context, int pid) {
  struct sample_state *st = context;
  int rc = open_all(st, pid, 0);
  if (rc == -EACCES || rc == -EPERM) {
    /* perf_event_paranoid 2 lets a user measure its own process in user mode only. */
    int user_only = open_all(st, pid, 1);
    if (user_only == 0) {
      st->out->kernel_excluded = 1;
      rc = 0;
    }
  }
  if (rc < 0) {
    st->out->open_errno = -rc;
    return rc;
  }
  st->out->cpus = st->ncpus;
  if (pthread_create(&st->thread, 0, drain_thread, st) != 0) {
    close_events(st);
    return -EAGAIN;
  }
  st->thread_started = 1;
  return 0;
}

static void hook_exec_stop(void *context, int tid, int count) {
  struct sample_state *st = context;
  struct vmp_sample_run *out = st->out;
  read_maps(tid, &out->exec_maps, &out->exec_maps_len);
  uint64_t t = now_ns();
  if (out->exec_count < 8) out->exec_times[out->exec_count] = t;
  out->exec_count++;
  if (count == 1) {
    /* The command is stopped: nothing faults between these calls and its next instruction. */
    for (int i = 0; i < st->ncpus; i++) {
      ioctl(st->cpus[i].fault_fd, PERF_EVENT_IOC_ENABLE, 0);
      ioctl(st->cpus[i].major_fd, PERF_EVENT_IOC_ENABLE, 0);
    }
    out->enabled = 1;
    out->enabled_time = now_ns();
  }
}

static void hook_exit_stop(void *context, int tid) {
  struct sample_state *st = context;
  if (read_maps(tid, &st->out->exit_maps, &st->out->exit_maps_len) == 0) {
    st->out->exit_maps_time = now_ns();
  }
}

int vmp_sample_command(const char *path, char *const argv[], char *const envp[],
                       struct vmp_command_run *run, struct vmp_sample_run *sample) {
  size_t ring_pages = sample->ring_pages;
  if (ring_pages == 0 || (ring_pages & (ring_pages - 1)) != 0) return -EINVAL;
  memset(sample, 0, sizeof *sample);
  sample->ring_pages = ring_pages;
  struct sample_state *st = calloc(1, sizeof *st);
  if (!st) return -ENOMEM;
  st->out = sample;
  st->page_size = (size_t)sysconf(_SC_PAGESIZE);
  sample->state = st;

  struct vmp_command_hooks hooks = {
      .context = st,
      .after_fork = hook_after_fork,
      .at_exec_stop = hook_exec_stop,
      .at_exit_stop = hook_exit_stop,
  };
  run->hooks = &hooks;
  run->use_ptrace = 1;
  int rc = vmp_run_command(path, argv, envp, run);
  run->hooks = 0;
  if (st->thread_started) {
    __atomic_store_n(&st->stop, 1, __ATOMIC_RELEASE);
    pthread_join(st->thread, 0);
    st->thread_started = 0;
  }
  for (int i = 0; i < st->ncpus; i++) {
    struct cpu_events *c = &st->cpus[i];
    for (int k = 0; k < 2; k++) drain(st, c);
    uint64_t v = 0;
    if (read(c->fault_fd, &v, sizeof v) == (ssize_t)sizeof v) sample->counted_faults += v;
    if (read(c->major_fd, &v, sizeof v) == (ssize_t)sizeof v) sample->counted_major += v;
  }
  close_events(st);
  return rc;
}

void vmp_sample_release(struct vmp_sample_run *sample) {
  free(sample->samples);
  free(sample->mmaps);
  free(sample->exec_maps);
  free(sample->exit_maps);
  free(sample->state);
  sample->samples = 0;
  sample->mmaps = 0;
  sample->exec_maps = 0;
  sample->exit_maps = 0;
  sample->state = 0;
  sample->sample_count = sample->mmap_count = 0;
}
