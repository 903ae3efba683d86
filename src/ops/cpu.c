/* Choice of the CPU path (src/ops/kernels.h), once per process: the best
 * path this CPU supports (cpuid, via __builtin_cpu_supports, which also
 * checks that the OS saves the vector registers), unless the environment
 * variable EEGNN_CPU names another: avx512, avx2 or generic. A path the CPU
 * lacks, or an unknown name, falls back to the best supported one and
 * leaves a warning (eegnn_cpu_warning). */
#include <pthread.h>

static const eegnn__cpu_kernels *eegnn__cpu_chosen;
static char eegnn__cpu_warn[192];
static char eegnn__cpu_list[64];
static pthread_once_t eegnn__cpu_once = PTHREAD_ONCE_INIT;

static void eegnn__cpu_init(void) {
    const eegnn__cpu_kernels *paths[3];
    const char *want = getenv("EEGNN_CPU");
    int n = 0, i;
#if EEGNN__CPU_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) paths[n++] = &eegnn__kernels_avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) paths[n++] = &eegnn__kernels_avx2;
#endif
    paths[n++] = &eegnn__kernels_generic;
    eegnn__cpu_chosen = paths[0];
    for (i = 0; i < n; i++)
        snprintf(eegnn__cpu_list + strlen(eegnn__cpu_list), sizeof eegnn__cpu_list - strlen(eegnn__cpu_list), "%s%s",
                 i ? " " : "", paths[i]->name);
    if (!want || !*want) return;
    for (i = 0; i < n; i++)
        if (!strcmp(want, paths[i]->name)) {
            eegnn__cpu_chosen = paths[i];
            return;
        }
    if (!strcmp(want, "avx512") || !strcmp(want, "avx2"))
        snprintf(eegnn__cpu_warn, sizeof eegnn__cpu_warn,
                 "EEGNN_CPU=%s: this CPU or build has no %s path (it has: %s); using %s", want, want, eegnn__cpu_list,
                 eegnn__cpu_chosen->name);
    else
        snprintf(eegnn__cpu_warn, sizeof eegnn__cpu_warn,
                 "EEGNN_CPU=%.40s is not a CPU path (expected avx512, avx2 or generic); using %s", want,
                 eegnn__cpu_chosen->name);
}

/* The kernels of this process's path. */
EEGNN__PRIVATE const eegnn__cpu_kernels *eegnn__cpu(void) {
    pthread_once(&eegnn__cpu_once, eegnn__cpu_init);
    return eegnn__cpu_chosen;
}

EEGNN_API const char *eegnn_cpu_path(void) { return eegnn__cpu()->name; }

EEGNN_API const char *eegnn_cpu_paths(void) {
    eegnn__cpu();
    return eegnn__cpu_list;
}

EEGNN_API const char *eegnn_cpu_warning(void) {
    eegnn__cpu();
    return eegnn__cpu_warn[0] ? eegnn__cpu_warn : NULL;
}
