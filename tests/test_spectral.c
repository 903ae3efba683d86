/* Real FFT, rfft power, band power and BandPowerMLP against NumPy and
 * PyTorch (tests/ref_spectral.py): numpy.fft.rfft (float64) and
 * torch.fft.rfft (float32) for 92 lengths (1..64, primes up to 10007,
 * 2/3/5-smooth and 7/11/13 mixes, 129*k and other composites with a
 * prime factor above 13), the ops' outputs and input
 * gradients against torch autograd through torch.fft.rfft, central finite
 * differences of both ops, 1- vs 2-thread determinism, error reporting, and
 * the BandPowerMLP model against its PyTorch twin (train and eval mode,
 * every parameter gradient, running statistics).
 *
 * The default build tests the built-in FFT. To test the FFTW backend, build
 * and run it once more with FFTW (libfftw3-dev):
 *   cc -std=c99 -Wall -Wextra -Werror -O2 -Itests -DEEGNN_USE_FFTW \
 *      tests/test_spectral.c -o build/test_spectral_fftw -lfftw3f -lm -lpthread
 *   build/test_spectral_fftw            (prints "FFT backend: fftw3") */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

static float *load(const char *name, size_t want, size_t *numel_out) {
    char rel[256];
    int ndim;
    int64_t shape[EEGNN_NPY_MAX_DIMS];
    size_t numel;
    float *a;
    snprintf(rel, sizeof rel, "spectral/%s", name);
    a = eegnn_npy_read(test_out_path(rel), &ndim, shape, &numel);
    if (!a) {
        printf("cannot read %s: %s (run tests/ref_spectral.py first)\n", rel, eegnn_last_error());
        return NULL;
    }
    if (want && numel != want) {
        printf("%s: %zu values, expected %zu\n", rel, numel, want);
        eegnn_free(a);
        return NULL;
    }
    if (numel_out) *numel_out = numel;
    return a;
}

static eegnn_graph *new_graph(int n_threads) {
    eegnn_graph_config gc;
    memset(&gc, 0, sizeof gc);
    gc.arena_bytes = (size_t)64 << 20;
    gc.n_threads = n_threads;
    gc.seed = 3;
    return eegnn_graph_create(&gc);
}

/* loss = sum(w * y) built from public ops: mul, reshape to (1, N), linear with a ones row. */
static eegnn_tensor *weighted_sum(eegnn_graph *g, eegnn_tensor *y, eegnn_tensor **w_out) {
    int ws[EEGNN_MAX_DIMS], flat[2], i, n;
    eegnn_tensor *w, *ones, *p;
    if (!y) return NULL;
    for (i = 0; i < y->ndim; i++) ws[i] = y->shape[i];
    w = eegnn_input(g, "w", y->ndim, ws);
    n = (int)y->numel;
    flat[0] = 1;
    flat[1] = n;
    ones = eegnn_input(g, "ones", 2, flat);
    if (!w || !ones) return NULL;
    for (i = 0; i < n; i++) ones->data[i] = 1.0f;
    p = eegnn_reshape(g, eegnn_mul(g, y, w), 2, flat);
    *w_out = w;
    return eegnn_linear(g, p, ones, NULL);
}

/* ---- FFT ---------------------------------------------------------------- */

