/* Real FFT (built-in Stockham mixed radix + Bluestein, or FFTW under
 * EEGNN_USE_FFTW) and the spectral graph ops rfft_power and band_power.
 *
 * Complex arrays are interleaved (re, im) floats; indices in the comments
 * count complex elements. */
#include <math.h>
#include <string.h>
#ifdef EEGNN_USE_FFTW
#include <fftw3.h>
#include <pthread.h>
#endif

#define EEGNN__PI 3.14159265358979323846
#define EEGNN__FFT_MAX_STAGES 48
#define EEGNN__FFT_MAX_DIRECT 13 /* largest prime factor done with a direct butterfly */
#define EEGNN__FFT_MAX_N (1 << 28)

/* ---- Memory layout helper: plans are laid out in one block, first sized
 * with base == NULL (nothing written), then filled. ---- */
typedef struct eegnn__bump {
    unsigned char *base;
    size_t used;
} eegnn__bump;

static void *eegnn__bump_take(eegnn__bump *b, size_t bytes) {
    size_t start = (b->used + 63u) & ~(size_t)63u;
    b->used = start + bytes;
    return b->base ? (void *)(b->base + start) : NULL;
}

/* ---- Complex FFT of length n (forward, sign -1, unnormalised) ---- */
typedef struct eegnn__cfft {
    int n;
    int n_stages;
    int radix[EEGNN__FFT_MAX_STAGES];
    /* stage s of radix p on a sub-length len = p * m: (m, p - 1) twiddles
     * exp(-2*pi*i*j*k/len), j < m, 1 <= k < p */
    const float *tw[EEGNN__FFT_MAX_STAGES];
    const float *roots[EEGNN__FFT_MAX_STAGES]; /* radix p > 5: (p) roots exp(-2*pi*i*r/p) */
    int bluestein_m;                           /* 0: factorised; else the convolution length */
    const float *chirp;                        /* Bluestein: (n) exp(-i*pi*t^2/n) */
    const float *kernel;                       /* Bluestein: (m) FFT of the conjugate chirp, / m */
    const struct eegnn__cfft *sub;             /* Bluestein: plan of length m */
} eegnn__cfft;

/* Radices of n (4 first, then 2, 3, 5, 7, 11, 13); -1 when n has a prime
 * factor above EEGNN__FFT_MAX_DIRECT. */
static int eegnn__fft_factor(int n, int *radix) {
    int k = 0, p;
    while (n % 4 == 0) {
        radix[k++] = 4;
        n /= 4;
    }
    while (n % 2 == 0) {
        radix[k++] = 2;
        n /= 2;
    }
    for (p = 3; p <= EEGNN__FFT_MAX_DIRECT; p += 2)
        while (n % p == 0) {
            radix[k++] = p;
            n /= p;
        }
    return n == 1 ? k : -1;
}

/* Smallest 2^a 3^b 5^c >= n. */
static int eegnn__fft_good_size(int n) {
    int best = 1, p2, p3, p5;
    while (best < n) best *= 2;
    for (p5 = 1; p5 < 2 * n; p5 *= 5)
        for (p3 = p5; p3 < 2 * n; p3 *= 3) {
            p2 = p3;
            while (p2 < n) p2 *= 2;
            if (p2 < best) best = p2;
        }
    return best;
}

/* Scratch floats eegnn__cfft_run needs for length n. */
EEGNN__PRIVATE size_t eegnn__cfft_work(int n) {
    int radix[EEGNN__FFT_MAX_STAGES];
    if (eegnn__fft_factor(n, radix) >= 0) return 2 * (size_t)n;
    return 4 * (size_t)eegnn__fft_good_size(2 * n - 1);
}

static void eegnn__cfft_run(const eegnn__cfft *c, float *data, float *work);

