/* braindecode's CNN models (EEGNeX, EEGNetv4, ShallowFBCSPNet, Deep4Net,
 * BDTCN) against PyTorch ports of braindecode's code (tests/ref_braindecode.py):
 * state_dict keys and shapes, eval-mode and train-mode outputs, every
 * parameter gradient, BatchNorm running statistics after a train-mode
 * forward, dropout placement, and the trainable-parameter counts that
 * braindecode itself gives at 129 channels x 200 samples (REFERENCE.md). */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

#define B 4
#define C 129
#define T 200
#define TOL 1e-4

typedef eegnn_tensor *(*model_fn)(eegnn_graph *, eegnn_tensor *, const eegnn_model_config *);

typedef struct {
    const char *tag;      /* file prefix written by ref_braindecode.py */
    const char *zoo_name; /* braindecode class name in the model zoo */
    model_fn build;
    size_t braindecode_params; /* REFERENCE.md: braindecode at eb3ddee, 129 x 200, n_outputs 1 */
    int n_dropout;             /* dropout modules in braindecode's forward */
} model_case;

static const model_case cases[5] = {
    {"eegnex", "EEGNeX", eegnn_model_eegnex, 62353, 2},
    {"eegnet", "EEGNetv4", eegnn_model_eegnet, 3265, 2},
    {"shallow", "ShallowFBCSPNet", eegnn_model_shallow_fbcsp, 207801, 1},
    {"deep4", "Deep4Net", eegnn_model_deep4, 223051, 3},
    {"bdtcn", "BDTCN", eegnn_model_bdtcn, 46141, 6},
};

static float *load(const char *rel, size_t want, int *ndim, int64_t *shape) {
    int nd;
    int64_t sh[EEGNN_NPY_MAX_DIMS];
    size_t numel;
    float *a = eegnn_npy_read(test_out_path(rel), &nd, sh, &numel);
    if (!a) {
        printf("cannot read %s: %s\n", rel, eegnn_last_error());
        return NULL;
    }
    if (want && numel != want) {
        printf("%s: %zu values, expected %zu\n", rel, numel, want);
        eegnn_free(a);
        return NULL;
    }
    if (ndim) *ndim = nd;
    if (shape) memcpy(shape, sh, sizeof sh);
    return a;
}

typedef struct {
    eegnn_graph *g;
    eegnn_tensor *x, *y, *out, *loss;
} model_graph;

static int build(model_graph *m, const model_case *mc, int batch, int n_outputs, float drop_prob) {
    eegnn_graph_config gc;
    eegnn_model_config cfg;
    int xs[3], ys[2];
    memset(&gc, 0, sizeof gc);
    gc.arena_bytes = (size_t)640 << 20;
    gc.n_threads = 2;
    gc.seed = 1;
    cfg = eegnn_model_config_default();
    cfg.n_outputs = n_outputs;
    cfg.sfreq = 100.0f;
    cfg.drop_prob = drop_prob;
    xs[0] = batch;
    xs[1] = C;
    xs[2] = T;
    ys[0] = batch;
    ys[1] = n_outputs;
    memset(m, 0, sizeof *m);
    m->g = eegnn_graph_create(&gc);
    if (!m->g) return 0;
    m->x = eegnn_input(m->g, "x", 3, xs);
    m->y = eegnn_input(m->g, "y", 2, ys);
    m->out = eegnn_model_build(m->g, mc->zoo_name, m->x, &cfg);
    m->loss = eegnn_mse_loss(m->g, m->out, m->y);
    if (!m->loss) {
        printf("%s: %s\n", mc->tag, eegnn_last_error());
        return 0;
    }
    return 1;
}

/* Loads every state_dict tensor listed in <tag>_keys.txt into the graph,
 * checking that the key exists with the same shape, and that the graph has
 * no parameter or buffer the list lacks. Returns the number of keys. */
