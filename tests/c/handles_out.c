/* Handles that C returns through out-parameters and pairs whose release is
 * declared in another extern block, as bindgen emits them (one fn per
 * block): the `alloc_out`, `text` and cross-block inference tests. */

#include <stdlib.h>
#include <string.h>

typedef struct xdb {
    int magic;
    int statements;
} xdb;

typedef struct xstmt {
    xdb *db;
    size_t sql_len;
} xstmt;

/* Opens a database; *out receives the handle (NULL on failure). */
int xdb_open(const char *name, xdb **out) {
    *out = NULL;
    if (name == NULL) {
        return 1;
    }
    xdb *d = calloc(1, sizeof *d);
    if (d == NULL) {
        return 7;
    }
    d->magic = 0x5eed;
    *out = d;
    return 0;
}

int xdb_close(xdb *d) {
    if (d == NULL) {
        return 0;
    }
    d->magic = 0;
    free(d);
    return 0;
}

/* `sql` holds `nbytes` bytes, or is NUL-terminated when `nbytes` is
 * negative: SQLite's convention. */
int xdb_prepare(xdb *d, const char *sql, int nbytes, xstmt **out) {
    *out = NULL;
    if (d == NULL || sql == NULL) {
        return 1;
    }
    size_t len = nbytes < 0 ? strlen(sql) : (size_t)nbytes;
    xstmt *s = malloc(sizeof *s);
    if (s == NULL) {
        return 7;
    }
    s->db = d;
    s->sql_len = len;
    d->statements++;
    *out = s;
    return 0;
}

long xstmt_len(const xstmt *s) {
    return s == NULL ? -1 : (long)s->sql_len;
}

int xstmt_finalize(xstmt *s) {
    if (s != NULL) {
        s->db->statements--;
        free(s);
    }
    return 0;
}

/* A pair whose release the program never calls. */
typedef struct ydb {
    int unused;
} ydb;

ydb *ydb_new(void) {
    return calloc(1, sizeof(ydb));
}

void ydb_free(ydb *y) {
    free(y);
}

/* A pair named by the package's `pairs` configuration, and a borrowed
 * result named by its `borrowed` list. */
typedef struct acme {
    char name[16];
} acme;

acme *acme_get(void) {
    acme *a = calloc(1, sizeof *a);
    if (a != NULL) {
        strcpy(a->name, "acme");
    }
    return a;
}

void acme_put(acme *a) {
    free(a);
}

static acme acme_shared = {"shared"};

acme *acme_shared_dup(void) {
    return &acme_shared;
}

/* Counts the bytes of `text`: `n` of them, or up to its NUL when `n` is
 * negative. */
long text_count(const char *text, int n) {
    if (text == NULL) {
        return -1;
    }
    return n < 0 ? (long)strlen(text) : (long)n;
}
