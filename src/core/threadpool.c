/* Thread pool: each eegnn_parallel_for publishes a job generation; tasks are
 * claimed statically by slot. Idle workers and the waiting caller spin
 * briefly on the generation / pending counters (GCC/Clang atomics) before
 * sleeping on a condition variable, so back-to-back ops do not pay a
 * wake-up each time. */
#include <pthread.h>

#if defined(__GNUC__) || defined(__clang__)
#define EEGNN__LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define EEGNN__STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define EEGNN__DEC(p) __atomic_sub_fetch((p), 1, __ATOMIC_ACQ_REL)
#define EEGNN__FETCH_ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define EEGNN__SPINS 200000
#else
#define EEGNN__LOAD(p) (*(p))
#define EEGNN__STORE(p, v) (*(p) = (v))
#define EEGNN__DEC(p) (--*(p))
#define EEGNN__SPINS 0
static pthread_mutex_t eegnn__work_mu = PTHREAD_MUTEX_INITIALIZER;
#endif

struct eegnn_threadpool {
    int n_threads; /* including the caller */
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    unsigned long generation;
    int pending; /* workers still running the current job */
    int stop;
    eegnn_task_fn fn;
    void *ctx;
    int n_tasks;
};

typedef struct eegnn__worker_arg {
    eegnn_threadpool *pool;
    int slot;
} eegnn__worker_arg;

static void eegnn__run_slot(eegnn_threadpool *pool, int slot) {
    int t;
    for (t = slot; t < pool->n_tasks; t += pool->n_threads) pool->fn(pool->ctx, t, pool->n_tasks);
}

static void *eegnn__worker_main(void *arg) {
    eegnn__worker_arg *wa = (eegnn__worker_arg *)arg;
    eegnn_threadpool *pool = wa->pool;
    int slot = wa->slot;
    unsigned long seen = 0;
    EEGNN_FREE(wa);
    for (;;) {
        long spin;
        for (spin = 0; spin < EEGNN__SPINS; spin++)
            if (EEGNN__LOAD(&pool->generation) != seen || EEGNN__LOAD(&pool->stop)) break;
        pthread_mutex_lock(&pool->mu);
        while (!pool->stop && pool->generation == seen) pthread_cond_wait(&pool->wake, &pool->mu);
        if (pool->stop) {
            pthread_mutex_unlock(&pool->mu);
            return NULL;
        }
        seen = pool->generation;
        pthread_mutex_unlock(&pool->mu);
        eegnn__run_slot(pool, slot);
        if (EEGNN__DEC(&pool->pending) == 0) {
            pthread_mutex_lock(&pool->mu);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->mu);
        }
    }
}

EEGNN_API eegnn_threadpool *eegnn_threadpool_create(int n_threads) {
    eegnn_threadpool *pool;
    int i;
    if (n_threads <= 0) n_threads = eegnn_cpu_count();
    if (n_threads > 256) n_threads = 256;
    pool = (eegnn_threadpool *)eegnn__calloc(1, sizeof *pool);
    if (!pool) return NULL;
    pool->n_threads = n_threads;
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    if (n_threads > 1) {
        pool->threads = (pthread_t *)eegnn__calloc((size_t)n_threads, sizeof(pthread_t));
        if (!pool->threads) {
            eegnn_threadpool_free(pool);
            return NULL;
        }
        for (i = 1; i < n_threads; i++) {
            eegnn__worker_arg *wa = (eegnn__worker_arg *)eegnn__calloc(1, sizeof *wa);
            if (wa) {
                wa->pool = pool;
                wa->slot = i;
            }
            if (!wa || pthread_create(&pool->threads[i], NULL, eegnn__worker_main, wa) != 0) {
                EEGNN_FREE(wa);
                pool->n_threads = i;
                eegnn_threadpool_free(pool);
                eegnn_set_error(EEGNN_ERR_MEMORY, "cannot start thread %d of %d", i, n_threads);
                return NULL;
            }
        }
    }
    return pool;
}

EEGNN_API void eegnn_threadpool_free(eegnn_threadpool *pool) {
    int i;
    if (!pool) return;
    pthread_mutex_lock(&pool->mu);
    EEGNN__STORE(&pool->stop, 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mu);
    if (pool->threads)
        for (i = 1; i < pool->n_threads; i++) pthread_join(pool->threads[i], NULL);
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->done);
    EEGNN_FREE(pool->threads);
    EEGNN_FREE(pool);
}

EEGNN_API int eegnn_threadpool_size(const eegnn_threadpool *pool) { return pool ? pool->n_threads : 1; }

EEGNN_API void eegnn_parallel_for(eegnn_threadpool *pool, int n_tasks, eegnn_task_fn fn, void *ctx) {
    int t;
    if (n_tasks <= 0) return;
    if (!pool || pool->n_threads == 1 || n_tasks == 1) {
        for (t = 0; t < n_tasks; t++) fn(ctx, t, n_tasks);
        return;
    }
    pthread_mutex_lock(&pool->mu);
    pool->fn = fn;
    pool->ctx = ctx;
    pool->n_tasks = n_tasks;
    EEGNN__STORE(&pool->pending, pool->n_threads - 1);
    EEGNN__STORE(&pool->generation, pool->generation + 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mu);
    eegnn__run_slot(pool, 0);
    {
        long spin;
        for (spin = 0; spin < EEGNN__SPINS && EEGNN__LOAD(&pool->pending) > 0; spin++) {
        }
    }
    pthread_mutex_lock(&pool->mu);
    while (EEGNN__LOAD(&pool->pending) > 0) pthread_cond_wait(&pool->done, &pool->mu);
    pthread_mutex_unlock(&pool->mu);
}

EEGNN_API void eegnn_work_init(eegnn_work *w, size_t n, size_t grain) {
    w->next = 0;
    w->n = n;
    w->grain = grain ? grain : 1;
}

EEGNN_API int eegnn_work_next(eegnn_work *w, size_t *lo, size_t *hi) {
    size_t start;
#ifdef EEGNN__FETCH_ADD
    if (EEGNN__LOAD(&w->next) >= w->n) return 0;
    start = EEGNN__FETCH_ADD(&w->next, w->grain);
#else
    pthread_mutex_lock(&eegnn__work_mu);
    start = w->next;
    if (start < w->n) w->next += w->grain;
    pthread_mutex_unlock(&eegnn__work_mu);
#endif
    if (start >= w->n) return 0;
    *lo = start;
    *hi = w->n - start < w->grain ? w->n : start + w->grain;
    return 1;
}

EEGNN_API size_t eegnn_work_grain(size_t n, int n_tasks) {
    size_t shares = (size_t)(n_tasks > 1 ? n_tasks : 1) * 8u;
    return n / shares > 1 ? n / shares : 1;
}
