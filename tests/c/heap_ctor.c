/* A C constructor that allocates before `main`. */
#include <stdlib.h>
#include <string.h>

static char *heap_ctor_buf;

__attribute__((constructor)) static void heap_ctor_init(void) {
    heap_ctor_buf = malloc(300);
    if (heap_ctor_buf) strcpy(heap_ctor_buf, "allocated before main");
}

char *heap_ctor_block(void) { return heap_ctor_buf; }
