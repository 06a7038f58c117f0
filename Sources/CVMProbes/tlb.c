#define _GNU_SOURCE
#include "CVMProbes.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* A 64-bit mix (splitmix64's finaliser): the slot hash and the random numbers. */
static uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

size_t vmp_tlb_slot_offset(size_t page, size_t page_size) {
  size_t lines = page_size / 64;
  return (size_t)(mix(page) % lines) * 64;
}

/* Where element i of a chain lives: one per page at a hashed line, or packed 64 to a page. */
static size_t slot(size_t i, size_t page_size, int packed) {
  if (packed) return (i / (page_size / 64)) * page_size + (i % (page_size / 64)) * 64;
  return i * page_size + vmp_tlb_slot_offset(i, page_size);
}

void *vmp_tlb_chain(void *base, size_t pages, size_t page_size, int random, int packed,
                    uint64_t seed, uint32_t *scratch) {
  unsigned char *b = base;
  for (size_t i = 0; i < pages; i++) scratch[i] = (uint32_t)i;
  if (random && pages > 1) {
    /* Sattolo: a uniformly random permutation that is one single cycle. */
    uint64_t state = seed;
    for (size_t i = pages - 1; i > 0; i--) {
      state = mix(state);
      size_t j = (size_t)(state % i);
      uint32_t t = scratch[i];
      scratch[i] = scratch[j];
      scratch[j] = t;
    }
    /* scratch is now a cyclic permutation: page i links to page scratch[i]. */
    for (size_t i = 0; i < pages; i++) {
      size_t next = scratch[i];
      *(void **)(b + slot(i, page_size, packed)) = b + slot(next, page_size, packed);
    }
  } else {
    for (size_t i = 0; i < pages; i++) {
      size_t next = i + 1 == pages ? 0 : i + 1;
      *(void **)(b + slot(i, page_size, packed)) = b + slot(next, page_size, packed);
    }
  }
  return b + slot(0, page_size, packed);
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static long switches(void) {
  struct rusage u;
  if (getrusage(RUSAGE_THREAD, &u) != 0) return -1;
  return u.ru_nvcsw + u.ru_nivcsw;
}

/* One dependent load per step, the same instructions at -O0 and -O2. */
static const void *chase(const void *p, uint64_t n) {
  if (n == 0) return p;
#if defined(__x86_64__)
  __asm__ volatile("1:\n\t"
                   "movq (%0), %0\n\t"
                   "decq %1\n\t"
                   "jnz 1b"
                   : "+r"(p), "+r"(n)
                   :
                   : "memory", "cc");
#else
  for (; n > 0; n--) p = *(const void *const volatile *)p;
#endif
  return p;
}

void vmp_tlb_chase(const void *start, uint64_t steps, uint64_t chunk, int counter_fd,
                   struct vmp_chase_result *out) {
  memset(out, 0, sizeof *out);
  if (chunk == 0) chunk = steps;
  if (counter_fd >= 0) {
    if (ioctl(counter_fd, PERF_EVENT_IOC_RESET, 0) != 0 ||
        ioctl(counter_fd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
      out->counter_error = -errno;
    }
  }
  const void *p = start;
  uint64_t all_ns = 0;
  for (uint64_t done = 0; done < steps;) {
    uint64_t n = steps - done < chunk ? steps - done : chunk;
    long before = switches();
    uint64_t t0 = now_ns();
    p = chase(p, n);
    uint64_t t1 = now_ns();
    long after = switches();
    all_ns += t1 - t0;
    if (before >= 0 && before == after) {
      out->nanoseconds += t1 - t0;
      out->steps_timed += n;
    } else {
      out->chunks_discarded++;
    }
    done += n;
  }
  if (out->steps_timed == 0) {
    out->nanoseconds = all_ns;
    out->steps_timed = steps;
  }
  if (counter_fd >= 0 && out->counter_error == 0) {
    uint64_t value = 0;
    if (ioctl(counter_fd, PERF_EVENT_IOC_DISABLE, 0) != 0) {
      out->counter_error = -errno;
    } else if (read(counter_fd, &value, sizeof value) != (ssize_t)sizeof value) {
      out->counter_error = -(errno ? errno : EIO);
    } else {
      out->counter = value;
    }
  }
  out->end = (uintptr_t)p;
}

int vmp_pin_to_current_cpu(void) {
  int cpu = sched_getcpu();
  if (cpu < 0) return -errno;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) return -errno;
  return cpu;
}

int vmp_dtlb_miss_counter_open(void) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_HW_CACHE;
  attr.config = PERF_COUNT_HW_CACHE_DTLB | (PERF_COUNT_HW_CACHE_OP_READ << 8) |
                (PERF_COUNT_HW_CACHE_RESULT_MISS << 16);
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
  return fd < 0 ? -errno : (int)fd;
}
