/* Base: status descriptions, thread-local error buffer, clocks, RNG. */
#include <stdarg.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

#if defined(__cplusplus)
#define EEGNN__THREAD_LOCAL thread_local
#elif defined(_MSC_VER)
#define EEGNN__THREAD_LOCAL __declspec(thread)
#else
#define EEGNN__THREAD_LOCAL __thread
#endif

static EEGNN__THREAD_LOCAL char eegnn__error_buf[1024];
static EEGNN__THREAD_LOCAL eegnn_status eegnn__error_status;

EEGNN_API const char *eegnn_status_description(eegnn_status status) {
    switch (status) {
    case EEGNN_OK: return "ok";
    case EEGNN_ERR_ARG: return "invalid argument";
    case EEGNN_ERR_MEMORY: return "out of memory";
    case EEGNN_ERR_IO: return "input/output error";
    case EEGNN_ERR_FORMAT: return "malformed file";
    case EEGNN_ERR_UNSUPPORTED: return "unsupported";
    case EEGNN_ERR_NOT_FOUND: return "not found";
    case EEGNN_ERR_NUMERIC: return "non-finite number";
    }
    return "unknown status";
}

EEGNN_API const char *eegnn_last_error(void) { return eegnn__error_buf; }

EEGNN_API eegnn_status eegnn_last_status(void) { return eegnn__error_status; }

EEGNN_API void eegnn_clear_error(void) {
    eegnn__error_buf[0] = '\0';
    eegnn__error_status = EEGNN_OK;
}

EEGNN_API eegnn_status eegnn_set_error(eegnn_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(eegnn__error_buf, sizeof eegnn__error_buf, fmt, ap);
    va_end(ap);
    eegnn__error_status = status;
    return status;
}

EEGNN_API void eegnn_free(void *ptr) { EEGNN_FREE(ptr); }

EEGNN_API int eegnn_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

EEGNN_API double eegnn_time_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t eegnn__splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

EEGNN_API void eegnn_rng_seed(eegnn_rng *rng, uint64_t seed) {
    uint64_t x = seed, a = eegnn__splitmix64(&x), b = eegnn__splitmix64(&x);
    rng->s[0] = (uint32_t)a;
    rng->s[1] = (uint32_t)(a >> 32);
    rng->s[2] = (uint32_t)b;
    rng->s[3] = (uint32_t)(b >> 32);
    if (!(rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3])) rng->s[0] = 1;
}

EEGNN_API uint32_t eegnn_rng_u32(eegnn_rng *rng) {
    /* xoshiro128** */
    uint32_t *s = rng->s;
    uint32_t r = s[1] * 5u;
    uint32_t result = ((r << 7) | (r >> 25)) * 9u;
    uint32_t t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 11) | (s[3] >> 21);
    return result;
}

EEGNN_API float eegnn_rng_uniform(eegnn_rng *rng) {
    return (float)(eegnn_rng_u32(rng) >> 8) * (1.0f / 16777216.0f);
}

EEGNN_API float eegnn_rng_normal(eegnn_rng *rng) {
    double u1 = ((double)(eegnn_rng_u32(rng) >> 8) + 1.0) / 16777217.0;
    double u2 = (double)(eegnn_rng_u32(rng) >> 8) / 16777216.0;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

EEGNN_API uint32_t eegnn_rng_below(eegnn_rng *rng, uint32_t n) {
    return (uint32_t)(((uint64_t)eegnn_rng_u32(rng) * (uint64_t)n) >> 32);
}

EEGNN_API void eegnn_rng_shuffle(eegnn_rng *rng, int *v, int n) {
    int i;
    for (i = n - 1; i > 0; i--) {
        int j = (int)eegnn_rng_below(rng, (uint32_t)(i + 1));
        int t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}
