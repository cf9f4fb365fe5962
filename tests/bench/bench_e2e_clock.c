/* bench_e2e_clock.c - bench_e2e's clock (bench_e2e.h): monotonic ms less
 * the time the whole process was stopped, watched by a thread. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "bench_e2e.h"

static _Atomic long long clock_last_us, clock_paused_us;

static atomic_int clock_watched;

double e2e_now_ms(void)
{
    struct timespec ts;
    long long now, last;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    if (atomic_load(&clock_watched)) {
        last = atomic_load(&clock_last_us); /* only moved forward: each gap counted once */
        while (now > last && !atomic_compare_exchange_weak(&clock_last_us, &last, now))
            ;
        if (now > last && last > 0 && now - last > E2E_PAUSE_MS * 1000LL)
            atomic_fetch_add(&clock_paused_us, now - last);
    }
    return (double)(now - atomic_load(&clock_paused_us)) / 1e3;
}

double e2e_paused_ms(void)
{
    return (double)atomic_load(&clock_paused_us) / 1e3;
}

static void *clock_watch_main(void *arg)
{
    (void)arg;
    for (;;) {
        e2e_now_ms();
        usleep(100000);
    }
    return NULL;
}

int e2e_pause_watch(void)
{
    pthread_t th;

    if (atomic_exchange(&clock_watched, 1))
        return 0;
    e2e_now_ms(); /* the first reading: no gap before it */
    if (pthread_create(&th, NULL, clock_watch_main, NULL) != 0)
        return -1;
    return pthread_detach(th) == 0 ? 0 : -1;
}