static void test_fft(void) {
    size_t n_len, n_x, n_bins, i, xo = 0, bo = 0;
    float *lengths = load("fft_lengths.npy", 0, &n_len);
    float *x = load("fft_x.npy", 0, &n_x), *xn = load("fft_numpy.npy", 0, &n_bins);
    float *xt = load("fft_torch.npy", n_bins, NULL);
    double worst_np = 0.0, worst_t = 0.0;
    int worst_np_n = 0, worst_t_n = 0, n_checked = 0;
    if (!lengths || !x || !xn || !xt) {
        CHECK(0, "FFT reference files");
        goto done;
    }
    for (i = 0; i < n_len; i++) {
        int n = (int)lengths[i], k;
        size_t nb = (size_t)(n / 2 + 1);
        eegnn_rfft_plan *plan = eegnn_rfft_plan_create(n);
        float *out = (float *)malloc(sizeof(float) * 2 * nb), *out2 = (float *)malloc(sizeof(float) * 2 * nb);
        float *work = (float *)malloc(sizeof(float) * (eegnn_rfft_work_size(plan) + 1));
        double e_np, e_t;
        CHECK(plan != NULL, "rfft plan of %d points: %s", n, eegnn_last_error());
        if (!plan || !out || !out2 || !work || xo + (size_t)n > n_x || 2 * (bo + nb) > n_bins) {
            CHECK(0, "rfft %d: setup", n);
            eegnn_rfft_plan_free(plan);
            free(out);
            free(out2);
            free(work);
            break;
        }
        CHECK(eegnn_rfft_plan_length(plan) == n, "plan length %d", n);
        for (k = 0; k < (int)(2 * nb); k++) out[k] = out2[k] = -12345.0f;
        eegnn_rfft_execute(plan, x + xo, out, work);
        e_np = test_max_rel_err(out, xn + 2 * bo, 2 * nb);
        e_t = test_max_rel_err(out, xt + 2 * bo, 2 * nb);
        CHECK(e_np < 2e-6, "rfft n=%d differs from numpy.fft.rfft by %.3g (relative to the largest bin)", n, e_np);
        CHECK(e_t < 3e-6, "rfft n=%d differs from torch.fft.rfft by %.3g", n, e_t);
        if (e_np > worst_np) {
            worst_np = e_np;
            worst_np_n = n;
        }
        if (e_t > worst_t) {
            worst_t = e_t;
            worst_t_n = n;
        }
        /* the plan's own scratch and the one-shot call give the same bits */
        eegnn_rfft_execute(plan, x + xo, out2, NULL);
        CHECK(!memcmp(out, out2, sizeof(float) * 2 * nb), "rfft n=%d: work NULL differs", n);
        CHECK(eegnn_rfft(n, x + xo, out2) == EEGNN_OK && !memcmp(out, out2, sizeof(float) * 2 * nb),
              "eegnn_rfft n=%d differs from the plan", n);
        n_checked++;
        eegnn_rfft_plan_free(plan);
        free(out);
        free(out2);
        free(work);
        xo += (size_t)n;
        bo += nb;
    }
    CHECK(n_checked == (int)n_len && n_checked >= 92, "%d of %zu lengths checked", n_checked, n_len);
    printf("FFT backend: %s; %d lengths; worst rel err vs numpy %.2e (n=%d), vs torch %.2e (n=%d)\n",
           eegnn_fft_backend(), n_checked, worst_np, worst_np_n, worst_t, worst_t_n);

    /* errors */
    {
        float a[4] = {0, 0, 0, 0}, o[6];
        eegnn_clear_error();
        CHECK(eegnn_rfft_plan_create(0) == NULL && strstr(eegnn_last_error(), "length 0"),
              "plan of 0 points is refused: '%s'", eegnn_last_error());
        CHECK(eegnn_rfft(-5, a, o) == EEGNN_ERR_ARG, "eegnn_rfft(-5) returns EEGNN_ERR_ARG");
        CHECK(eegnn_rfft(4, NULL, o) == EEGNN_ERR_ARG, "eegnn_rfft(x NULL) returns EEGNN_ERR_ARG");
    }
done:
    eegnn_free(lengths);
    eegnn_free(x);
    eegnn_free(xn);
    eegnn_free(xt);
}

/* sum(w * y) in double, for finite differences. */
static double dsum(const eegnn_tensor *y, const eegnn_tensor *w) {
    double s = 0.0;
    size_t i;
    for (i = 0; i < y->numel; i++) s += (double)y->data[i] * w->data[i];
    return s;
}

/* Central differences of sum(w * y), y = op(x), at n_probe entries of x. */
static double finite_diff_err(eegnn_graph *g, eegnn_tensor *x, eegnn_tensor *y, eegnn_tensor *w,
                              const float *grad, float h, int n_probe) {
    double max_g = 0.0, max_e = 0.0;
    size_t i;
    int p;
    for (i = 0; i < x->numel; i++)
        if (fabs(grad[i]) > max_g) max_g = fabs(grad[i]);
    for (p = 0; p < n_probe; p++) {
        size_t j = ((size_t)p * 7919u + 13u) % x->numel;
        float x0 = x->data[j];
        double lp, lm, fd;
        x->data[j] = x0 + h;
        eegnn_graph_forward(g);
        lp = dsum(y, w);
        x->data[j] = x0 - h;
        eegnn_graph_forward(g);
        lm = dsum(y, w);
        x->data[j] = x0;
        fd = (lp - lm) / (2.0 * (double)h);
        if (fabs(fd - grad[j]) > max_e) max_e = fabs(fd - grad[j]);
    }
    eegnn_graph_forward(g);
    return max_g > 0.0 ? max_e / max_g : max_e;
}