/* Sizes (b->base NULL) or builds the complex plan of length n. */
EEGNN__PRIVATE eegnn__cfft *eegnn__cfft_make(int n, eegnn__bump *b) {
    eegnn__cfft *c = (eegnn__cfft *)eegnn__bump_take(b, sizeof *c);
    int radix[EEGNN__FFT_MAX_STAGES], ns = eegnn__fft_factor(n, radix), s, len, m, j, k;
    if (c) {
        memset(c, 0, sizeof *c);
        c->n = n;
    }
    if (ns >= 0) {
        len = n;
        for (s = 0; s < ns; s++) {
            int p = radix[s];
            float *tw, *rt;
            m = len / p;
            tw = (float *)eegnn__bump_take(b, sizeof(float) * 2 * (size_t)m * (size_t)(p - 1));
            rt = p > 5 ? (float *)eegnn__bump_take(b, sizeof(float) * 2 * (size_t)p) : NULL;
            if (c) {
                c->radix[s] = p;
                c->tw[s] = tw;
                c->roots[s] = rt;
                for (j = 0; j < m; j++)
                    for (k = 1; k < p; k++) {
                        double a = -2.0 * EEGNN__PI * (double)(((long long)j * k) % len) / (double)len;
                        tw[2 * ((size_t)j * (p - 1) + k - 1)] = (float)cos(a);
                        tw[2 * ((size_t)j * (p - 1) + k - 1) + 1] = (float)sin(a);
                    }
                for (k = 0; rt && k < p; k++) {
                    double a = -2.0 * EEGNN__PI * (double)k / (double)p;
                    rt[2 * k] = (float)cos(a);
                    rt[2 * k + 1] = (float)sin(a);
                }
            }
            len = m;
        }
        if (c) c->n_stages = ns;
        return c;
    }
    /* Bluestein: X[k] = chirp[k] * sum_t (x[t] chirp[t]) conj(chirp[k - t]),
     * a linear convolution done as a cyclic one of length m >= 2n - 1. */
    {
        float *chirp, *kernel, *tmp;
        const eegnn__cfft *sub;
        m = eegnn__fft_good_size(2 * n - 1);
        chirp = (float *)eegnn__bump_take(b, sizeof(float) * 2 * (size_t)n);
        kernel = (float *)eegnn__bump_take(b, sizeof(float) * 2 * (size_t)m);
        tmp = (float *)eegnn__bump_take(b, sizeof(float) * 2 * (size_t)m); /* scratch for building the kernel */
        sub = eegnn__cfft_make(m, b);
        if (c) {
            c->bluestein_m = m;
            c->chirp = chirp;
            c->kernel = kernel;
            c->sub = sub;
            for (j = 0; j < n; j++) {
                /* t^2 mod 2n keeps the angle exact for large t */
                long long t2 = ((long long)j * j) % (2LL * n);
                double a = -EEGNN__PI * (double)t2 / (double)n;
                chirp[2 * j] = (float)cos(a);
                chirp[2 * j + 1] = (float)sin(a);
            }
            memset(kernel, 0, sizeof(float) * 2 * (size_t)m);
            for (j = 0; j < n; j++) {
                long long t2 = ((long long)j * j) % (2LL * n);
                double a = EEGNN__PI * (double)t2 / (double)n;
                kernel[2 * j] = (float)cos(a);
                kernel[2 * j + 1] = (float)sin(a);
                if (j) {
                    kernel[2 * (m - j)] = kernel[2 * j];
                    kernel[2 * (m - j) + 1] = kernel[2 * j + 1];
                }
            }
            eegnn__cfft_run(sub, kernel, tmp);
            for (j = 0; j < 2 * m; j++) kernel[j] /= (float)m;
        }
        return c;
    }
}

/* One Stockham decimation-in-frequency pass of radix p: sub-length
 * len = p * m, stride s (complex elements):
 *   y[q + s*(p*j + k)] = w_len^(j*k) * sum_r x[q + s*(j + r*m)] * W_p^(r*k). */
static void eegnn__fft_pass2(int m, int s, const float *x, float *y, const float *tw) {
    int j, q;
    for (j = 0; j < m; j++) {
        float wr = tw[2 * j], wi = tw[2 * j + 1];
        const float *a0 = x + 2 * (size_t)s * j, *a1 = x + 2 * (size_t)s * (j + m);
        float *y0 = y + 2 * (size_t)s * (2 * j), *y1 = y0 + 2 * (size_t)s;
        for (q = 0; q < s; q++) {
            float r0 = a0[2 * q], i0 = a0[2 * q + 1], r1 = a1[2 * q], i1 = a1[2 * q + 1];
            float dr = r0 - r1, di = i0 - i1;
            y0[2 * q] = r0 + r1;
            y0[2 * q + 1] = i0 + i1;
            y1[2 * q] = dr * wr - di * wi;
            y1[2 * q + 1] = dr * wi + di * wr;
        }
    }
}

static void eegnn__fft_pass4(int m, int s, const float *x, float *y, const float *tw) {
    int j, q;
    for (j = 0; j < m; j++) {
        const float *w = tw + 6 * (size_t)j;
        const float *a0 = x + 2 * (size_t)s * j, *a1 = x + 2 * (size_t)s * (j + m);
        const float *a2 = x + 2 * (size_t)s * (j + 2 * m), *a3 = x + 2 * (size_t)s * (j + 3 * m);
        float *y0 = y + 2 * (size_t)s * (4 * j), *y1 = y0 + 2 * (size_t)s, *y2 = y1 + 2 * (size_t)s,
              *y3 = y2 + 2 * (size_t)s;
        for (q = 0; q < s; q++) {
            float r0 = a0[2 * q], i0 = a0[2 * q + 1], r1 = a1[2 * q], i1 = a1[2 * q + 1];
            float r2 = a2[2 * q], i2 = a2[2 * q + 1], r3 = a3[2 * q], i3 = a3[2 * q + 1];
            float sr02 = r0 + r2, si02 = i0 + i2, dr02 = r0 - r2, di02 = i0 - i2;
            float sr13 = r1 + r3, si13 = i1 + i3, dr13 = r1 - r3, di13 = i1 - i3;
            /* y1 = (a0 - a2) - i (a1 - a3), y3 = (a0 - a2) + i (a1 - a3) */
            float b1r = dr02 + di13, b1i = di02 - dr13, b2r = sr02 - sr13, b2i = si02 - si13;
            float b3r = dr02 - di13, b3i = di02 + dr13;
            y0[2 * q] = sr02 + sr13;
            y0[2 * q + 1] = si02 + si13;
            y1[2 * q] = b1r * w[0] - b1i * w[1];
            y1[2 * q + 1] = b1r * w[1] + b1i * w[0];
            y2[2 * q] = b2r * w[2] - b2i * w[3];
            y2[2 * q + 1] = b2r * w[3] + b2i * w[2];
            y3[2 * q] = b3r * w[4] - b3i * w[5];
            y3[2 * q + 1] = b3r * w[5] + b3i * w[4];
        }
    }
}

