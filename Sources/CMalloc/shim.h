#ifndef SANSANG_CMALLOC_SHIM_H
#define SANSANG_CMALLOC_SHIM_H
/* glibc's mallopt (malloc.h, which the Glibc module does not import). Header-only: libc is the library. */
#include <malloc.h>

/* At most `arenas` malloc arenas for the whole process (M_ARENA_MAX); returns 1 on success, 0 otherwise. */
static inline int sansang_limit_malloc_arenas(int arenas) {
    return mallopt(M_ARENA_MAX, arenas);
}
#endif
