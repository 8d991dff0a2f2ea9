/*
 * widget: a small C library with the shapes real C APIs have: an
 * allocate/release pair, a buffer and its length, a borrowed string, a path,
 * errno on failure, options passed by pointer, and a callback with a context.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct widget {
    char name[32];
    unsigned char *data;
    size_t len;
    size_t cap;
    uint32_t limit;
    int verbose;
} widget;

/* What Rust must lay out the same way (`#[repr(C)]`). */
struct widget_options {
    uint8_t verbose;
    uint32_t limit;
};

typedef int (*widget_each_cb)(uint8_t byte, void *ctx);

/* A new widget named `name` (copied, at most 31 bytes); NULL and errno on failure. */
widget *widget_new(const char *name) {
    if (name == NULL) {
        errno = EINVAL;
        return NULL;
    }
    widget *w = calloc(1, sizeof *w);
    if (w == NULL) {
        return NULL;
    }
    strncpy(w->name, name, sizeof w->name - 1);
    w->limit = 1u << 20;
    return w;
}

/* Releases a widget from widget_new; NULL is ignored. */
void widget_free(widget *w) {
    if (w == NULL) {
        return;
    }
    free(w->data);
    free(w);
}

/* Appends `len` bytes; the number written, or -1 and errno past the limit. */
ptrdiff_t widget_write(widget *w, const unsigned char *buf, size_t len) {
    if (w == NULL || (buf == NULL && len > 0)) {
        errno = EINVAL;
        return -1;
    }
    if (len > w->limit - w->len) {
        errno = EFBIG;
        return -1;
    }
    if (w->len + len > w->cap) {
        size_t cap = w->cap ? w->cap : 16;
        while (cap < w->len + len) {
            cap *= 2;
        }
        unsigned char *data = realloc(w->data, cap);
        if (data == NULL) {
            return -1;
        }
        w->data = data;
        w->cap = cap;
    }
    if (len > 0) {
        memcpy(w->data + w->len, buf, len);
    }
    w->len += len;
    return (ptrdiff_t)len;
}

/* The widget's name, borrowed: valid while the widget lives. */
const char *widget_name(const widget *w) {
    return w != NULL ? w->name : NULL;
}

/* Appends the contents of the file at `path`; 0, or -1 and errno. */
int widget_load(widget *w, const char *path) {
    if (w == NULL || path == NULL) {
        errno = EINVAL;
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    unsigned char chunk[256];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (widget_write(w, chunk, n) < 0) {
            rc = -1;
            break;
        }
    }
    int saved = errno;
    fclose(f);
    errno = saved;
    return rc;
}

/* Calls `cb` on each byte until it returns non-zero; returns that value, or 0. */
int widget_each(widget *w, widget_each_cb cb, void *ctx) {
    if (w == NULL || cb == NULL) {
        errno = EINVAL;
        return -1;
    }
    for (size_t i = 0; i < w->len; i++) {
        int rc = cb(w->data[i], ctx);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* Applies options; returns the limit now in force. */
int widget_set_options(widget *w, const struct widget_options *opts) {
    if (w == NULL || opts == NULL) {
        errno = EINVAL;
        return -1;
    }
    w->verbose = opts->verbose != 0;
    w->limit = opts->limit;
    return (int)w->limit;
}
