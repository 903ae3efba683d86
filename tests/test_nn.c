/* Layers, models and safetensors files against PyTorch (tests/ref_nn.py):
 * outputs in train and eval mode, every parameter gradient, batch norm
 * running statistics, parameter counts, default initialisation, and the
 * safetensors reader/writer on good, truncated and corrupted files. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

#define B 8
#define C 12
#define T 200
#define N_OUT 3
#define MLP_HIDDEN 32

static const char *const model_names[3] = {"cnn", "mlp", "shallow1d"};

static float *load(const char *rel, size_t want) {
    int ndim;
    int64_t shape[EEGNN_NPY_MAX_DIMS];
    size_t numel;
    float *a = eegnn_npy_read(test_out_path(rel), &ndim, shape, &numel);
    if (!a) {
        printf("cannot read %s: %s\n", rel, eegnn_last_error());
        return NULL;
    }
    if (want && numel != want) {
        printf("%s: %zu values, expected %zu\n", rel, numel, want);
        eegnn_free(a);
        return NULL;
    }
    return a;
}

typedef struct {
    eegnn_graph *g;
    eegnn_tensor *x, *y, *out, *loss;
} model_graph;

/* Builds model `name` at (batch, n_chans, n_times); drop_prob as eegnn_model_config. */
static int build(model_graph *m, const char *name, int batch, int n_chans, int n_times, int n_outputs,
                 float drop_prob, uint64_t seed) {
    eegnn_graph_config gc;
    eegnn_model_config mc;
    int xs[3], ys[2];
    memset(&gc, 0, sizeof gc);
    gc.arena_bytes = (size_t)96 << 20;
    gc.n_threads = 2;
    gc.seed = seed;
    mc = eegnn_model_config_default();
    mc.n_outputs = n_outputs;
    mc.sfreq = 100.0f;
    mc.drop_prob = drop_prob;
    if (!strcmp(name, "mlp")) mc.hidden = MLP_HIDDEN;
    xs[0] = batch;
    xs[1] = n_chans;
    xs[2] = n_times;
    ys[0] = batch;
    ys[1] = n_outputs;
    memset(m, 0, sizeof *m);
    m->g = eegnn_graph_create(&gc);
    if (!m->g) return 0;
    m->x = eegnn_input(m->g, "x", 3, xs);
    m->y = eegnn_input(m->g, "y", 2, ys);
    m->out = eegnn_model_build(m->g, name, m->x, &mc);
    m->loss = eegnn_mse_loss(m->g, m->out, m->y);
    if (!m->loss) printf("%s: %s\n", name, eegnn_last_error());
    return m->loss != NULL;
}

