#define _GNU_SOURCE
#include "CVMProbes.h"

#include <errno.h>
#include <sys/auxv.h>
#include <sys/personality.h>

long vmp_personality_get(void) {
  int persona = personality(0xffffffff);
  return persona == -1 ? -errno : (long)(unsigned int)persona;
}

int vmp_personality_set(unsigned int persona) {
  return personality(persona) == -1 ? -errno : 0;
}

unsigned long vmp_auxv_interpreter_base(void) { return getauxval(AT_BASE); }

unsigned long vmp_auxv_vdso(void) { return getauxval(AT_SYSINFO_EHDR); }
