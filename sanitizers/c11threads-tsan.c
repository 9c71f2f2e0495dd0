/*
 * C11 threads on pthreads, for ThreadSanitizer runs of the press worker (scripts/sanitize).
 *
 * Why: Debian's librdkafka 2.0.2 creates its threads with C11 thrd_create and locks with
 * mtx_* and cnd_*. glibc implements those by calling its pthread internals directly, which
 * ThreadSanitizer does not intercept: threads it never saw start crash its allocator
 * (SIGSEGV on an "rdk:broker" thread), and locks it never saw would show as false races on
 * everything handed across librdkafka's queues. Preloaded (LD_PRELOAD) into a TSan worker
 * only, these definitions win over glibc's, and each calls the public pthread function,
 * which TSan does intercept. glibc's mtx_t and cnd_t are pthread's types, so the casts hold.
 * Built by scripts/sanitize with cc; never part of the package build.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

static int from_errno(int rc) {
    switch (rc) {
    case 0: return thrd_success;
    case ENOMEM: case EAGAIN: return thrd_nomem;
    case ETIMEDOUT: return thrd_timedout;
    case EBUSY: return thrd_busy;
    default: return thrd_error;
    }
}

struct start { thrd_start_t fn; void *arg; };

static void *trampoline(void *p) {
    struct start s = *(struct start *)p;
    free(p);
    return (void *)(intptr_t)s.fn(s.arg);
}

int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg) {
    struct start *s = malloc(sizeof *s);
    if (s == NULL) return thrd_nomem;
    s->fn = fn;
    s->arg = arg;
    int rc = pthread_create((pthread_t *)thr, NULL, trampoline, s);
    if (rc != 0) free(s);
    return from_errno(rc);
}

int thrd_join(thrd_t thr, int *res) {
    void *value = NULL;
    int rc = pthread_join((pthread_t)thr, &value);
    if (rc == 0 && res != NULL) *res = (int)(intptr_t)value;
    return from_errno(rc);
}

int thrd_detach(thrd_t thr) { return from_errno(pthread_detach((pthread_t)thr)); }
_Noreturn void thrd_exit(int res) { pthread_exit((void *)(intptr_t)res); }

int mtx_init(mtx_t *m, int type) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    if (type & mtx_recursive) pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    int rc = pthread_mutex_init((pthread_mutex_t *)m, &attr);
    pthread_mutexattr_destroy(&attr);
    return from_errno(rc);
}
int mtx_lock(mtx_t *m) { return from_errno(pthread_mutex_lock((pthread_mutex_t *)m)); }
int mtx_trylock(mtx_t *m) { return from_errno(pthread_mutex_trylock((pthread_mutex_t *)m)); }
int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict t) {
    return from_errno(pthread_mutex_timedlock((pthread_mutex_t *)m, t));
}
int mtx_unlock(mtx_t *m) { return from_errno(pthread_mutex_unlock((pthread_mutex_t *)m)); }
void mtx_destroy(mtx_t *m) { pthread_mutex_destroy((pthread_mutex_t *)m); }

int cnd_init(cnd_t *c) { return from_errno(pthread_cond_init((pthread_cond_t *)c, NULL)); }
int cnd_signal(cnd_t *c) { return from_errno(pthread_cond_signal((pthread_cond_t *)c)); }
int cnd_broadcast(cnd_t *c) { return from_errno(pthread_cond_broadcast((pthread_cond_t *)c)); }
int cnd_wait(cnd_t *c, mtx_t *m) {
    return from_errno(pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m));
}
int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict t) {
    return from_errno(pthread_cond_timedwait((pthread_cond_t *)c, (pthread_mutex_t *)m, t));
}
void cnd_destroy(cnd_t *c) { pthread_cond_destroy((pthread_cond_t *)c); }

/* glibc's once_flag is pthread_once_t: TSan orders the initializer before every caller. */
void call_once(once_flag *flag, void (*fn)(void)) { pthread_once((pthread_once_t *)flag, fn); }