static void eegnn__fft_pass3(int m, int s, const float *x, float *y, const float *tw) {
    const float h = 0.86602540378443864676f; /* sin(2*pi/3) */
    int j, q;
    for (j = 0; j < m; j++) {
        const float *w = tw + 4 * (size_t)j;
        const float *a0 = x + 2 * (size_t)s * j, *a1 = x + 2 * (size_t)s * (j + m),
                    *a2 = x + 2 * (size_t)s * (j + 2 * m);
        float *y0 = y + 2 * (size_t)s * (3 * j), *y1 = y0 + 2 * (size_t)s, *y2 = y1 + 2 * (size_t)s;
        for (q = 0; q < s; q++) {
            float r0 = a0[2 * q], i0 = a0[2 * q + 1], r1 = a1[2 * q], i1 = a1[2 * q + 1];
            float r2 = a2[2 * q], i2 = a2[2 * q + 1];
            float tr = r1 + r2, ti = i1 + i2, dr = r1 - r2, di = i1 - i2;
            float mr = r0 - 0.5f * tr, mi = i0 - 0.5f * ti;
            /* y1 = m - i h d, y2 = m + i h d */
            float b1r = mr + h * di, b1i = mi - h * dr, b2r = mr - h * di, b2i = mi + h * dr;
            y0[2 * q] = r0 + tr;
            y0[2 * q + 1] = i0 + ti;
            y1[2 * q] = b1r * w[0] - b1i * w[1];
            y1[2 * q + 1] = b1r * w[1] + b1i * w[0];
            y2[2 * q] = b2r * w[2] - b2i * w[3];
            y2[2 * q + 1] = b2r * w[3] + b2i * w[2];
        }
    }
}

static void eegnn__fft_pass5(int m, int s, const float *x, float *y, const float *tw) {
    const float c1 = 0.30901699437494742410f, c2 = -0.80901699437494742410f; /* cos(2pi/5), cos(4pi/5) */
    const float s1 = 0.95105651629515357212f, s2 = 0.58778525229247312917f; /* sin(2pi/5), sin(4pi/5) */
    int j, q;
    for (j = 0; j < m; j++) {
        const float *w = tw + 8 * (size_t)j;
        const float *a0 = x + 2 * (size_t)s * j, *a1 = x + 2 * (size_t)s * (j + m),
                    *a2 = x + 2 * (size_t)s * (j + 2 * m), *a3 = x + 2 * (size_t)s * (j + 3 * m),
                    *a4 = x + 2 * (size_t)s * (j + 4 * m);
        float *yk[5];
        int k;
        yk[0] = y + 2 * (size_t)s * (5 * j);
        for (k = 1; k < 5; k++) yk[k] = yk[k - 1] + 2 * (size_t)s;
        for (q = 0; q < s; q++) {
            float r0 = a0[2 * q], i0 = a0[2 * q + 1];
            float t1r = a1[2 * q] + a4[2 * q], t1i = a1[2 * q + 1] + a4[2 * q + 1];
            float d1r = a1[2 * q] - a4[2 * q], d1i = a1[2 * q + 1] - a4[2 * q + 1];
            float t2r = a2[2 * q] + a3[2 * q], t2i = a2[2 * q + 1] + a3[2 * q + 1];
            float d2r = a2[2 * q] - a3[2 * q], d2i = a2[2 * q + 1] - a3[2 * q + 1];
            float m1r = r0 + c1 * t1r + c2 * t2r, m1i = i0 + c1 * t1i + c2 * t2i;
            float m2r = r0 + c2 * t1r + c1 * t2r, m2i = i0 + c2 * t1i + c1 * t2i;
            float u1r = s1 * d1r + s2 * d2r, u1i = s1 * d1i + s2 * d2i; /* y1 = m1 - i u1, y4 = m1 + i u1 */
            float u2r = s2 * d1r - s1 * d2r, u2i = s2 * d1i - s1 * d2i; /* y2 = m2 - i u2, y3 = m2 + i u2 */
            float br[5], bi[5];
            br[1] = m1r + u1i;
            bi[1] = m1i - u1r;
            br[4] = m1r - u1i;
            bi[4] = m1i + u1r;
            br[2] = m2r + u2i;
            bi[2] = m2i - u2r;
            br[3] = m2r - u2i;
            bi[3] = m2i + u2r;
            yk[0][2 * q] = r0 + t1r + t2r;
            yk[0][2 * q + 1] = i0 + t1i + t2i;
            for (k = 1; k < 5; k++) {
                float wr = w[2 * (k - 1)], wi = w[2 * (k - 1) + 1];
                yk[k][2 * q] = br[k] * wr - bi[k] * wi;
                yk[k][2 * q + 1] = br[k] * wi + bi[k] * wr;
            }
        }
    }
}