/* ---- rfft_power ------------------------------------------------------------ */

static void test_rfft_power(void) {
    int xs[3] = {3, 4, 77};
    size_t nx = 3 * 4 * 77, ny = 3 * 4 * 39;
    float *x = load("power_x.npy", nx, NULL), *w = load("power_w.npy", ny, NULL);
    float *y = load("power_y.npy", ny, NULL), *gr = load("power_grad.npy", nx, NULL);
    eegnn_graph *g = new_graph(2);
    eegnn_tensor *xp = eegnn_param(g, "x", 3, xs), *wt = NULL, *p = eegnn_rfft_power(g, xp);
    eegnn_tensor *loss = weighted_sum(g, p, &wt);
    float *grad_copy = (float *)malloc(sizeof(float) * nx);
    double e;
    CHECK(loss != NULL, "rfft_power graph: %s", eegnn_last_error());
    if (!x || !w || !y || !gr || !loss || !grad_copy) goto done;
    CHECK(p->ndim == 3 && p->shape[2] == 39, "rfft_power output (3, 4, 39)");
    memcpy(xp->data, x, sizeof(float) * nx);
    memcpy(wt->data, w, sizeof(float) * ny);
    eegnn_graph_forward(g);
    eegnn_graph_zero_grad(g);
    CHECK(eegnn_graph_backward(g, loss) == EEGNN_OK, "rfft_power backward: %s", eegnn_last_error());
    e = test_max_rel_err(p->data, y, ny);
    CHECK(e < 2e-6, "rfft_power forward differs from torch by %.3g", e);
    printf("rfft_power T=77: forward rel err %.2e", e);
    e = test_max_rel_err(xp->grad, gr, nx);
    CHECK(e < 1e-5, "rfft_power gradient differs from torch autograd by %.3g", e);
    printf(", gradient %.2e", e);
    memcpy(grad_copy, xp->grad, sizeof(float) * nx);
    e = finite_diff_err(g, xp, p, wt, grad_copy, 1e-2f, 40);
    CHECK(e < 5e-3, "rfft_power gradient vs central differences: %.3g", e);
    printf(", finite differences %.2e\n", e);
done:
    free(grad_copy);
    eegnn_graph_free(g);
    eegnn_free(x);
    eegnn_free(w);
    eegnn_free(y);
    eegnn_free(gr);
}

/* ---- band_power -------------------------------------------------------------- */