static int load_state(model_graph *m, const char *tag) {
    char rel[512], line[256];
    FILE *f;
    int n_keys = 0, n_graph = 0, i;
    snprintf(rel, sizeof rel, "braindecode/%s_keys.txt", tag);
    f = fopen(test_out_path(rel), "r");
    CHECK(f != NULL, "%s: cannot open %s", tag, rel);
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        eegnn_tensor *t;
        float *a;
        int ndim, d, same;
        int64_t shape[EEGNN_NPY_MAX_DIMS];
        line[strcspn(line, "\r\n")] = 0;
        if (!*line) continue;
        n_keys++;
        t = eegnn_graph_find(m->g, line);
        CHECK(t != NULL && (t->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_BUFFER)), "%s: no tensor '%s'", tag, line);
        if (!t) continue;
        snprintf(rel, sizeof rel, "braindecode/%s_sd__%s.npy", tag, line);
        a = load(rel, 0, &ndim, shape);
        if (!a) {
            CHECK(0, "%s: cannot read %s", tag, rel);
            continue;
        }
        same = ndim == t->ndim;
        for (d = 0; same && d < ndim; d++) same = shape[d] == t->shape[d];
        CHECK(same, "%s: '%s' shape differs from PyTorch's", tag, line);
        if (same) eegnn_tensor_set(t, a, t->numel);
        eegnn_free(a);
    }
    fclose(f);
    for (i = 0; i < eegnn_graph_n_nodes(m->g); i++)
        if (eegnn_graph_node(m->g, i)->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_BUFFER)) n_graph++;
    CHECK(n_graph == n_keys, "%s: %d parameters and buffers in eegnn, %d state_dict keys in PyTorch", tag, n_graph,
          n_keys);
    return n_keys;
}

/* Largest |value| of the reference file for `what` (0 when unreadable). */
static double ref_max_abs(const char *tag, const char *what, size_t n) {
    char rel[512];
    float *want;
    double mx = 0.0;
    size_t i;
    snprintf(rel, sizeof rel, "braindecode/%s_%s.npy", tag, what);
    want = load(rel, n, NULL, NULL);
    if (!want) return 0.0;
    for (i = 0; i < n; i++)
        if (fabs((double)want[i]) > mx) mx = fabs((double)want[i]);
    eegnn_free(want);
    return mx;
}

/* Max |got - want| relative to max |want|, or to `scale` when max |want| is
 * below 1% of it. The second case is for gradients that cancel: a
 * per-channel shift (bias) or scale right before a BatchNorm in train mode
 * changes nothing, so those gradients are zero (or eps-sized) in exact
 * arithmetic and what both implementations return is float32 rounding of
 * terms of the model's gradient scale. */
static double compare(const char *tag, const char *what, const float *got, size_t n, double scale) {
    char rel[512];
    float *want;
    double err, mx = 0.0, diff = 0.0;
    size_t i;
    snprintf(rel, sizeof rel, "braindecode/%s_%s.npy", tag, what);
    want = load(rel, n, NULL, NULL);
    if (!want) {
        CHECK(0, "%s: cannot read %s", tag, rel);
        return 1.0;
    }
    for (i = 0; i < n; i++) {
        double e = fabs((double)got[i] - (double)want[i]);
        if (fabs((double)want[i]) > mx) mx = fabs((double)want[i]);
        if (!(e <= diff)) diff = e;
    }
    eegnn_free(want);
    if (mx < 0.01 * scale) {
        err = diff / scale;
        printf("%-10s %s: cancelling gradient, max |ref| %.2e, max |diff| %.2e\n", tag, what, mx, diff);
    } else {
        err = mx > 0.0 ? diff / mx : diff;
    }
    CHECK(err < TOL, "%s: %s max relative error %.3g", tag, what, err);
    return err;
}