/* Direct butterfly for a prime radix 7 <= p <= 13. */
static void eegnn__fft_pass_direct(int p, int m, int s, const float *x, float *y, const float *tw,
                                   const float *rt) {
    float ar[EEGNN__FFT_MAX_DIRECT], ai[EEGNN__FFT_MAX_DIRECT];
    int j, q, r, k;
    for (j = 0; j < m; j++) {
        const float *w = tw + 2 * (size_t)j * (p - 1);
        for (q = 0; q < s; q++) {
            for (r = 0; r < p; r++) {
                const float *a = x + 2 * ((size_t)s * (j + (size_t)r * m) + q);
                ar[r] = a[0];
                ai[r] = a[1];
            }
            for (k = 0; k < p; k++) {
                float sr = 0.0f, si = 0.0f;
                float *o = y + 2 * ((size_t)s * ((size_t)p * j + k) + q);
                int idx = 0; /* r * k mod p */
                for (r = 0; r < p; r++) {
                    float cr = rt[2 * idx], ci = rt[2 * idx + 1];
                    sr += ar[r] * cr - ai[r] * ci;
                    si += ar[r] * ci + ai[r] * cr;
                    idx += k;
                    if (idx >= p) idx -= p;
                }
                if (k) {
                    float wr = w[2 * (k - 1)], wi = w[2 * (k - 1) + 1];
                    o[0] = sr * wr - si * wi;
                    o[1] = sr * wi + si * wr;
                } else {
                    o[0] = sr;
                    o[1] = si;
                }
            }
        }
    }
}

/* In-place forward complex FFT of data (n) using work (eegnn__cfft_work(n) floats). */
static void eegnn__cfft_run(const eegnn__cfft *c, float *data, float *work) {
    int n = c->n;
    if (c->bluestein_m) {
        int m = c->bluestein_m, k;
        float *a = work, *sw = work + 2 * (size_t)m;
        const float *ch = c->chirp, *ke = c->kernel;
        for (k = 0; k < n; k++) {
            float xr = data[2 * k], xi = data[2 * k + 1];
            a[2 * k] = xr * ch[2 * k] - xi * ch[2 * k + 1];
            a[2 * k + 1] = xr * ch[2 * k + 1] + xi * ch[2 * k];
        }
        memset(a + 2 * (size_t)n, 0, sizeof(float) * 2 * (size_t)(m - n));
        eegnn__cfft_run(c->sub, a, sw);
        /* conj(A .* kernel): the inverse transform as conj(FFT(conj(.))) */
        for (k = 0; k < m; k++) {
            float ar = a[2 * k], ai = a[2 * k + 1];
            a[2 * k] = ar * ke[2 * k] - ai * ke[2 * k + 1];
            a[2 * k + 1] = -(ar * ke[2 * k + 1] + ai * ke[2 * k]);
        }
        eegnn__cfft_run(c->sub, a, sw);
        for (k = 0; k < n; k++) {
            float cr = a[2 * k], ci = -a[2 * k + 1];
            data[2 * k] = cr * ch[2 * k] - ci * ch[2 * k + 1];
            data[2 * k + 1] = cr * ch[2 * k + 1] + ci * ch[2 * k];
        }
        return;
    }
    {
        float *x = data, *y = work, *t;
        int st, len = n, s = 1;
        for (st = 0; st < c->n_stages; st++) {
            int p = c->radix[st], m = len / p;
            switch (p) {
            case 2: eegnn__fft_pass2(m, s, x, y, c->tw[st]); break;
            case 3: eegnn__fft_pass3(m, s, x, y, c->tw[st]); break;
            case 4: eegnn__fft_pass4(m, s, x, y, c->tw[st]); break;
            case 5: eegnn__fft_pass5(m, s, x, y, c->tw[st]); break;
            default: eegnn__fft_pass_direct(p, m, s, x, y, c->tw[st], c->roots[st]); break;
            }
            t = x;
            x = y;
            y = t;
            s *= p;
            len = m;
        }
        if (x != data) memcpy(data, x, sizeof(float) * 2 * (size_t)n);
    }
}

/* ---- Real FFT plans ---- */
struct eegnn_rfft_plan {
    int n;
    int half;               /* complex FFT length: n/2 for even n, n for odd n */
    const eegnn__cfft *cfft; /* built-in: plan of length half */
    const float *post;      /* built-in, even n: (n/2 + 1) exp(-2*pi*i*k/n) */
    size_t work_floats;     /* scratch per call: 2*half + cfft work */
    float *own_work;        /* (work_floats), used when the caller passes none */
#ifdef EEGNN_USE_FFTW
    fftwf_plan fftw;
    int cached; /* fftw belongs to the process-wide cache */
#endif
};

EEGNN_API const char *eegnn_fft_backend(void) {
#ifdef EEGNN_USE_FFTW
    return "fftw3";
#else
    return "builtin";
#endif
}

#ifdef EEGNN_USE_FFTW
static pthread_mutex_t eegnn__fftw_mu = PTHREAD_MUTEX_INITIALIZER;

typedef struct eegnn__fftw_entry {
    int n;
    fftwf_plan plan;
    struct eegnn__fftw_entry *next;
} eegnn__fftw_entry;
static eegnn__fftw_entry *eegnn__fftw_cache;

/* Makes an r2c plan of n points; call with eegnn__fftw_mu held. */
static fftwf_plan eegnn__fftw_make(int n) {
    float *in = (float *)fftwf_malloc(sizeof(float) * (size_t)n);
    fftwf_complex *out = (fftwf_complex *)fftwf_malloc(sizeof(fftwf_complex) * (size_t)(n / 2 + 1));
    fftwf_plan p = NULL;
    if (in && out) p = fftwf_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE | FFTW_UNALIGNED);
    fftwf_free(in);
    fftwf_free(out);
    if (!p) eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "rfft: FFTW could not plan a transform of %d points", n);
    return p;
}