static void test_band_power(const char *tag, int b, int c, int t, float fd_h) {
    char name[64];
    int xs[3];
    size_t nx = (size_t)b * c * t, ncfg, ny, i;
    float *x, *w, *y, *gr, *cfg, *grad_copy = NULL;
    eegnn_graph *g = new_graph(2);
    eegnn_tensor *xp, *bp, *wt = NULL, *loss;
    int n_bands;
    double e, max_abs = 0.0;
    snprintf(name, sizeof name, "band%s_cfg.npy", tag);
    cfg = load(name, 0, &ncfg);
    snprintf(name, sizeof name, "band%s_x.npy", tag);
    x = load(name, nx, NULL);
    snprintf(name, sizeof name, "band%s_grad.npy", tag);
    gr = load(name, nx, NULL);
    n_bands = cfg ? (int)(ncfg - 2) / 2 : 0;
    ny = (size_t)b * c * n_bands;
    snprintf(name, sizeof name, "band%s_w.npy", tag);
    w = load(name, ny, NULL);
    snprintf(name, sizeof name, "band%s_y.npy", tag);
    y = load(name, ny, NULL);
    if (!cfg || !x || !gr || !w || !y) {
        CHECK(0, "band %s: reference files", tag);
        goto done;
    }
    xs[0] = b;
    xs[1] = c;
    xs[2] = t;
    xp = eegnn_param(g, "x", 3, xs);
    /* eps 1e-20 is the documented default: pass 0 to use it */
    bp = eegnn_band_power(g, xp, cfg[0], cfg + 2, n_bands, cfg[1] == 1e-20f ? 0.0f : cfg[1]);
    loss = weighted_sum(g, bp, &wt);
    CHECK(loss != NULL, "band %s graph: %s", tag, eegnn_last_error());
    if (!loss) goto done;
    CHECK(bp->shape[0] == b && bp->shape[1] == c && bp->shape[2] == n_bands, "band %s: output shape", tag);
    memcpy(xp->data, x, sizeof(float) * nx);
    memcpy(wt->data, w, sizeof(float) * ny);
    eegnn_graph_forward(g);
    eegnn_graph_zero_grad(g);
    CHECK(eegnn_graph_backward(g, loss) == EEGNN_OK, "band %s backward: %s", tag, eegnn_last_error());
    for (i = 0; i < ny; i++)
        if (fabs((double)bp->data[i] - y[i]) > max_abs) max_abs = fabs((double)bp->data[i] - y[i]);
    CHECK(max_abs < 2e-5, "band %s: log band power differs from torch by %.3g (absolute, natural log)", tag,
          max_abs);
    e = test_max_rel_err(xp->grad, gr, nx);
    CHECK(e < 1e-4, "band %s: gradient differs from torch autograd by %.3g", tag, e);
    printf("band_power %s (%d, %d, %d), sfreq %g, %d bands: forward abs err %.2e, gradient rel err %.2e", tag, b, c,
           t, (double)cfg[0], n_bands, max_abs, e);
    grad_copy = (float *)malloc(sizeof(float) * nx);
    if (grad_copy) {
        memcpy(grad_copy, xp->grad, sizeof(float) * nx);
        e = finite_diff_err(g, xp, bp, wt, grad_copy, fd_h, 40);
        CHECK(e < 5e-3, "band %s: gradient vs central differences: %.3g", tag, e);
        printf(", finite differences %.2e", e);
    }
    printf("\n");
done:
    free(grad_copy);
    eegnn_graph_free(g);
    eegnn_free(cfg);
    eegnn_free(x);
    eegnn_free(w);
    eegnn_free(y);
    eegnn_free(gr);
}

/* 1 and 2 threads give the same bits (rows are split statically). */
static void test_threads(void) {
    int xs[3] = {16, 8, 200}, nt, i;
    float *out[2] = {NULL, NULL}, *grad[2] = {NULL, NULL};
    size_t nx = 16 * 8 * 200, ny = 16 * 8 * 5;
    eegnn_rng rng;
    for (nt = 1; nt <= 2; nt++) {
        eegnn_graph *g = new_graph(nt);
        eegnn_tensor *xp = eegnn_param(g, "x", 3, xs), *wt = NULL;
        eegnn_tensor *bp = eegnn_band_power(g, xp, 100.0f, NULL, 0, 1e-6f), *loss = weighted_sum(g, bp, &wt);
        CHECK(loss != NULL, "threads %d: %s", nt, eegnn_last_error());
        if (!loss) {
            eegnn_graph_free(g);
            continue;
        }
        eegnn_rng_seed(&rng, 42);
        for (i = 0; i < (int)nx; i++) xp->data[i] = eegnn_rng_normal(&rng);
        for (i = 0; i < (int)ny; i++) wt->data[i] = eegnn_rng_normal(&rng);
        eegnn_graph_forward(g);
        eegnn_graph_zero_grad(g);
        eegnn_graph_backward(g, loss);
        out[nt - 1] = (float *)malloc(sizeof(float) * ny);
        grad[nt - 1] = (float *)malloc(sizeof(float) * nx);
        if (out[nt - 1]) memcpy(out[nt - 1], bp->data, sizeof(float) * ny);
        if (grad[nt - 1]) memcpy(grad[nt - 1], xp->grad, sizeof(float) * nx);
        eegnn_graph_free(g);
    }
    CHECK(out[0] && out[1] && !memcmp(out[0], out[1], sizeof(float) * ny), "band_power: 1 vs 2 threads output");
    CHECK(grad[0] && grad[1] && !memcmp(grad[0], grad[1], sizeof(float) * nx),
          "band_power: 1 vs 2 threads gradient");
    for (i = 0; i < 2; i++) {
        free(out[i]);
        free(grad[i]);
    }
}

