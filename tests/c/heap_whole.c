/* C that allocates and frees on its own, as real C libraries do: the
 * whole-heap scenarios (tests/tests/heap_*.rs). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HEAP_HELD_MAX 4096
static void *heap_held[HEAP_HELD_MAX];
static size_t heap_held_len[HEAP_HELD_MAX];
static size_t heap_held_n;
static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;

/* Mallocs `n` blocks of the given sizes and keeps them (C's own
 * allocations, never returned through a guarded alloc), filling each. */
void heap_c_grab(const size_t *sizes, size_t n) {
    for (size_t i = 0; i < n; i++) {
        void *p = malloc(sizes[i]);
        if (!p) continue;
        memset(p, (int)(i & 0x7f) + 1, sizes[i]);
        pthread_mutex_lock(&heap_lock);
        if (heap_held_n < HEAP_HELD_MAX) {
            heap_held[heap_held_n] = p;
            heap_held_len[heap_held_n] = sizes[i];
            heap_held_n++;
            p = NULL;
        }
        pthread_mutex_unlock(&heap_lock);
        free(p);
    }
}

size_t heap_c_held_count(void) { return heap_held_n; }
void *heap_c_held(size_t i) { return i < heap_held_n ? heap_held[i] : NULL; }
size_t heap_c_held_len(size_t i) { return i < heap_held_n ? heap_held_len[i] : 0; }

void heap_c_release_all(void) {
    pthread_mutex_lock(&heap_lock);
    for (size_t i = 0; i < heap_held_n; i++) free(heap_held[i]);
    heap_held_n = 0;
    pthread_mutex_unlock(&heap_lock);
}

/* Allocates and frees internally, with every size of the Rust workload. */
void heap_c_churn(size_t rounds) {
    for (size_t i = 0; i < rounds; i++) {
        char *p = malloc(8 + (i * 37) % 2000);
        char *q = calloc(1, 16 + (i * 11) % 300);
        if (p) p[0] = 1;
        p = realloc(p, 3000);
        free(q);
        free(p);
    }
}

uint64_t heap_c_sum(const uint8_t *buf, size_t len) {
    uint64_t s = 0;
    for (size_t i = 0; i < len; i++) s += buf[i];
    return s;
}

size_t heap_c_strlen(const char *s) { return strlen(s); }

char *heap_c_strdup(const char *s) { return strdup(s); }
void heap_c_free(void *p) { free(p); }

/* An opaque object type, for the same-object rule. */
struct heap_obj { int value; char pad[60]; };
struct heap_obj *heap_obj_new(int value) {
    struct heap_obj *o = malloc(sizeof *o);
    if (o) o->value = value;
    return o;
}
int heap_obj_get(const struct heap_obj *o) { return o->value; }
void heap_obj_free(struct heap_obj *o) { free(o); }

struct heap_thread_arg { size_t count; size_t seed; };

static void *heap_thread_main(void *arg) {
    struct heap_thread_arg *a = arg;
    size_t sizes[64];
    for (size_t r = 0; r < a->count; r += 64) {
        for (size_t k = 0; k < 64; k++) sizes[k] = 8 + ((a->seed + r + k) * 131) % 4000;
        heap_c_grab(sizes, 64);
        heap_c_churn(64);
    }
    return NULL;
}

/* Threads that C creates allocate and keep blocks: `threads` threads,
 * `count` blocks each. Returns 0 when every thread ran. */
int heap_c_threads(int threads, size_t count) {
    pthread_t t[16];
    struct heap_thread_arg args[16];
    if (threads > 16) threads = 16;
    for (int i = 0; i < threads; i++) {
        args[i].count = count;
        args[i].seed = (size_t)i * 7919;
        if (pthread_create(&t[i], NULL, heap_thread_main, &args[i]) != 0) return -1;
    }
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    return 0;
}

#ifdef __GLIBC__
extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
#else
#define __libc_malloc malloc
#define __libc_free free
#endif

/* `n` allocations over a window of 64 live blocks, with `m` and `f`. */
static uint64_t heap_loop(void *(*m)(size_t), void (*f)(void *), size_t n) {
    uint64_t s = 0;
    void *window[64] = {0};
    for (size_t i = 0; i < n; i++) {
        size_t k = (i * 2654435761u) & 63;
        f(window[k]);
        window[k] = m(8 + (i * 131) % 4089);
        s += (uintptr_t)window[k] & 0xff;
    }
    for (size_t k = 0; k < 64; k++) f(window[k]);
    return s;
}

/* A plain C loop of malloc/free, for the interposer's benchmark. */
uint64_t heap_c_malloc_loop(size_t n) { return heap_loop(malloc, free, n); }

/* The same loop straight on glibc's allocator: the interposer bypassed. */
uint64_t heap_c_libc_loop(size_t n) { return heap_loop(__libc_malloc, __libc_free, n); }