/* The cached plan of n points (graph ops share these; eegnn_fft_cleanup frees them). */
static fftwf_plan eegnn__fftw_cached(int n) {
    eegnn__fftw_entry *e;
    fftwf_plan p = NULL;
    pthread_mutex_lock(&eegnn__fftw_mu);
    for (e = eegnn__fftw_cache; e; e = e->next)
        if (e->n == n) {
            p = e->plan;
            break;
        }
    if (!p) {
        e = (eegnn__fftw_entry *)eegnn__calloc(1, sizeof *e);
        if (e) {
            p = eegnn__fftw_make(n);
            if (p) {
                e->n = n;
                e->plan = p;
                e->next = eegnn__fftw_cache;
                eegnn__fftw_cache = e;
            } else {
                EEGNN_FREE(e);
            }
        }
    }
    pthread_mutex_unlock(&eegnn__fftw_mu);
    return p;
}
#endif

EEGNN_API void eegnn_fft_cleanup(void) {
#ifdef EEGNN_USE_FFTW
    pthread_mutex_lock(&eegnn__fftw_mu);
    while (eegnn__fftw_cache) {
        eegnn__fftw_entry *e = eegnn__fftw_cache;
        eegnn__fftw_cache = e->next;
        fftwf_destroy_plan(e->plan);
        EEGNN_FREE(e);
    }
    fftwf_cleanup();
    pthread_mutex_unlock(&eegnn__fftw_mu);
#endif
}

/* Sizes (b->base NULL) or builds the built-in tables of an n-point plan. */
static eegnn_rfft_plan *eegnn__rfft_make(int n, eegnn__bump *b) {
    eegnn_rfft_plan *p = (eegnn_rfft_plan *)eegnn__bump_take(b, sizeof *p);
    int half = n % 2 == 0 ? n / 2 : n, k;
    const eegnn__cfft *c = NULL;
    float *post = NULL, *work;
    size_t work_floats = 0;
#ifndef EEGNN_USE_FFTW
    c = eegnn__cfft_make(half, b);
    if (n % 2 == 0) post = (float *)eegnn__bump_take(b, sizeof(float) * 2 * (size_t)(half + 1));
    work_floats = 2 * (size_t)half + eegnn__cfft_work(half);
#endif
    work = work_floats ? (float *)eegnn__bump_take(b, sizeof(float) * work_floats) : NULL;
    if (!p) return NULL;
    memset(p, 0, sizeof *p);
    p->n = n;
    p->half = half;
    p->cfft = c;
    p->post = post;
    p->work_floats = work_floats;
    p->own_work = work;
    for (k = 0; post && k <= half; k++) {
        double a = -2.0 * EEGNN__PI * (double)k / (double)n;
        post[2 * k] = (float)cos(a);
        post[2 * k + 1] = (float)sin(a);
    }
    return p;
}

static eegnn_status eegnn__rfft_check_n(int n) {
    if (n < 1 || n > EEGNN__FFT_MAX_N)
        return eegnn_set_error(EEGNN_ERR_ARG, "rfft: length %d is outside 1..%d", n, EEGNN__FFT_MAX_N);
    return EEGNN_OK;
}

/* eegnn_rfft_plan_create with the failure's status in *status. */
static eegnn_rfft_plan *eegnn__rfft_plan_create(int n, eegnn_status *status) {
    eegnn__bump b;
    eegnn_rfft_plan *p;
    *status = eegnn__rfft_check_n(n);
    if (*status) return NULL;
    *status = EEGNN_ERR_MEMORY;
    b.base = NULL;
    b.used = 0;
    eegnn__rfft_make(n, &b);
    b.base = (unsigned char *)EEGNN_MALLOC(b.used + 64);
    if (!b.base) {
        eegnn_set_error(EEGNN_ERR_MEMORY, "rfft: cannot allocate a plan of %zu bytes for %d points", b.used, n);
        return NULL;
    }
    /* the block starts the plan, so eegnn_rfft_plan_free frees the plan pointer */
    b.used = 0;
    p = eegnn__rfft_make(n, &b);
#ifdef EEGNN_USE_FFTW
    pthread_mutex_lock(&eegnn__fftw_mu);
    p->fftw = eegnn__fftw_make(n);
    pthread_mutex_unlock(&eegnn__fftw_mu);
    if (!p->fftw) {
        EEGNN_FREE(p);
        *status = EEGNN_ERR_UNSUPPORTED;
        return NULL;
    }
#endif
    *status = EEGNN_OK;
    return p;
}

EEGNN_API eegnn_rfft_plan *eegnn_rfft_plan_create(int n) {
    eegnn_status st;
    return eegnn__rfft_plan_create(n, &st);
}

EEGNN_API void eegnn_rfft_plan_free(eegnn_rfft_plan *plan) {
    if (!plan) return;
#ifdef EEGNN_USE_FFTW
    if (plan->fftw && !plan->cached) {
        pthread_mutex_lock(&eegnn__fftw_mu);
        fftwf_destroy_plan(plan->fftw);
        pthread_mutex_unlock(&eegnn__fftw_mu);
    }
#endif
    EEGNN_FREE(plan);
}

EEGNN_API int eegnn_rfft_plan_length(const eegnn_rfft_plan *plan) { return plan ? plan->n : 0; }

