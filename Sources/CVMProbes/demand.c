#include "CVMProbes.h"

#include <errno.h>
#include <sys/statfs.h>

unsigned long vmp_touch_pages(volatile unsigned char *base, size_t page_size, size_t count,
                              int write) {
  unsigned long sum = 0;
  if (write) {
    for (size_t i = 0; i < count; i++) base[i * page_size] = 1;
  } else {
    for (size_t i = 0; i < count; i++) sum += base[i * page_size];
  }
  return sum;
}

long long vmp_filesystem_type(const char *path) {
  struct statfs info;
  if (statfs(path, &info) != 0) return -errno;
  return (long long)(unsigned long)info.f_type & 0xffffffffLL;
}