static void test_model(int k, const float *x, const float *counts) {
    const char *name = model_names[k];
    char rel[256];
    model_graph m;
    float *y, *want;
    int i, n_checked = 0;
    double e;
    eegnn_status st;
    if (!build(&m, name, B, C, T, N_OUT, 0.0f, 7)) {
        CHECK(0, "%s: build", name);
        eegnn_graph_free(m.g);
        return;
    }
    CHECK((double)eegnn_graph_n_param_scalars(m.g) == (double)counts[2 * k],
          "%s: %zu parameters, PyTorch twin has %.0f", name, eegnn_graph_n_param_scalars(m.g), counts[2 * k]);

    /* weights written by PyTorch (numpy safetensors writer), strict load */
    snprintf(rel, sizeof rel, "nn/%s.safetensors", name);
    st = eegnn_load_safetensors(m.g, test_out_path(rel), 0);
    CHECK(st == EEGNN_OK, "%s: strict load of PyTorch's state_dict: %s", name, eegnn_last_error());
    /* the same tensors from .npy must be bit-identical, and within PyTorch's init bound */
    for (i = 0; i < eegnn_graph_n_nodes(m.g); i++) {
        eegnn_tensor *t = eegnn_graph_node(m.g, i);
        float *v;
        if (!(t->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_BUFFER))) continue;
        snprintf(rel, sizeof rel, "nn/%s_sd__%s.npy", name, t->name);
        v = load(rel, t->numel);
        CHECK(v && !memcmp(v, t->data, t->numel * sizeof(float)), "%s: %s loaded from safetensors equals .npy",
              name, t->name);
        eegnn_free(v);
        n_checked++;
    }
    CHECK(n_checked >= 3, "%s: %d tensors", name, n_checked);

    memcpy(m.x->data, x, sizeof(float) * B * C * T);
    snprintf(rel, sizeof rel, "nn/%s_y.npy", name);
    y = load(rel, B * N_OUT);
    if (y) memcpy(m.y->data, y, sizeof(float) * B * N_OUT);
    eegnn_free(y);

    /* train mode: output, gradients, running statistics */
    eegnn_graph_set_training(m.g, 1);
    eegnn_graph_forward(m.g);
    eegnn_graph_zero_grad(m.g);
    CHECK(eegnn_graph_backward(m.g, m.loss) == EEGNN_OK, "%s: backward", name);
    snprintf(rel, sizeof rel, "nn/%s_out_train.npy", name);
    want = load(rel, B * N_OUT);
    e = want ? test_max_rel_err(m.out->data, want, B * N_OUT) : 1.0;
    CHECK(e < 1e-4, "%s: train-mode output differs from PyTorch by %.3g", name, e);
    printf("%-8s train output rel err %.2e\n", name, e);
    eegnn_free(want);
    for (i = 0; i < eegnn_graph_n_nodes(m.g); i++) {
        eegnn_tensor *t = eegnn_graph_node(m.g, i);
        if (t->flags & EEGNN_TENSOR_PARAM) {
            snprintf(rel, sizeof rel, "nn/%s_grad__%s.npy", name, t->name);
            want = load(rel, t->numel);
            e = want ? test_max_rel_err(t->grad, want, t->numel) : 1.0;
            CHECK(e < 1e-4, "%s: gradient of %s differs from PyTorch by %.3g", name, t->name, e);
            printf("%-8s grad %-22s rel err %.2e\n", name, t->name, e);
            eegnn_free(want);
        } else if (t->flags & EEGNN_TENSOR_BUFFER) {
            snprintf(rel, sizeof rel, "nn/%s_after__%s.npy", name, t->name);
            want = load(rel, t->numel);
            e = want ? test_max_rel_err(t->data, want, t->numel) : 1.0;
            CHECK(e < 1e-4, "%s: %s after a train step differs from PyTorch by %.3g", name, t->name, e);
            eegnn_free(want);
        }
    }

    /* eval mode */
    eegnn_graph_set_training(m.g, 0);
    eegnn_graph_forward_to(m.g, m.out);
    snprintf(rel, sizeof rel, "nn/%s_out_eval.npy", name);
    want = load(rel, B * N_OUT);
    e = want ? test_max_rel_err(m.out->data, want, B * N_OUT) : 1.0;
    CHECK(e < 1e-4, "%s: eval-mode output differs from PyTorch by %.3g", name, e);
    printf("%-8s eval output rel err %.2e\n", name, e);
    eegnn_free(want);

    /* eegnn writes the trained-state file; re-read it into a fresh model */
    {
        const char *keys[2] = {"model", "note"};
        const char *vals[2] = {name, "tab\there \"quoted\" \xc3\xa9"};
        model_graph m2;
        eegnn_safetensors *f;
        snprintf(rel, sizeof rel, "nn/%s_eegnn.safetensors", name);
        st = eegnn_save_safetensors(m.g, test_out_path(rel), keys, vals, 2);
        CHECK(st == EEGNN_OK, "%s: save: %s", name, eegnn_last_error());
        f = eegnn_safetensors_open(test_out_path(rel));
        CHECK(f != NULL, "%s: reopen: %s", name, eegnn_last_error());
        if (f) {
            const char *note = eegnn_safetensors_metadata(f, "note");
            CHECK(note && !strcmp(note, vals[1]), "%s: metadata round trip", name);
            CHECK(eegnn_safetensors_metadata(f, "absent") == NULL, "absent metadata key");
            eegnn_safetensors_close(f);
        }
        if (build(&m2, name, 2, C, T, N_OUT, EEGNN_UNSET, 99)) {
            st = eegnn_load_safetensors(m2.g, test_out_path(rel), 0);
            CHECK(st == EEGNN_OK, "%s: load own file: %s", name, eegnn_last_error());
            for (i = 0; i < eegnn_graph_n_nodes(m.g); i++) {
                eegnn_tensor *t = eegnn_graph_node(m.g, i), *u;
                if (!(t->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_BUFFER))) continue;
                u = eegnn_graph_find(m2.g, t->name);
                CHECK(u && u->numel == t->numel && !memcmp(u->data, t->data, t->numel * sizeof(float)),
                      "%s: %s survives save/load", name, t->name);
            }
        }
        eegnn_graph_free(m2.g);
    }
    eegnn_graph_free(m.g);
}

