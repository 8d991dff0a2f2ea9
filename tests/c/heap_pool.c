/* A C library with its own allocator inside one malloc block, the shape of
 * SQLite's lookaside slots and of the 8-byte size header SQLite's default
 * allocator puts before every allocation: objects live inside a block that
 * stays live when they are released, and a released slot is handed out
 * again, last released first. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define POOL_SLOTS 16
#define POOL_SLOT 64

struct pool_obj { int value; char pad[52]; };

static unsigned char *pool_arena;
static unsigned char *pool_free_list[POOL_SLOTS];
static size_t pool_free_count;

/* A slot, past its 8-byte header (never the start of a malloc block). */
static void *pool_take(void) {
    if (!pool_arena) {
        pool_arena = malloc((size_t)POOL_SLOTS * POOL_SLOT);
        if (!pool_arena) return NULL;
        for (size_t i = POOL_SLOTS; i > 0; i--)
            pool_free_list[pool_free_count++] = pool_arena + (i - 1) * POOL_SLOT;
    }
    if (pool_free_count == 0) return NULL;
    unsigned char *slot = pool_free_list[--pool_free_count];
    memset(slot, 0, POOL_SLOT);
    return slot + 8;
}

static void pool_give(void *p) {
    pool_free_list[pool_free_count++] = (unsigned char *)p - 8;
}

struct pool_obj *pool_obj_new(int value) {
    struct pool_obj *o = pool_take();
    if (o) o->value = value;
    return o;
}
int pool_obj_get(const struct pool_obj *o) { return o->value; }
void pool_obj_free(struct pool_obj *o) { if (o) pool_give(o); }

/* Bytes from the same pool, which the library hands out and takes back
 * itself (the caller only reads them). */
unsigned char *pool_bytes_take(unsigned char fill) {
    unsigned char *b = pool_take();
    if (b) memset(b, fill, POOL_SLOT - 8);
    return b;
}
void pool_bytes_give(unsigned char *b) { if (b) pool_give(b); }
uint64_t pool_bytes_sum(const uint8_t *buf, size_t len) {
    uint64_t s = 0;
    for (size_t i = 0; i < len; i++) s += buf[i];
    return s;
}
