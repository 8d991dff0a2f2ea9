/* The C side of the integration tests: a small widget library with an
 * allocator pair, a pool that takes ownership, buffer readers, an errno
 * setter, call counters that prove what reached C, and callers of Rust
 * exports and callbacks, also from threads that C creates. */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct widget {
    int id;
    char name[28];
} widget;

static atomic_long widget_frees;
static atomic_int next_id;

widget *widget_new(const char *name) {
    widget *w = calloc(1, sizeof *w);
    if (w == NULL) {
        return NULL;
    }
    w->id = atomic_fetch_add(&next_id, 1) + 1;
    if (name != NULL) {
        strncpy(w->name, name, sizeof w->name - 1);
    }
    return w;
}

void widget_free(widget *w) {
    if (w != NULL) {
        atomic_fetch_add(&widget_frees, 1);
    }
    free(w);
}

/* How many non-null widgets reached widget_free: proves what was forwarded. */
long widget_free_count(void) {
    return atomic_load(&widget_frees);
}

int widget_id(const widget *w) {
    return w->id;
}

/* The pool takes ownership of widgets and frees them itself. */
#define POOL_MAX 64
static widget *pool[POOL_MAX];
static int pool_len;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

void widget_give_to_pool(widget *w) {
    pthread_mutex_lock(&pool_lock);
    if (pool_len < POOL_MAX) {
        pool[pool_len++] = w;
    } else {
        free(w);
    }
    pthread_mutex_unlock(&pool_lock);
}

/* Another allocator pair, to release with the wrong one. */
void *buf_alloc(size_t n) {
    return malloc(n);
}

void buf_release(void *p) {
    free(p);
}

/* A counter-only pair for the thread tests, separate from widget_free's. */
static atomic_long thr_frees;

void *thr_new(void) {
    return malloc(16);
}

void thr_free(void *p) {
    if (p != NULL) {
        atomic_fetch_add(&thr_frees, 1);
    }
    free(p);
}

long thr_free_count(void) {
    return atomic_load(&thr_frees);
}

int add(int a, int b) {
    return a + b;
}

int64_t sum_u32(const uint32_t *buf, size_t len) {
    int64_t s = 0;
    for (size_t i = 0; i < len; i++) {
        s += buf[i];
    }
    return s;
}

uint64_t sum_bytes(const uint8_t *buf, size_t len) {
    uint64_t s = 0;
    for (size_t i = 0; i < len; i++) {
        s += buf[i];
    }
    return s;
}

/* Fails like a libc call does: errno set, -1 returned. */
int fail_with_errno(int e) {
    errno = e;
    return -1;
}

/* ---- C calling Rust ---- */

typedef int64_t (*sum_cb)(const uint32_t *buf, size_t len);
typedef void *(*new_cb)(void);
typedef void (*free_cb)(void *p);
typedef int (*plain_cb)(int x);

int64_t call_sum(sum_cb cb, const uint32_t *buf, size_t len) {
    return cb(buf, len);
}

void call_free(free_cb cb, void *p) {
    cb(p);
}

void *call_new(new_cb cb) {
    return cb();
}

int call_plain(plain_cb cb, int x) {
    return cb(x);
}

struct job {
    sum_cb sum;
    free_cb release;
    plain_cb plain;
    const uint32_t *buf;
    size_t len;
    void *p;
    int x;
    int64_t result;
};

static void *run_job(void *arg) {
    struct job *j = arg;
    if (j->sum != NULL) {
        j->result = j->sum(j->buf, j->len);
    } else if (j->release != NULL) {
        j->release(j->p);
        j->result = 0;
    } else if (j->plain != NULL) {
        j->result = j->plain(j->x);
    }
    return NULL;
}

static int64_t in_thread(struct job *j) {
    pthread_t t;
    if (pthread_create(&t, NULL, run_job, j) != 0) {
        return -1000;
    }
    pthread_join(t, NULL);
    return j->result;
}

int64_t call_sum_in_thread(sum_cb cb, const uint32_t *buf, size_t len) {
    struct job j = {0};
    j.sum = cb;
    j.buf = buf;
    j.len = len;
    return in_thread(&j);
}

void call_free_in_thread(free_cb cb, void *p) {
    struct job j = {0};
    j.release = cb;
    j.p = p;
    in_thread(&j);
}

int call_plain_in_thread(plain_cb cb, int x) {
    struct job j = {0};
    j.plain = cb;
    j.x = x;
    return (int)in_thread(&j);
}

/* The callback loop of the benchmarks: C calls `cb` n times. */
int64_t loop_plain(plain_cb cb, int n) {
    int64_t s = 0;
    for (int i = 0; i < n; i++) {
        s += cb(i);
    }
    return s;
}

/* Releases `w` and notes it in `*note`: a release with a second pointer. */
void widget_free_noting(widget *w, int *note) {
    *note = 1;
    widget_free(w);
}