EEGNN_API size_t eegnn_rfft_work_size(const eegnn_rfft_plan *plan) { return plan ? plan->work_floats : 0; }

EEGNN_API void eegnn_rfft_execute(const eegnn_rfft_plan *plan, const float *x, float *out, float *work) {
#ifdef EEGNN_USE_FFTW
    (void)work;
    fftwf_execute_dft_r2c(plan->fftw, (float *)x, (fftwf_complex *)out);
#else
    int n = plan->n, half = plan->half, k;
    float *z = work ? work : plan->own_work, *cw = z + 2 * (size_t)half;
    if (n % 2) {
        for (k = 0; k < n; k++) {
            z[2 * k] = x[k];
            z[2 * k + 1] = 0.0f;
        }
        eegnn__cfft_run(plan->cfft, z, cw);
        memcpy(out, z, sizeof(float) * 2 * (size_t)(n / 2 + 1));
        return;
    }
    /* even n: z[k] = x[2k] + i x[2k+1] is x itself read as complex; then
     * X[k] = E[k] + w^k O[k] with E = (Z[k] + conj Z[m-k]) / 2 and
     * O = (Z[k] - conj Z[m-k]) / 2i, Z[m] = Z[0], w = exp(-2*pi*i/n). */
    memcpy(z, x, sizeof(float) * (size_t)n);
    eegnn__cfft_run(plan->cfft, z, cw);
    for (k = 0; k <= half; k++) {
        int k1 = k == half ? 0 : k, k2 = k == 0 ? 0 : half - k;
        float zr = z[2 * k1], zi = z[2 * k1 + 1], cr = z[2 * k2], ci = -z[2 * k2 + 1];
        float er = 0.5f * (zr + cr), ei = 0.5f * (zi + ci);
        float or_ = 0.5f * (zi - ci), oi = -0.5f * (zr - cr);
        float wr = plan->post[2 * k], wi = plan->post[2 * k + 1];
        out[2 * k] = er + wr * or_ - wi * oi;
        out[2 * k + 1] = ei + wr * oi + wi * or_;
    }
#endif
}

EEGNN_API eegnn_status eegnn_rfft(int n, const float *x, float *out) {
    eegnn_rfft_plan *p;
    eegnn_status st;
    if (!x || !out) return eegnn_set_error(EEGNN_ERR_ARG, "rfft: x or out is NULL");
    p = eegnn__rfft_plan_create(n, &st);
    if (!p) return st;
    eegnn_rfft_execute(p, x, out, NULL);
    eegnn_rfft_plan_free(p);
    return EEGNN_OK;
}

/* ---- Graph ops: rfft_power and band_power ----
 * Both run one real FFT per row of x (..., T). A node's iaux points at its
 * eegnn__spectral_state in the arena (iaux_len counts 32-bit words). When a
 * gradient flows, forward keeps each row's spectrum for backward:
 *   dL/dx[t] = (2/T) * Re(sum_k G[k] X[k] exp(2*pi*i*k*t/T)),  G = dL/dP,
 * which is Re(A[t]) - Im(B[t]) for the real FFTs A of a = Re(2/T G X) and B
 * of b = -Im(2/T G X) (zero beyond bin T/2); bins t > T/2 follow from the
 * conjugate symmetry of A and B. */
#define EEGNN__MAX_BANDS 64

typedef struct eegnn__spectral_state {
    eegnn_rfft_plan *plan;
    int n_times;                    /* T */
    int n_bins;                     /* K = T/2 + 1 */
    size_t rows;                    /* numel(x) / T */
    int n_bands;                    /* band_power: bands; rfft_power: 0 */
    int bin_lo[EEGNN__MAX_BANDS];   /* band j holds bins [bin_lo[j], bin_hi[j]) */
    int bin_hi[EEGNN__MAX_BANDS];
    float eps;
    float *spec;  /* (rows, K, 2) spectra saved for backward, or NULL */
    float *level; /* band_power: (rows, n_bands) mean power + eps, or NULL */
    size_t work_floats;
} eegnn__spectral_state;

static eegnn__spectral_state *eegnn__spectral_state_of(const eegnn_tensor *t) {
    return (eegnn__spectral_state *)(void *)t->iaux;
}

/* Plan of n points whose built-in tables live in the graph's arena (under
 * EEGNN_USE_FFTW: the process-wide cached FFTW plan). */
static eegnn_rfft_plan *eegnn__rfft_plan_graph(eegnn_graph *g, int n) {
    eegnn__bump b;
    eegnn_rfft_plan *p;
    if (eegnn__rfft_check_n(n)) return NULL;
    b.base = NULL;
    b.used = 0;
    eegnn__rfft_make(n, &b);
    b.base = (unsigned char *)eegnn_graph_alloc(g, b.used);
    if (!b.base) return NULL;
    b.used = 0;
    p = eegnn__rfft_make(n, &b);
#ifdef EEGNN_USE_FFTW
    p->fftw = eegnn__fftw_cached(n);
    p->cached = 1;
    if (!p->fftw) return NULL;
#endif
    return p;
}

typedef struct eegnn__spectral_ctx {
    eegnn_graph *g;
    eegnn_tensor *t;
    int n_tasks;
} eegnn__spectral_ctx;

