/* ---------------------------------------------------------------------------
 * Thread pool (pthreads). Used by matmul and convolution; one pool per graph.
 *
 * eegnn_parallel_for runs fn(ctx, task, n_tasks) for task = 0..n_tasks-1 on
 * the pool's threads (the caller's thread takes part) and returns when all
 * are done. Tasks are handed out statically (task i always runs as slot i),
 * so an op that splits work into per-task partial results and reduces them
 * in task order gets the same bits for the same thread count.
 * Thread safety: one eegnn_parallel_for at a time per pool.
 * ------------------------------------------------------------------------- */
typedef struct eegnn_threadpool eegnn_threadpool;

/* fn is called once per task; `task` in [0, n_tasks). */
typedef void (*eegnn_task_fn)(void *ctx, int task, int n_tasks);

/* Creates a pool of n_threads workers in all (n_threads <= 0: all online
 * CPUs; 1: no extra thread). Returns NULL (error set) on failure. */
EEGNN_API eegnn_threadpool *eegnn_threadpool_create(int n_threads);
/* Stops and joins the workers. NULL is allowed. */
EEGNN_API void eegnn_threadpool_free(eegnn_threadpool *pool);
/* Number of threads including the caller's (1 for a NULL pool). */
EEGNN_API int eegnn_threadpool_size(const eegnn_threadpool *pool);
/* Runs n_tasks tasks; with a NULL pool or n_tasks == 1 they run on the caller
 * in order. n_tasks may exceed the thread count. */
EEGNN_API void eegnn_parallel_for(eegnn_threadpool *pool, int n_tasks, eegnn_task_fn fn, void *ctx);

/* Dynamic sharing of n units of work among the tasks of one
 * eegnn_parallel_for, so that a task whose thread runs faster (a core the
 * OS or another process shares less) takes more of them, as OpenMP's
 * schedule(dynamic, grain): every task calls eegnn_work_next until it
 * returns 0, and gets each time the next `grain` units (fewer at the end)
 * as [*lo, *hi). Every unit goes to exactly one task, so results computed
 * per unit do not depend on which thread ran it; a partial sum kept per
 * task would, and must not use it.
 * eegnn_work_grain(n, n_tasks) is a grain giving each task about 8 shares.
 * Thread safety: eegnn_work_next may be called from any number of threads
 * (an atomic counter, or a mutex where the compiler has no atomics). */
typedef struct eegnn_work {
    size_t next, n, grain;
} eegnn_work;
EEGNN_API void eegnn_work_init(eegnn_work *w, size_t n, size_t grain);
EEGNN_API int eegnn_work_next(eegnn_work *w, size_t *lo, size_t *hi);
EEGNN_API size_t eegnn_work_grain(size_t n, int n_tasks);
