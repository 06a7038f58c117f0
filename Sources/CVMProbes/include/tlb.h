#ifndef CVMPROBES_TLB_H
#define CVMPROBES_TLB_H
/*
 * The timing core of `vmmap --tlb`: a pointer chase whose cost does not depend on the build's
 * optimisation level (the loop is inline assembly), the chains it follows, CPU pinning
 * (the cpu_set_t macros are not imported) and the dTLB-miss counter (perf_event_open has no
 * glibc wrapper, and its ioctls are variadic).
 */
#include <stddef.h>
#include <stdint.h>

/// Writes a cyclic chain of pointers through the first `pages` pages of `base` (pages of
/// `page_size` bytes): page i holds, at a line chosen by a hash of i (so that the lines spread
/// over every cache set), the address of the next page's slot. `random` != 0 visits the pages
/// in one random cycle (Sattolo's algorithm, seeded), else in address order. `scratch` holds
/// `pages` entries. Returns the address of page 0's slot (the start of the chase).
/// `packed` != 0 puts the `pages` slots 64 bytes apart instead, page_size / 64 to a page: the
/// same number of cache lines over 64 times fewer pages (the data-cache control).
void *_Nonnull vmp_tlb_chain(void *_Nonnull base, size_t pages, size_t page_size, int random,
                             int packed, uint64_t seed, uint32_t *_Nonnull scratch);

/// The byte offset in page `page` where its chain slot lives.
size_t vmp_tlb_slot_offset(size_t page, size_t page_size);

struct vmp_chase_result {
  /// CLOCK_MONOTONIC nanoseconds of the chunks that ran without a context switch.
  uint64_t nanoseconds;
  /// The steps those chunks took.
  uint64_t steps_timed;
  /// Chunks left out because the thread was switched out during them (getrusage
  /// RUSAGE_THREAD: ru_nvcsw + ru_nivcsw changed). When every chunk was, all are kept.
  uint64_t chunks_discarded;
  /// The counter's value over the steps (0 without a counter).
  uint64_t counter;
  /// 0, or -errno if reading the counter failed.
  int counter_error;
  /// Where the chase ended (so that no compiler can drop it).
  uintptr_t end;
};

/// Follows the chain from `start` for `steps` dependent loads, timed in chunks of at most
/// `chunk` steps (short enough to fit in a time slice); with `counter_fd` >= 0 the counter is
/// reset, enabled around the loop, and read.
void vmp_tlb_chase(const void *_Nonnull start, uint64_t steps, uint64_t chunk, int counter_fd,
                   struct vmp_chase_result *_Nonnull out);

/// Pins the calling thread to the CPU it runs on now. Returns that CPU, or -errno.
int vmp_pin_to_current_cpu(void);

/// perf_event_open(2) for dTLB-load-misses (PERF_TYPE_HW_CACHE: DTLB, read, miss) of this
/// thread in user space, disabled until a chase enables it. Returns the descriptor or -errno.
int vmp_dtlb_miss_counter_open(void);

#endif