static void test_errors(void) {
    int xs[3] = {2, 3, 200};
    float narrow[2] = {0.1f, 0.2f}, reversed[2] = {8.0f, 4.0f};
    eegnn_graph *g = new_graph(1);
    eegnn_tensor *x = eegnn_input(g, "x", 3, xs);
    eegnn_model_config mc;
    CHECK(eegnn_band_power(g, x, 100.0f, narrow, 1, 0.0f) == NULL && strstr(eegnn_last_error(), "no frequency bin"),
          "band without bins is refused: '%s'", eegnn_last_error());
    CHECK(eegnn_band_power(g, x, 100.0f, reversed, 1, 0.0f) == NULL && strstr(eegnn_last_error(), "lo must be"),
          "band with lo >= hi is refused: '%s'", eegnn_last_error());
    CHECK(eegnn_band_power(g, x, 0.0f, NULL, 0, 0.0f) == NULL, "sfreq 0 is refused");
    CHECK(eegnn_band_power(g, x, 100.0f, NULL, 3, 0.0f) == NULL, "bands NULL with n_bands 3 is refused");
    CHECK(eegnn_band_power(g, x, 100.0f, NULL, 0, -1.0f) == NULL, "negative eps is refused");
    CHECK(eegnn_band_power(g, NULL, 100.0f, NULL, 0, 0.0f) == NULL, "NULL input gives NULL");
    mc = eegnn_model_config_default();
    CHECK(eegnn_model_build(g, "BandPowerMLP", x, &mc) == NULL && strstr(eegnn_last_error(), "sfreq"),
          "BandPowerMLP without sfreq is refused: '%s'", eegnn_last_error());
    mc.sfreq = 100.0f;
    CHECK(eegnn_model_build(g, "bandpower", x, &mc) != NULL, "BandPowerMLP by its alias: %s", eegnn_last_error());
    eegnn_graph_free(g);
}

/* ---- BandPowerMLP ------------------------------------------------------------ */

static void test_model(void) {
    enum { B = 8, C = 12, T = 200, N_OUT = 3 };
    int xs[3] = {B, C, T}, ys[2] = {B, N_OUT}, i, n_params = 0;
    float *x = load("bpm_x.npy", B * C * T, NULL), *y = load("bpm_y.npy", B * N_OUT, NULL), *want;
    float *count = load("bpm_param_count_129.npy", 1, NULL);
    eegnn_graph *g = new_graph(2);
    eegnn_tensor *xt = eegnn_input(g, "x", 3, xs), *yt = eegnn_input(g, "y", 2, ys), *out, *loss;
    eegnn_model_config mc;
    char name[160];
    double e;
    mc = eegnn_model_config_default();
    mc.sfreq = 100.0f;
    mc.hidden = 32;
    mc.n_outputs = N_OUT;
    mc.drop_prob = 0.0f;
    out = eegnn_model_build(g, "BandPowerMLP", xt, &mc);
    loss = eegnn_mse_loss(g, out, yt);
    CHECK(loss != NULL, "BandPowerMLP build: %s", eegnn_last_error());
    if (!x || !y || !loss) goto done;
    for (i = 0; i < eegnn_graph_n_nodes(g); i++) {
        eegnn_tensor *t = eegnn_graph_node(g, i);
        float *v;
        if (!(t->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_BUFFER))) continue;
        snprintf(name, sizeof name, "bpm_sd__%s.npy", t->name);
        v = load(name, t->numel, NULL);
        CHECK(v != NULL, "BandPowerMLP: PyTorch twin has %s with %zu values", t->name, t->numel);
        if (v) memcpy(t->data, v, sizeof(float) * t->numel);
        eegnn_free(v);
        n_params += (t->flags & EEGNN_TENSOR_PARAM) != 0;
    }
    CHECK(n_params == 6, "BandPowerMLP has 6 parameter tensors (%d)", n_params);
    memcpy(xt->data, x, sizeof(float) * B * C * T);
    memcpy(yt->data, y, sizeof(float) * B * N_OUT);

    eegnn_graph_set_training(g, 1);
    eegnn_graph_forward(g);
    eegnn_graph_zero_grad(g);
    CHECK(eegnn_graph_backward(g, loss) == EEGNN_OK, "BandPowerMLP backward: %s", eegnn_last_error());
    want = load("bpm_out_train.npy", B * N_OUT, NULL);
    e = want ? test_max_rel_err(out->data, want, B * N_OUT) : 1.0;
    CHECK(e < 1e-4, "BandPowerMLP train output differs from PyTorch by %.3g", e);
    printf("BandPowerMLP train output rel err %.2e\n", e);
    eegnn_free(want);
    for (i = 0; i < eegnn_graph_n_nodes(g); i++) {
        eegnn_tensor *t = eegnn_graph_node(g, i);
        if (t->flags & EEGNN_TENSOR_PARAM) {
            snprintf(name, sizeof name, "bpm_grad__%s.npy", t->name);
            want = load(name, t->numel, NULL);
            e = want ? test_max_rel_err(t->grad, want, t->numel) : 1.0;
            CHECK(e < 1e-4, "BandPowerMLP gradient of %s differs from PyTorch by %.3g", t->name, e);
            printf("BandPowerMLP grad %-20s rel err %.2e\n", t->name, e);
            eegnn_free(want);
        } else if (t->flags & EEGNN_TENSOR_BUFFER) {
            snprintf(name, sizeof name, "bpm_after__%s.npy", t->name);
            want = load(name, t->numel, NULL);
            e = want ? test_max_rel_err(t->data, want, t->numel) : 1.0;
            CHECK(e < 1e-4, "BandPowerMLP %s after a train step differs from PyTorch by %.3g", t->name, e);
            eegnn_free(want);
        }
    }
    eegnn_graph_set_training(g, 0);
    eegnn_graph_forward_to(g, out);
    want = load("bpm_out_eval.npy", B * N_OUT, NULL);
    e = want ? test_max_rel_err(out->data, want, B * N_OUT) : 1.0;
    CHECK(e < 1e-4, "BandPowerMLP eval output differs from PyTorch by %.3g", e);
    printf("BandPowerMLP eval output rel err %.2e\n", e);
    eegnn_free(want);

    /* parameter count at the challenge's shape, default hidden 64 */
    {
        eegnn_graph *g2 = new_graph(1);
        int xs2[3] = {2, 129, 200};
        eegnn_tensor *x2 = eegnn_input(g2, "x", 3, xs2);
        mc = eegnn_model_config_default();
        mc.sfreq = 100.0f;
        CHECK(eegnn_model_bandpower_mlp(g2, x2, &mc) != NULL, "BandPowerMLP at 129 x 200: %s", eegnn_last_error());
        CHECK(count && (double)eegnn_graph_n_param_scalars(g2) == (double)count[0],
              "BandPowerMLP at 129 x 200: %zu parameters, PyTorch twin %.0f", eegnn_graph_n_param_scalars(g2),
              count ? (double)count[0] : -1.0);
        printf("BandPowerMLP parameters at 129 x 200: %zu\n", eegnn_graph_n_param_scalars(g2));
        eegnn_graph_free(g2);
    }
