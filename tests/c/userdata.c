/* A C library that keeps a callback and its user data, as event loops and
 * timer wheels do: Rust registers a callback with a pointer of its own, C
 * calls the callback with that pointer whenever it fires, and hands the
 * pointer to a destructor callback when the registration ends. Slots keep
 * the tests that run at the same time apart. */

#include <pthread.h>
#include <stddef.h>

typedef void (*ud_cb)(void *ud);

#define UD_SLOTS 64

static struct {
    ud_cb cb;
    void *ud;
} slots[UD_SLOTS];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

/* Takes `ud` (C owns it until the destructor gets it). Returns the slot,
 * or -1 when every slot is taken. */
int ud_register(ud_cb cb, void *ud) {
    int id = -1;
    pthread_mutex_lock(&slots_lock);
    for (int i = 0; i < UD_SLOTS; i++) {
        if (slots[i].cb == NULL) {
            slots[i].cb = cb;
            slots[i].ud = ud;
            id = i;
            break;
        }
    }
    pthread_mutex_unlock(&slots_lock);
    return id;
}

/* Calls the slot's callback with its user data. */
void ud_fire(int id) {
    pthread_mutex_lock(&slots_lock);
    ud_cb cb = slots[id].cb;
    void *ud = slots[id].ud;
    pthread_mutex_unlock(&slots_lock);
    if (cb != NULL) {
        cb(ud);
    }
}

/* Ends the registration: the user data goes to `dtor`. */
void ud_unregister(int id, ud_cb dtor) {
    pthread_mutex_lock(&slots_lock);
    void *ud = slots[id].ud;
    slots[id].cb = NULL;
    slots[id].ud = NULL;
    pthread_mutex_unlock(&slots_lock);
    if (dtor != NULL) {
        dtor(ud);
    }
}