/* tag: the reference files' prefix; batch: x's first dimension. */
static void run_case(const model_case *mc, int n_outputs, const float *x, int batch, const char *tag) {
    char what[160];
    model_graph m;
    float *y;
    int i;
    double worst_grad = 0.0, grad_scale = 0.0, err_eval, err_train;
    if (!build(&m, mc, batch, n_outputs, 0.0f)) {
        CHECK(0, "%s: cannot build", tag);
        eegnn_graph_free(m.g);
        return;
    }
    load_state(&m, tag);
    eegnn_tensor_set(m.x, x, m.x->numel);
    snprintf(what, sizeof what, "braindecode/%s_y.npy", tag);
    y = load(what, m.y->numel, NULL, NULL);
    if (y) eegnn_tensor_set(m.y, y, m.y->numel);
    eegnn_free(y);

    eegnn_graph_set_training(m.g, 0);
    eegnn_graph_forward_to(m.g, m.out);
    err_eval = compare(tag, "out_eval", m.out->data, m.out->numel, 0.0);

    eegnn_graph_set_training(m.g, 1);
    eegnn_graph_forward(m.g);
    err_train = compare(tag, "out_train", m.out->data, m.out->numel, 0.0);
    eegnn_graph_zero_grad(m.g);
    eegnn_graph_backward(m.g, m.loss);
    for (i = 0; i < eegnn_graph_n_nodes(m.g); i++) {
        eegnn_tensor *t = eegnn_graph_node(m.g, i);
        double mx;
        if (!(t->flags & EEGNN_TENSOR_PARAM)) continue;
        snprintf(what, sizeof what, "grad__%s", t->name);
        mx = ref_max_abs(tag, what, t->numel);
        if (mx > grad_scale) grad_scale = mx;
    }
    for (i = 0; i < eegnn_graph_n_nodes(m.g); i++) {
        eegnn_tensor *t = eegnn_graph_node(m.g, i);
        double e;
        if (t->flags & EEGNN_TENSOR_PARAM) {
            snprintf(what, sizeof what, "grad__%s", t->name);
            e = compare(tag, what, t->grad, t->numel, grad_scale);
        } else if (t->flags & EEGNN_TENSOR_BUFFER) {
            snprintf(what, sizeof what, "after__%s", t->name);
            e = compare(tag, what, t->data, t->numel, 0.0);
        } else {
            continue;
        }
        if (e > worst_grad) worst_grad = e;
    }
    printf("%-10s out eval %.2e, out train %.2e, worst gradient/running stat %.2e\n", tag, err_eval, err_train,
           worst_grad);
    eegnn_graph_free(m.g);
}

/* Parameter counts at the challenge shape and dropout placement. */
static void check_structure(const model_case *mc) {
    model_graph m;
    int i, n_drop = 0;
    if (!build(&m, mc, 1, 1, EEGNN_UNSET)) {
        CHECK(0, "%s: cannot build", mc->tag);
        eegnn_graph_free(m.g);
        return;
    }
    CHECK(eegnn_graph_n_param_scalars(m.g) == mc->braindecode_params, "%s: %zu parameters, braindecode has %zu",
          mc->tag, eegnn_graph_n_param_scalars(m.g), mc->braindecode_params);
    for (i = 0; i < eegnn_graph_n_nodes(m.g); i++) {
        const char *op = eegnn_graph_node(m.g, i)->op;
        if (op && (!strcmp(op, "dropout") || !strcmp(op, "dropout2d"))) n_drop++;
    }
    CHECK(n_drop == mc->n_dropout, "%s: %d dropout nodes, braindecode has %d", mc->tag, n_drop, mc->n_dropout);
    /* eval mode with dropout present is deterministic: two forwards agree */
    {
        float first;
        for (i = 0; i < (int)m.x->numel; i++) m.x->data[i] = (float)sin(0.01 * i);
        eegnn_graph_set_training(m.g, 0);
        eegnn_graph_forward_to(m.g, m.out);
        first = m.out->data[0];
        eegnn_graph_forward_to(m.g, m.out);
        CHECK(first == m.out->data[0] && first == first, "%s: eval-mode output not deterministic", mc->tag);
    }
    eegnn_graph_free(m.g);
}

/* EEGNeX on an input builds its first blocks as one fused node, which keeps
 * no (B, 32, C, T) map: at batch 64 its arena is a fraction of the plain
 * graph's (whose 4 such maps alone are 845 MB). On a tensor that carries a
 * gradient it builds the plain layers. */