done:
    eegnn_graph_free(g);
    eegnn_free(x);
    eegnn_free(y);
    eegnn_free(count);
}

/* Timing of the challenge-shaped band power (64, 129, 200), for information. */
static void bench(void) {
    int xs[3] = {64, 129, 200}, i, reps = 5;
    eegnn_graph *g = new_graph(0);
    eegnn_tensor *xp = eegnn_param(g, "x", 3, xs), *wt = NULL;
    eegnn_tensor *loss = weighted_sum(g, eegnn_band_power(g, xp, 100.0f, NULL, 0, 0.0f), &wt);
    eegnn_rng rng;
    double t0, t1, t2;
    if (!loss) {
        CHECK(0, "bench graph: %s", eegnn_last_error());
        eegnn_graph_free(g);
        return;
    }
    eegnn_rng_seed(&rng, 1);
    for (i = 0; i < (int)xp->numel; i++) xp->data[i] = eegnn_rng_normal(&rng);
    for (i = 0; i < (int)wt->numel; i++) wt->data[i] = 1.0f;
    eegnn_graph_forward(g);
    t0 = eegnn_time_seconds();
    for (i = 0; i < reps; i++) eegnn_graph_forward(g);
    t1 = eegnn_time_seconds();
    for (i = 0; i < reps; i++) eegnn_graph_backward(g, loss);
    t2 = eegnn_time_seconds();
    printf("band_power (64, 129, 200), %d threads: forward %.2f ms, backward %.2f ms\n", eegnn_graph_n_threads(g),
           1e3 * (t1 - t0) / reps, 1e3 * (t2 - t1) / reps);
    eegnn_graph_free(g);
}

int main(void) {
    test_fft();
    test_rfft_power();
    test_band_power("A", 4, 5, 200, 1e-7f);
    test_band_power("B", 3, 2, 129, 1e-2f);
    test_threads();
    test_errors();
    test_model();
    bench();
    eegnn_fft_cleanup();
    return test_summary("test_spectral");
}