static void eegnn__spectral_rows(const eegnn__spectral_state *st, int task, int n_tasks, size_t *r0, size_t *r1) {
    *r0 = st->rows * (size_t)task / (size_t)n_tasks;
    *r1 = st->rows * (size_t)(task + 1) / (size_t)n_tasks;
}

static void eegnn__spectral_fwd_task(void *ctx_, int task, int n_tasks) {
    eegnn__spectral_ctx *ctx = (eegnn__spectral_ctx *)ctx_;
    eegnn_tensor *t = ctx->t;
    const eegnn__spectral_state *st = eegnn__spectral_state_of(t);
    int T = st->n_times, K = st->n_bins, nb = st->n_bands, j, k;
    float *work = eegnn_graph_scratch(ctx->g, task), *xs = work + st->work_floats;
    float inv_t = 1.0f / (float)T;
    size_t r, r0, r1;
    eegnn__spectral_rows(st, task, n_tasks, &r0, &r1);
    for (r = r0; r < r1; r++) {
        float *X = st->spec ? st->spec + 2 * (size_t)K * r : xs;
        eegnn_rfft_execute(st->plan, t->src[0]->data + (size_t)T * r, X, work);
        if (!nb) {
            float *y = t->data + (size_t)K * r;
            for (k = 0; k < K; k++) y[k] = (X[2 * k] * X[2 * k] + X[2 * k + 1] * X[2 * k + 1]) * inv_t;
            continue;
        }
        for (j = 0; j < nb; j++) {
            double s = 0.0;
            float level;
            for (k = st->bin_lo[j]; k < st->bin_hi[j]; k++)
                s += (double)((X[2 * k] * X[2 * k] + X[2 * k + 1] * X[2 * k + 1]) * inv_t);
            level = (float)(s / (double)(st->bin_hi[j] - st->bin_lo[j])) + st->eps;
            if (st->level) st->level[(size_t)nb * r + j] = level;
            t->data[(size_t)nb * r + j] = (float)log((double)level);
        }
    }
}

static void eegnn__spectral_bwd_task(void *ctx_, int task, int n_tasks) {
    eegnn__spectral_ctx *ctx = (eegnn__spectral_ctx *)ctx_;
    eegnn_tensor *t = ctx->t;
    const eegnn__spectral_state *st = eegnn__spectral_state_of(t);
    int T = st->n_times, K = st->n_bins, nb = st->n_bands, j, k;
    float *work = eegnn_graph_scratch(ctx->g, task);
    float *G = work + st->work_floats + 2 * (size_t)K; /* (K) dL/dP */
    float *a = G + K, *b = a + T;                       /* (T) each */
    float *A = b + T, *Bs = A + 2 * (size_t)K;          /* (K, 2) each */
    float scale = 2.0f / (float)T;
    size_t r, r0, r1;
    eegnn__spectral_rows(st, task, n_tasks, &r0, &r1);
    for (r = r0; r < r1; r++) {
        const float *X = st->spec + 2 * (size_t)K * r;
        float *dx = t->src[0]->grad + (size_t)T * r;
        if (!nb) {
            memcpy(G, t->grad + (size_t)K * r, sizeof(float) * (size_t)K);
        } else {
            memset(G, 0, sizeof(float) * (size_t)K);
            for (j = 0; j < nb; j++) {
                float c = t->grad[(size_t)nb * r + j] /
                          (st->level[(size_t)nb * r + j] * (float)(st->bin_hi[j] - st->bin_lo[j]));
                for (k = st->bin_lo[j]; k < st->bin_hi[j]; k++) G[k] += c;
            }
        }
        for (k = 0; k < K; k++) {
            float gk = G[k] * scale;
            a[k] = gk * X[2 * k];
            b[k] = -gk * X[2 * k + 1];
        }
        for (k = K; k < T; k++) a[k] = b[k] = 0.0f;
        eegnn_rfft_execute(st->plan, a, A, work);
        eegnn_rfft_execute(st->plan, b, Bs, work);
        for (k = 0; k < K; k++) dx[k] += A[2 * k] - Bs[2 * k + 1];
        for (k = K; k < T; k++) dx[k] += A[2 * (T - k)] + Bs[2 * (T - k) + 1];
    }
}

static void eegnn__spectral_run(eegnn_graph *g, eegnn_tensor *t, eegnn_task_fn fn) {
    const eegnn__spectral_state *st = eegnn__spectral_state_of(t);
    eegnn__spectral_ctx ctx;
    int n = eegnn_graph_n_threads(g);
    if ((size_t)n > st->rows) n = (int)st->rows;
    if (st->rows * (size_t)st->n_times < 8192) n = 1;
    ctx.g = g;
    ctx.t = t;
    ctx.n_tasks = n;
    eegnn_parallel_for(eegnn_graph_pool(g), n, fn, &ctx);
}

static void eegnn__spectral_fwd(eegnn_graph *g, eegnn_tensor *t) { eegnn__spectral_run(g, t, eegnn__spectral_fwd_task); }

static void eegnn__spectral_bwd(eegnn_graph *g, eegnn_tensor *t) {
    if (t->src[0]->grad) eegnn__spectral_run(g, t, eegnn__spectral_bwd_task);
}

/* Builds the node for x (..., T) with last dimension n_last; bins/bands are
 * filled by the caller afterwards (before forward). */
