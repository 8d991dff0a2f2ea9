/* A library loaded with dlopen at run time, allocating on its own. */
#include <stdlib.h>
#include <string.h>

void *heap_dl_alloc(size_t n) {
    void *p = malloc(n);
    if (p) memset(p, 7, n);
    return p;
}

void heap_dl_free(void *p) { free(p); }
