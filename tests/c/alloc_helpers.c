/* C side of the TrackingAllocator tests: a C heap to hand to Rust, a release
 * function for guarded `free(p)`, and readers of buffers and strings. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A C allocation, filled with `fill` so the Rust side can see it is intact. */
void *alloc_c_malloc(size_t size, uint8_t fill) {
    void *p = malloc(size);
    if (p != NULL) {
        memset(p, fill, size);
    }
    return p;
}

/* Releases what alloc_c_malloc returned. */
void alloc_c_free(void *p) {
    free(p);
}

/* Sums `len` bytes at `buf`. */
uint64_t alloc_c_sum(const uint8_t *buf, size_t len) {
    uint64_t sum = 0;
    for (size_t i = 0; i < len; i++) {
        sum += buf[i];
    }
    return sum;
}

/* The length of a NUL-terminated string. */
size_t alloc_c_strlen(const char *s) {
    return strlen(s);
}

/* Copies `len` bytes from `src` to `dst`, as C libraries fill caller buffers. */
void alloc_c_fill(uint8_t *dst, const uint8_t *src, size_t len) {
    memcpy(dst, src, len);
}

/* Takes ownership of a buffer of `len` bytes (a pool that keeps it). */
static const uint8_t *kept_buf;
static size_t kept_len;

void alloc_c_keep(const uint8_t *buf, size_t len) {
    kept_buf = buf;
    kept_len = len;
}

/* Sums the kept buffer: C still reads what it was given. */
uint64_t alloc_c_kept_sum(void) {
    return alloc_c_sum(kept_buf, kept_len);
}