static eegnn_tensor *eegnn__spectral_node(eegnn_graph *g, eegnn_op kind, eegnn_tensor *x, int n_last,
                                          int n_bands) {
    eegnn_tensor *t;
    eegnn__spectral_state *st;
    int shape[EEGNN_MAX_DIMS], i, T = x->shape[x->ndim - 1], K = T / 2 + 1;
    for (i = 0; i < x->ndim; i++) shape[i] = x->shape[i];
    shape[x->ndim - 1] = n_last;
    t = eegnn_graph_new_op(g, kind, x->ndim, shape, &x, 1);
    if (!t) return NULL;
    st = (eegnn__spectral_state *)eegnn_graph_alloc(g, sizeof *st);
    if (!st) return NULL;
    st->plan = eegnn__rfft_plan_graph(g, T);
    if (!st->plan) return NULL;
    st->n_times = T;
    st->n_bins = K;
    st->rows = x->numel / (size_t)T;
    st->n_bands = n_bands;
    st->work_floats = eegnn_rfft_work_size(st->plan);
    if (t->grad) {
        st->spec = (float *)eegnn_graph_alloc(g, sizeof(float) * 2 * (size_t)K * st->rows);
        if (!st->spec) return NULL;
        if (n_bands) {
            st->level = (float *)eegnn_graph_alloc(g, sizeof(float) * (size_t)n_bands * st->rows);
            if (!st->level) return NULL;
        }
    }
    t->iaux = (int32_t *)(void *)st;
    t->iaux_len = sizeof *st / sizeof(int32_t);
    t->forward = eegnn__spectral_fwd;
    t->backward = eegnn__spectral_bwd;
    /* per task: rfft work, one spectrum, G, a, b, A, B */
    eegnn_graph_reserve_scratch(g, st->work_floats + 2 * (size_t)K + (size_t)K + 2 * (size_t)T + 4 * (size_t)K);
    return t;
}

EEGNN_API eegnn_tensor *eegnn_rfft_power(eegnn_graph *g, eegnn_tensor *x) {
    if (!g || !x) return NULL;
    if (x->ndim < 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "rfft_power: input %s needs a last (time) dimension", eegnn__shp(x));
        return NULL;
    }
    return eegnn__spectral_node(g, EEGNN_OP_RFFT_POWER, x, x->shape[x->ndim - 1] / 2 + 1, 0);
}

EEGNN_API eegnn_tensor *eegnn_band_power(eegnn_graph *g, eegnn_tensor *x, float sfreq, const float *bands,
                                         int n_bands, float eps) {
    static const float eeg_bands[2 * EEGNN_N_EEG_BANDS] = EEGNN_EEG_BANDS;
    int lo[EEGNN__MAX_BANDS], hi[EEGNN__MAX_BANDS], j, k, T, K;
    eegnn_tensor *t;
    eegnn__spectral_state *st;
    if (!g || !x) return NULL;
    if (!bands) {
        if (n_bands != 0 && n_bands != EEGNN_N_EEG_BANDS) {
            eegnn_set_error(EEGNN_ERR_ARG, "band_power: bands is NULL (the %d EEG bands) but n_bands is %d",
                            EEGNN_N_EEG_BANDS, n_bands);
            return NULL;
        }
        bands = eeg_bands;
        n_bands = EEGNN_N_EEG_BANDS;
    }
    if (x->ndim < 1 || !(sfreq > 0.0f) || sfreq > 1e30f || !(eps >= 0.0f) || n_bands < 1 ||
        n_bands > EEGNN__MAX_BANDS) {
        eegnn_set_error(EEGNN_ERR_ARG,
                        "band_power: input %s, sfreq %g Hz, eps %g, %d bands (expected (..., n_times), sfreq > 0, "
                        "eps >= 0, 1 to %d bands)",
                        eegnn__shp(x), (double)sfreq, (double)eps, n_bands, EEGNN__MAX_BANDS);
        return NULL;
    }
    T = x->shape[x->ndim - 1];
    K = T / 2 + 1;
    for (j = 0; j < n_bands; j++) {
        double flo = bands[2 * j], fhi = bands[2 * j + 1];
        if (!(flo < fhi)) {
            eegnn_set_error(EEGNN_ERR_ARG, "band_power: band %d is [%g, %g) Hz: lo must be below hi", j, flo, fhi);
            return NULL;
        }
        lo[j] = K;
        hi[j] = K;
        for (k = K - 1; k >= 0; k--) {
            double f = (double)k * (double)sfreq / (double)T;
            if (f >= flo) lo[j] = k;
            if (f >= fhi) hi[j] = k;
        }
        if (hi[j] <= lo[j]) {
            eegnn_set_error(EEGNN_ERR_ARG,
                            "band_power: band %d [%g, %g) Hz holds no frequency bin at sfreq %g Hz and n_times %d "
                            "(bins every %g Hz up to %g Hz)",
                            j, flo, fhi, (double)sfreq, T, (double)sfreq / T, (double)(K - 1) * sfreq / T);
            return NULL;
        }
    }
    t = eegnn__spectral_node(g, EEGNN_OP_BAND_POWER, x, n_bands, n_bands);
    if (!t) return NULL;
    st = eegnn__spectral_state_of(t);
    for (j = 0; j < n_bands; j++) {
        st->bin_lo[j] = lo[j];
        st->bin_hi[j] = hi[j];
    }
    st->eps = eps > 0.0f ? eps : 1e-20f;
    return t;
}