/* Parameter counts at the challenge's shape, and eegnn's own initialisation:
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for conv/linear weights and biases,
 * batch norm weight 1, bias 0, running_mean 0, running_var 1. PyTorch's
 * initial tensors (ref_nn.py) must respect the same bounds. */
static void test_init(const float *counts) {
    int k, i;
    for (k = 0; k < 3; k++) {
        model_graph m;
        if (!build(&m, model_names[k], 4, 129, 200, 1, EEGNN_UNSET, 12345)) {
            CHECK(0, "%s at 129 x 200: build", model_names[k]);
            eegnn_graph_free(m.g);
            continue;
        }
        CHECK((double)eegnn_graph_n_param_scalars(m.g) == (double)counts[2 * k + 1],
              "%s at 129 x 200: %zu parameters, PyTorch twin %.0f", model_names[k],
              eegnn_graph_n_param_scalars(m.g), counts[2 * k + 1]);
        printf("%-8s parameters at 129 x 200: %zu (PyTorch %.0f)\n", model_names[k],
               eegnn_graph_n_param_scalars(m.g), counts[2 * k + 1]);
        for (i = 0; i < eegnn_graph_n_nodes(m.g); i++) {
            eegnn_tensor *t = eegnn_graph_node(m.g, i);
            const char *leaf;
            if (!(t->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_BUFFER))) continue;
            leaf = strrchr(t->name, '.') + 1;
            if (!strncmp(t->name, "bnorm.", 6)) {
                float want = (!strcmp(leaf, "weight") || !strcmp(leaf, "running_var")) ? 1.0f : 0.0f;
                size_t j, bad = 0;
                for (j = 0; j < t->numel; j++) bad += t->data[j] != want;
                CHECK(bad == 0, "%s: %s initialised to %g", model_names[k], t->name, want);
            } else {
                /* fan_in from the weight of the same layer: shape[1] * kernel */
                char wname[EEGNN_NAME_MAX];
                eegnn_tensor *w;
                double fan_in = 1.0, bound, mean = 0.0, var = 0.0, maxabs = 0.0;
                size_t j;
                int d;
                snprintf(wname, sizeof wname, "%.*s.weight", (int)(leaf - 1 - t->name), t->name);
                w = eegnn_graph_find(m.g, wname);
                for (d = 1; w && d < w->ndim; d++) fan_in *= w->shape[d];
                bound = 1.0 / sqrt(fan_in);
                for (j = 0; j < t->numel; j++) {
                    double v = t->data[j];
                    mean += v;
                    var += v * v;
                    if (fabs(v) > maxabs) maxabs = fabs(v);
                }
                mean /= (double)t->numel;
                var = var / (double)t->numel - mean * mean;
                CHECK(maxabs <= bound, "%s: %s exceeds 1/sqrt(fan_in) = %g", model_names[k], t->name, bound);
                if (t->numel >= 1000) {
                    double se = bound / sqrt(3.0 * (double)t->numel);
                    CHECK(maxabs > 0.99 * bound, "%s: %s max %g, bound %g", model_names[k], t->name, maxabs, bound);
                    CHECK(fabs(mean) < 5.0 * se, "%s: %s mean %g", model_names[k], t->name, mean);
                    CHECK(fabs(var / (bound * bound / 3.0) - 1.0) < 0.05, "%s: %s variance %g, U(-b, b) gives %g",
                          model_names[k], t->name, var, bound * bound / 3.0);
                }
            }
        }
        eegnn_graph_free(m.g);
    }
    /* PyTorch's own initial values obey the bound eegnn computes (same fan_in) */
    for (k = 0; k < 3; k++) {
        model_graph m;
        if (!build(&m, model_names[k], B, C, T, N_OUT, EEGNN_UNSET, 1)) {
            eegnn_graph_free(m.g);
            continue;
        }
        for (i = 0; i < eegnn_graph_n_params(m.g); i++) {
            eegnn_tensor *t = eegnn_graph_param(m.g, i);
            char rel[256];
            float *v;
            double ours = 0.0, theirs = 0.0;
            size_t j;
            snprintf(rel, sizeof rel, "nn/%s_sd__%s.npy", model_names[k], t->name);
            v = load(rel, t->numel);
            if (!v) continue;
            for (j = 0; j < t->numel; j++) {
                if (fabs(t->data[j]) > ours) ours = fabs(t->data[j]);
                if (fabs(v[j]) > theirs) theirs = fabs(v[j]);
            }
            if (strncmp(t->name, "bnorm.", 6) && t->numel >= 64)
                CHECK(theirs <= ours / 0.97 && ours <= theirs / 0.97, "%s: %s init range: eegnn %g, PyTorch %g",
                      model_names[k], t->name, ours, theirs);
            eegnn_free(v);
        }
        eegnn_graph_free(m.g);
    }
}