static void check_eegnex_stem(void) {
    eegnn_graph_config gc;
    eegnn_graph *g;
    eegnn_tensor *x, *w, *out;
    int xs[3] = {64, C, T}, ws[1] = {1}, i, fused = 0, big = 0;
    memset(&gc, 0, sizeof gc);
    gc.arena_bytes = (size_t)1 << 30;
    gc.n_threads = 1;
    g = eegnn_graph_create(&gc);
    x = eegnn_input(g, "x", 3, xs);
    out = eegnn_model_eegnex(g, x, NULL);
    CHECK(out && eegnn_graph_prepare(g) == EEGNN_OK, "EEGNeX at batch 64: %s", eegnn_last_error());
    for (i = 0; i < eegnn_graph_n_nodes(g); i++) {
        eegnn_tensor *t = eegnn_graph_node(g, i);
        if (!strcmp(t->op, "eegnex_stem")) fused++;
        if (t->numel >= (size_t)64 * 32 * C * T) big++;
    }
    CHECK(fused == 1 && big == 0, "EEGNeX at batch 64: %d fused nodes, %d (B, 32, C, T) maps", fused, big);
    CHECK(eegnn_graph_arena_used(g) < ((size_t)160 << 20), "EEGNeX at batch 64 uses %zu MB of arena",
          eegnn_graph_arena_used(g) >> 20);
    printf("EEGNeX batch 64: arena %zu MB\n", eegnn_graph_arena_used(g) >> 20);
    eegnn_graph_free(g);

    g = eegnn_graph_create(&gc);
    xs[0] = 2;
    x = eegnn_input(g, "x", 3, xs);
    w = eegnn_param(g, "scale", 1, ws);
    out = eegnn_model_eegnex(g, eegnn_mul(g, x, w), NULL);
    fused = 0;
    for (i = 0; out && i < eegnn_graph_n_nodes(g); i++)
        if (!strcmp(eegnn_graph_node(g, i)->op, "eegnex_stem")) fused++;
    CHECK(out && fused == 0, "EEGNeX on a tensor with a gradient: %d fused nodes (%s)", fused,
          out ? "" : eegnn_last_error());
    eegnn_graph_free(g);
}

static void check_errors(void) {
    eegnn_graph_config gc;
    eegnn_graph *g;
    eegnn_tensor *x;
    int xs[3] = {2, 8, 20};
    memset(&gc, 0, sizeof gc);
    gc.arena_bytes = (size_t)16 << 20;
    gc.n_threads = 1;
    g = eegnn_graph_create(&gc);
    x = eegnn_input(g, "x", 3, xs);
    CHECK(eegnn_model_bdtcn(g, x, NULL) == NULL && strstr(eegnn_last_error(), "BDTCN"),
          "BDTCN accepts 20 samples: %s", eegnn_last_error());
    CHECK(eegnn_model_shallow_fbcsp(g, x, NULL) == NULL && strstr(eegnn_last_error(), "ShallowFBCSPNet"),
          "ShallowFBCSPNet accepts 20 samples");
    CHECK(eegnn_model_eegnet(g, x, NULL) == NULL && strstr(eegnn_last_error(), "EEGNetv4"),
          "EEGNetv4 accepts 20 samples");
    CHECK(eegnn_model_eegnex(g, x, NULL) == NULL && strstr(eegnn_last_error(), "EEGNeX"), "EEGNeX accepts 20 samples");
    CHECK(eegnn_model_build(g, "shallow", x, NULL) == NULL && strstr(eegnn_last_error(), "ShallowFBCSPNet"),
          "'shallow' is not ShallowFBCSPNet");
    eegnn_graph_free(g);
}

int main(void) {
    float *x = load("braindecode/x.npy", (size_t)B * C * T, NULL, NULL);
    float *x5 = load("braindecode/x5.npy", (size_t)5 * C * T, NULL, NULL);
    char tag[64];
    int i, k;
    CHECK(x != NULL && x5 != NULL, "reference data missing: run tests/ref_braindecode.py first");
    if (!x || !x5) return test_summary("test_braindecode");
    for (i = 0; i < 5; i++) {
        check_structure(&cases[i]);
        for (k = 1; k <= 4; k += 3) {
            snprintf(tag, sizeof tag, "%s_n%d", cases[i].tag, k);
            run_case(&cases[i], k, x, B, tag);
        }
    }
    /* EEGNeX's first blocks run in chunks of samples (a last, shorter chunk at batch 5) */
    run_case(&cases[0], 1, x5, 5, "eegnex_b5");
    check_eegnex_stem();
    eegnn_free(x5);
    check_errors();
    eegnn_free(x);
    return test_summary("test_braindecode");
}