static void test_layer_errors(void) {
    model_graph m;
    eegnn_model_config mc;
    int xs[3] = {2, 4, 30};
    eegnn_tensor *x, *h;
    eegnn_graph *g = eegnn_graph_create(NULL);
    x = eegnn_input(g, "x", 3, xs);
    h = eegnn_nn_conv1d(g, x, 5, 8, 3, 1, NULL, "c");
    CHECK(h == NULL && strstr(eegnn_last_error(), "in_channels=5"), "conv1d channel mismatch: %s",
          eegnn_last_error());
    h = eegnn_nn_conv1d(g, x, 4, 8, 3, 1, NULL, "c");
    CHECK(h && h->shape[2] == 28 && eegnn_graph_find(g, "c.weight") && eegnn_graph_find(g, "c.bias"),
          "conv1d names and shape");
    CHECK(eegnn_nn_conv1d(g, x, 4, 8, 3, 1, NULL, "c") == NULL && strstr(eegnn_last_error(), "c.weight"),
          "duplicate layer name refused: %s", eegnn_last_error());
    CHECK(eegnn_nn_linear(g, x, 31, 2, 1, "fc") == NULL, "linear in_features mismatch");
    mc = eegnn_model_config_default();
    CHECK(eegnn_model_build(g, "no_such_model", x, &mc) == NULL && strstr(eegnn_last_error(), "shallow"),
          "unknown model lists the known ones: %s", eegnn_last_error());
    CHECK(eegnn_model_shallow(g, x, &mc) == NULL && strstr(eegnn_last_error(), "n_times"),
          "shallow on too short windows: %s", eegnn_last_error());
    mc.n_chans = 5;
    CHECK(eegnn_model_cnn(g, x, &mc) == NULL && strstr(eegnn_last_error(), "n_chans=5"), "n_chans mismatch");
    eegnn_graph_free(g);
    /* default dropout (0.5) is an extra node without parameters */
    if (build(&m, "mlp", 2, 3, 10, 1, EEGNN_UNSET, 1)) {
        int i, found = 0;
        for (i = 0; i < eegnn_graph_n_nodes(m.g); i++) found += !strcmp(eegnn_graph_node(m.g, i)->op, "dropout");
        CHECK(found == 1, "mlp has a dropout node by default");
    }
    eegnn_graph_free(m.g);
    /* drop_prob 0 is no dropout (EEGNN_UNSET is the default) */
    if (build(&m, "mlp", 2, 3, 10, 1, 0.0f, 1)) {
        int i, found = 0;
        for (i = 0; i < eegnn_graph_n_nodes(m.g); i++) found += !strcmp(eegnn_graph_node(m.g, i)->op, "dropout");
        CHECK(found == 0, "mlp with drop_prob 0 has no dropout node (%d)", found);
    }
    eegnn_graph_free(m.g);
}

/* ---- safetensors: crafted files ---- */

static size_t make_file(unsigned char *buf, const char *header, size_t data_bytes) {
    size_t n = strlen(header), i;
    for (i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)n >> (8 * i));
    memcpy(buf + 8, header, n);
    for (i = 0; i < data_bytes; i++) buf[8 + n + i] = (unsigned char)(i * 37 + 1);
    return 8 + n + data_bytes;
}

static void expect_bad(const char *header, size_t data_bytes, const char *needle) {
    static unsigned char buf[4096];
    size_t n = make_file(buf, header, data_bytes);
    eegnn_safetensors *f;
    eegnn_clear_error();
    f = eegnn_safetensors_open_memory(buf, n, "crafted");
    CHECK(f == NULL && strstr(eegnn_last_error(), needle), "rejects %s: got '%s'", header,
          f ? "(accepted)" : eegnn_last_error());
    eegnn_safetensors_close(f);
}

static void test_safetensors_crafted(void) {
    static unsigned char buf[4096];
    eegnn_safetensors *f;
    eegnn_safetensors_info info;
    float v[6];
    size_t n;
    /* a valid file with escapes, extra fields, F16/BF16/I64 data */
    n = make_file(buf,
                  "{\"__metadata__\":{\"k\\u00e9\\n\":\"v\\\"\\ud83d\\ude00\"},"
                  "\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4],\"extra\":[1,{\"x\":null}]},"
                  "\"b\":{\"shape\":[],\"dtype\":\"BF16\",\"data_offsets\":[4,6]},"
                  "\"c\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[6,14]}}",
                  14);
    /* a = [1.0, -2.5] (F16 0x3C00, 0xC100); b = 3.0 (BF16 0x4040); c = -7 */
    {
        size_t h = n - 14;
        unsigned char d[14] = {0x00, 0x3C, 0x00, 0xC1, 0x40, 0x40, 0xF9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
        memcpy(buf + h, d, 14);
    }
    f = eegnn_safetensors_open_memory(buf, n, "valid");
    CHECK(f != NULL, "valid crafted file: %s", eegnn_last_error());
    if (f) {
        const char *meta = eegnn_safetensors_metadata(f, "k\xc3\xa9\n");
        CHECK(meta && !strcmp(meta, "v\"\xf0\x9f\x98\x80"), "JSON escapes decoded");
        CHECK(eegnn_safetensors_n_tensors(f) == 3 && eegnn_safetensors_find(f, "b") == 1, "tensor list");
        CHECK(eegnn_safetensors_read_f32(f, 0, v, 2) == EEGNN_OK && v[0] == 1.0f && v[1] == -2.5f, "F16");
        CHECK(eegnn_safetensors_tensor(f, 1, &info) == EEGNN_OK && info.ndim == 0 && info.numel == 1 &&
                  !strcmp(info.dtype, "BF16"),
              "0-D BF16 info");
        CHECK(eegnn_safetensors_read_f32(f, 1, v, 1) == EEGNN_OK && v[0] == 3.0f, "BF16");
        CHECK(eegnn_safetensors_read_f32(f, 2, v, 1) == EEGNN_OK && v[0] == -7.0f, "I64");
        CHECK(eegnn_safetensors_read_f32(f, 2, v, 2) == EEGNN_ERR_ARG, "wrong count refused");
        eegnn_safetensors_close(f);
    }
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
               8, "overlaps");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "hole");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "end at data byte 4");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "need 12");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "outside");
    expect_bad("{\"a\":{\"dtype\":\"F31\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "data_offsets");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "non-negative integer");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, "fraction");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", 8,
               "too large");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8,
               "too large");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}",
               8, "duplicate tensor");
    expect_bad("{\"__metadata__\":{\"k\":1}}", 0, "must be strings");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} x", 8, "after the header");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "expected '}'");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":[[[[[[[[[[[[[[[[[[[[[[["
               "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
               "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}",
               8, "nested too deeply");
    expect_bad("{\"a\\x\":{}}", 0, "invalid escape");
    expect_bad("{\"a\\ud800\":{}}", 0, "surrogate");
    expect_bad("[1,2]", 0, "not start with '{'");
    expect_bad("{\"a\xff\":{}}", 0, "invalid UTF-8");
    expect_bad("{\"a\xed\xa0\x80\":{}}", 0, "invalid UTF-8");
    /* header length beyond the file, and a NUL inside the header */
    memset(buf, 0, 16);
    buf[0] = 0xFF;
    buf[5] = 0x01;
    f = eegnn_safetensors_open_memory(buf, 16, "huge");
    CHECK(f == NULL && strstr(eegnn_last_error(), "header length"), "huge header length: %s", eegnn_last_error());
    n = make_file(buf, "{\"a\":{}}  ", 0);
    buf[12] = 0;
    f = eegnn_safetensors_open_memory(buf, n, "nul");
    CHECK(f == NULL && strstr(eegnn_last_error(), "NUL"), "NUL in header: %s", eegnn_last_error());
    f = eegnn_safetensors_open_memory(buf, 5, "short");
    CHECK(f == NULL && strstr(eegnn_last_error(), "too short"), "5-byte file");
    f = eegnn_safetensors_open(test_out_path("nn/does-not-exist.safetensors"));
    CHECK(f == NULL && strstr(eegnn_last_error(), "does-not-exist"), "missing file named");
}

/* Every truncation and many single-byte corruptions of a real file: each
 * either parses or fails with a message; never crashes (run under ASan). */
static void test_safetensors_fuzz(void) {
    eegnn_graph *g = eegnn_graph_create(NULL);
    int ws[2] = {3, 2}, bs[1] = {2}, i;
    eegnn_tensor *w = eegnn_param(g, "layer.weight", 2, ws), *b = eegnn_buffer(g, "layer.running_mean", 1, bs);
    const char *keys[1] = {"model"}, *vals[1] = {"tiny"};
    char *bytes = NULL;
    size_t len = 0, cut;
    int bad_ok = 1, ok_parsed = 0;
    static const unsigned char subst[] = {0x00, 0xFF, '{', '}', '"', '9', ',', ']', ' ', '\\'};
    const char *path = test_out_path("nn/tiny.safetensors");
    for (i = 0; i < 6; i++) w->data[i] = (float)i - 2.5f;
    b->data[0] = 7.0f;
    b->data[1] = -1.0f;
    CHECK(eegnn_save_safetensors(g, path, keys, vals, 1) == EEGNN_OK, "tiny save: %s", eegnn_last_error());
    if (eegnn__read_file(path, &bytes, &len) || len < 16) {
        CHECK(0, "read back tiny file");
        eegnn_graph_free(g);
        EEGNN_FREE(bytes);
        return;
    }
    CHECK((bytes[0] | (bytes[1] << 8)) % 8 == 0, "header padded to a multiple of 8 bytes");
    for (cut = 0; cut < len; cut++) {
        eegnn_safetensors *f = eegnn_safetensors_open_memory(bytes, cut, "truncated");
        if (f || !eegnn_last_error()[0]) bad_ok = 0;
        eegnn_safetensors_close(f);
    }
    CHECK(bad_ok, "every truncation of a %zu-byte file is rejected with a message", len);
    for (cut = 8; cut < len; cut++) {
        size_t s;
        for (s = 0; s < sizeof subst; s++) {
            char *copy = (char *)malloc(len);
            eegnn_safetensors *f;
            memcpy(copy, bytes, len);
            copy[cut] = (char)subst[s];
            f = eegnn_safetensors_open_memory(copy, len, "corrupted");
            if (!f && !eegnn_last_error()[0]) bad_ok = 0;
            ok_parsed += f != NULL;
            eegnn_safetensors_close(f);
            free(copy);
        }
    }
    CHECK(bad_ok, "corrupted files fail with a message");
    CHECK(ok_parsed > 0, "data-byte corruptions still parse (%d)", ok_parsed);

    /* strict / non-strict loading */
    {
        eegnn_graph *h = eegnn_graph_create(NULL);
        int ws2[2] = {2, 3};
        eegnn_tensor *w2 = eegnn_param(h, "layer.weight", 2, ws), *extra = eegnn_param(h, "other.bias", 1, bs);
        eegnn_status st;
        extra->data[0] = 42.0f;
        st = eegnn_load_safetensors(h, path, 0);
        CHECK(st == EEGNN_ERR_NOT_FOUND && strstr(eegnn_last_error(), "other.bias"), "strict: missing key: %s",
              eegnn_last_error());
        CHECK(w2->data[0] == 0.0f, "failed load changes nothing");
        st = eegnn_load_safetensors(h, path, EEGNN_LOAD_NONSTRICT);
        CHECK(st == EEGNN_OK && w2->data[5] == 2.5f && extra->data[0] == 42.0f, "non-strict load: %s",
              eegnn_last_error());
        eegnn_graph_free(h);
        h = eegnn_graph_create(NULL);
        w2 = eegnn_param(h, "layer.weight", 2, ws);
        st = eegnn_load_safetensors(h, path, 0);
        CHECK(st == EEGNN_ERR_FORMAT && strstr(eegnn_last_error(), "layer.running_mean"),
              "strict: unexpected key: %s", eegnn_last_error());
        eegnn_graph_free(h);
        h = eegnn_graph_create(NULL);
        w2 = eegnn_param(h, "layer.weight", 2, ws2);
        st = eegnn_load_safetensors(h, path, EEGNN_LOAD_NONSTRICT);
        CHECK(st == EEGNN_ERR_FORMAT && strstr(eegnn_last_error(), "layer.weight") &&
                  strstr(eegnn_last_error(), "(3, 2)"),
              "shape mismatch names the key: %s", eegnn_last_error());
        eegnn_graph_free(h);
    }
    EEGNN_FREE(bytes);
    eegnn_graph_free(g);
}

/* Every node of every zoo model (and of the losses and ops around them) has
 * an op kind, named as the node (graph.h's eegnn_op: backends select nodes by
 * it); leaves have EEGNN_OP_NONE. The typed accessors refuse other kinds. */
static void test_op_kinds(void) {
    int m, i, custom = 0, mismatch = 0, leaves = 0, kinds_seen[EEGNN_OP_COUNT];
    memset(kinds_seen, 0, sizeof kinds_seen);
    for (m = 0; m < eegnn_model_count(); m++) {
        eegnn_graph_config gc;
        eegnn_model_config mc;
        eegnn_graph *g;
        eegnn_tensor *x, *y, *out;
        int xs[3] = {2, 8, 100}, ys[2] = {2, 3};
        memset(&gc, 0, sizeof gc);
        gc.arena_bytes = (size_t)256 << 20;
        gc.n_threads = 1;
        mc = eegnn_model_config_default();
        mc.n_chans = 8;
        mc.n_times = 100;
        mc.n_outputs = 3;
        mc.sfreq = 100;
        g = eegnn_graph_create(&gc);
        x = eegnn_input(g, "x", 3, xs);
        y = eegnn_input(g, "y", 2, ys);
        out = eegnn_model_build(g, eegnn_model_name(m), x, &mc);
        CHECK(out && eegnn_mse_loss(g, out, y), "%s: %s", eegnn_model_name(m), eegnn_last_error());
        for (i = 0; i < eegnn_graph_n_nodes(g); i++) {
            const eegnn_tensor *t = eegnn_graph_node(g, i);
            if (t->kind == EEGNN_OP_NONE) {
                leaves++;
                mismatch += t->forward != NULL;
                continue;
            }
            custom += t->kind == EEGNN_OP_CUSTOM;
            mismatch += strcmp(eegnn_op_name(t->kind), t->op) != 0;
            if (t->kind > 0 && t->kind < EEGNN_OP_COUNT) kinds_seen[t->kind] = 1;
        }
        eegnn_graph_free(g);
    }
    CHECK(custom == 0 && mismatch == 0 && leaves > 0, "%d custom nodes, %d names that differ from their kind", custom,
          mismatch);
    CHECK(kinds_seen[EEGNN_OP_LINEAR] && kinds_seen[EEGNN_OP_SCALED_DOT_PRODUCT_ATTENTION] &&
              kinds_seen[EEGNN_OP_LAYER_NORM] && kinds_seen[EEGNN_OP_CONV2D] && kinds_seen[EEGNN_OP_EEGNEX_STEM],
          "the zoo's kinds");
    CHECK(!strcmp(eegnn_op_name(EEGNN_OP_COUNT), "unknown") && !strcmp(eegnn_op_name((eegnn_op)-1), "unknown"),
          "names out of range");
    {
        eegnn_graph_config gc;
        eegnn_graph *g;
        eegnn_tensor *x, *w, *lin, *ln, *c;
        eegnn_linear_params lp;
        eegnn_layer_norm_params np;
        eegnn_sdpa_params sp;
        eegnn_dropout_params dp;
        int xs[3] = {2, 5, 8}, ws[2] = {24, 8};
        memset(&gc, 0, sizeof gc);
        gc.arena_bytes = (size_t)16 << 20;
        g = eegnn_graph_create(&gc);
        x = eegnn_input(g, "x", 3, xs);
        w = eegnn_param(g, "w", 2, ws);
        lin = eegnn_linear(g, x, w, NULL);
        ln = eegnn_layer_norm(g, x, NULL, NULL, 0.0f);
        c = eegnn_graph_new_node(g, "my_op", 3, xs, &x, 1);
        CHECK(!eegnn_linear_params_of(lin, &lp) && lp.rows == 10 && lp.in_features == 8 && lp.out_features == 24 &&
                  lp.input == x && lp.weight == w && !lp.bias,
              "linear params");
        CHECK(!eegnn_layer_norm_params_of(ln, &np) && np.rows == 10 && np.n == 8 && np.eps == 1e-5f && !np.weight,
              "layer_norm params");
        CHECK(eegnn_sdpa_params_of(lin, &sp) == EEGNN_ERR_ARG && eegnn_dropout_params_of(ln, &dp) == EEGNN_ERR_ARG &&
                  eegnn_linear_params_of(NULL, &lp) == EEGNN_ERR_ARG,
              "accessors refuse other kinds");
        CHECK(c && c->kind == EEGNN_OP_CUSTOM && !strcmp(c->op, "my_op"), "an extension's node");
        eegnn_graph_free(g);
    }
}

int main(void) {
    float *x = load("nn/x.npy", B * C * T);
    float *counts = load("nn/param_counts.npy", 6);
    int k;
    (void)test_data_path;
    CHECK(x && counts, "reference data (run tests/ref_nn.py first)");
    if (x && counts) {
        for (k = 0; k < 3; k++) test_model(k, x, counts);
        test_init(counts);
    }
    test_layer_errors();
    test_safetensors_crafted();
    test_safetensors_fuzz();
    test_op_kinds();
    eegnn_free(x);
    eegnn_free(counts);
    return test_summary("test_nn");
}
