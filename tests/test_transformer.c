/* Layer norm, scaled dot-product attention, multi-head attention, transformer
 * encoder layers and the EEG transformer against PyTorch 1.13
 * (tests/ref_transformer.py): outputs and every parameter gradient in train
 * and eval mode; the attention op (with padding mask and dropout) against
 * central finite differences; dropout statistics; argument errors. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

static float *load_quiet(const char *rel, size_t want, int quiet) {
    int ndim;
    int64_t shape[EEGNN_NPY_MAX_DIMS];
    size_t numel;
    char path[256];
    float *a;
    snprintf(path, sizeof path, "transformer/%s.npy", rel);
    a = eegnn_npy_read(test_out_path(path), &ndim, shape, &numel);
    if (!a) {
        if (!quiet) printf("cannot read %s: %s\n", path, eegnn_last_error());
        return NULL;
    }
    if (want && numel != want) {
        printf("%s: %zu values, expected %zu\n", path, numel, want);
        eegnn_free(a);
        return NULL;
    }
    return a;
}

static float *load(const char *rel, size_t want) { return load_quiet(rel, want, 0); }

/* Fills t from "<case>_<leaf>.npy"; returns 1 on success. */
static int fill_quiet(eegnn_tensor *t, const char *case_name, const char *leaf, int quiet) {
    char rel[200];
    float *v;
    if (!t) return 0;
    if (snprintf(rel, sizeof rel, "%s_%s", case_name, leaf) >= (int)sizeof rel) return 0;
    v = load_quiet(rel, t->numel, quiet);
    if (!v) return 0;
    memcpy(t->data, v, t->numel * sizeof(float));
    eegnn_free(v);
    return 1;
}

static int fill(eegnn_tensor *t, const char *case_name, const char *leaf) { return fill_quiet(t, case_name, leaf, 0); }

static double max_abs(const float *a, size_t n) {
    double m = 0.0;
    size_t i;
    for (i = 0; i < n; i++)
        if (fabs(a[i]) > m) m = fabs(a[i]);
    return m;
}

static eegnn_graph *new_graph(uint64_t seed) {
    eegnn_graph_config gc;
    memset(&gc, 0, sizeof gc);
    gc.arena_bytes = (size_t)64 << 20;
    gc.n_threads = 2;
    gc.seed = seed;
    return eegnn_graph_create(&gc);
}

/* Loads every parameter from "<case>_sd__<name>" (or "<case>_<name>" for
 * leaf inputs such as x), runs forward and backward in the given mode and
 * compares the output and every parameter gradient with PyTorch's. */
static void compare(const char *case_name, eegnn_graph *g, eegnn_tensor *out, eegnn_tensor *target, int training) {
    char leaf[200];
    eegnn_tensor *loss = eegnn_mse_loss(g, out, target);
    float *want;
    double e, out_err, worst = 0.0;
    int i, n_params = 0, ok = 1;
    if (!loss) {
        CHECK(0, "%s: build: %s", case_name, eegnn_last_error());
        return;
    }
    for (i = 0; i < eegnn_graph_n_nodes(g); i++) {
        eegnn_tensor *p = eegnn_graph_node(g, i);
        if (!(p->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_BUFFER))) continue;
        snprintf(leaf, sizeof leaf, "sd__%s", p->name);
        if (!fill_quiet(p, case_name, leaf, 1) && !fill(p, case_name, p->name)) ok = 0;
    }
    CHECK(ok, "%s: every parameter loaded from PyTorch", case_name);
    ok = fill(target, case_name, "y");
    CHECK(ok, "%s: target", case_name);
    eegnn_graph_set_training(g, training);
    eegnn_graph_forward(g);
    eegnn_graph_zero_grad(g);
    CHECK(eegnn_graph_backward(g, loss) == EEGNN_OK, "%s: backward: %s", case_name, eegnn_last_error());
    want = load((snprintf(leaf, sizeof leaf, "%s_out", case_name), leaf), out->numel);
    e = want ? test_max_rel_err(out->data, want, out->numel) : 1.0;
    CHECK(e < 1e-4, "%s: output differs from PyTorch by %.3g", case_name, e);
    out_err = e;
    eegnn_free(want);
    for (i = 0; i < eegnn_graph_n_params(g); i++) {
        eegnn_tensor *p = eegnn_graph_param(g, i);
        double tol = 1e-4;
        snprintf(leaf, sizeof leaf, "%s_grad__%s", case_name, p->name);
        want = load(leaf, p->numel);
        e = want ? test_max_rel_err(p->grad, want, p->numel) : 1.0;
        if (want && max_abs(want, p->numel) < 1e-6) /* zero in exact arithmetic (e.g. a key bias): absolute */
            e = test_max_rel_err(p->grad, want, p->numel) * max_abs(want, p->numel) * 1e2;
        else { /* where PyTorch's own float32 gradient is off by more than 1e-4, allow 3 times its error */
            float *f32 = (snprintf(leaf, sizeof leaf, "%s_f32err__%s", case_name, p->name), load_quiet(leaf, 1, 1));
            if (f32 && 3.0 * f32[0] > tol) tol = 3.0 * f32[0];
            eegnn_free(f32);
        }
        CHECK(e < tol, "%s: gradient of %s differs from PyTorch by %.3g (allowed %.3g)", case_name, p->name, e, tol);
        if (e > worst) worst = e;
        eegnn_free(want);
        n_params++;
    }
    printf("%-22s %s: output rel err %.2e, worst of %d gradients %.2e\n", case_name, training ? "train" : "eval ",
           out_err, n_params, worst);
}

static void test_layer_norm(void) {
    int xs[3] = {4, 6, 32}, d = 32;
    eegnn_graph *g = new_graph(1);
    eegnn_tensor *x = eegnn_param(g, "x", 3, xs);
    eegnn_tensor *w = eegnn_param(g, "weight", 1, &d), *b = eegnn_param(g, "bias", 1, &d);
    eegnn_tensor *y = eegnn_layer_norm(g, x, w, b, 1e-5f);
    compare("ln", g, y, eegnn_input(g, "y", 3, xs), 1);
    eegnn_graph_free(g);
}

static void test_sdpa_torch(void) {
    int qs[3] = {2, 130, 16}, ks[3] = {2, 70, 16}, ms[2] = {2, 70};
    eegnn_graph *g = new_graph(2);
    eegnn_tensor *q = eegnn_param(g, "q", 3, qs), *k = eegnn_param(g, "k", 3, ks), *v = eegnn_param(g, "v", 3, ks);
    eegnn_tensor *mask = eegnn_input(g, "mask", 2, ms);
    eegnn_tensor *o = eegnn_scaled_dot_product_attention(g, q, k, v, 2, mask, 0.0f);
    CHECK(fill(mask, "sdpa", "mask"), "sdpa: mask");
    compare("sdpa", g, o, eegnn_input(g, "y", 3, qs), 1);
    eegnn_graph_free(g);
}

static void test_mha(void) {
    int xs[3] = {3, 10, 32}, ms[2] = {3, 10};
    eegnn_graph *g = new_graph(3);
    eegnn_tensor *x = eegnn_param(g, "x", 3, xs), *mask = eegnn_input(g, "mask", 2, ms);
    eegnn_tensor *o = eegnn_nn_multihead_attention(g, x, 32, 4, 0.0f, mask, "attn");
    CHECK(fill(mask, "mha", "mask"), "mha: mask");
    compare("mha", g, o, eegnn_input(g, "y", 3, xs), 1);
    eegnn_graph_free(g);
}

static void test_encoder_layers(void) {
    int nf, act, mode;
    for (nf = 0; nf < 2; nf++)
        for (act = 0; act < 2; act++)
            for (mode = 0; mode < 2; mode++) {
                int xs[3] = {3, 9, 32}, ms[2] = {3, 9};
                char case_name[64];
                eegnn_encoder_layer_config lc;
                eegnn_graph *g = new_graph(4);
                eegnn_tensor *x = eegnn_param(g, "x", 3, xs), *mask = eegnn_input(g, "mask", 2, ms), *o;
                snprintf(case_name, sizeof case_name, "enc_%d_%s_%s", nf, act ? "gelu" : "relu",
                         mode ? "eval" : "train");
                memset(&lc, 0, sizeof lc);
                lc.d_model = 32;
                lc.nhead = 4;
                lc.dim_feedforward = 64;
                lc.dropout = mode ? 0.1f : 0.0f; /* train: no dropout; eval: dropout present but off */
                lc.gelu = act;
                lc.norm_first = nf;
                o = eegnn_nn_transformer_encoder_layer(g, x, &lc, mask, NULL);
                CHECK(fill(mask, case_name, "mask"), "%s: mask", case_name);
                compare(case_name, g, o, eegnn_input(g, "y", 3, xs), !mode);
                eegnn_graph_free(g);
            }
}

static void test_eeg_conformer(void) {
    int mode;
    for (mode = 0; mode < 2; mode++) {
        int xs[3] = {4, 8, 120}, ys[2] = {4, 2};
        const char *case_name = mode ? "conformer_eval" : "conformer_train";
        eegnn_model_config mc;
        eegnn_graph *g = new_graph(11);
        eegnn_tensor *x = eegnn_input(g, "x", 3, xs), *o;
        mc = eegnn_model_config_default();
        mc.n_outputs = 2;
        mc.n_layers = 2;
        mc.drop_prob = mode ? 0.5f : 0.0f;
        o = eegnn_model_build(g, "EEGConformer", x, &mc);
        CHECK(o != NULL, "%s: build: %s", case_name, eegnn_last_error());
        { /* braindecode's whole state_dict loads strictly: the same keys and shapes, nothing left over */
            char path[256];
            snprintf(path, sizeof path, "transformer/%s_state_dict.safetensors", case_name);
            CHECK(eegnn_load_safetensors(g, test_out_path(path), 0) == EEGNN_OK, "%s: strict load of %s: %s",
                  case_name, path, eegnn_last_error());
        }
        CHECK(fill(x, case_name, "x"), "%s: x", case_name);
        compare(case_name, g, o, eegnn_input(g, "y", 2, ys), !mode);
        if (!mode) { /* batch norm running statistics after one train-mode forward */
            const char *leaf[2] = {"running_mean", "running_var"};
            int j;
            for (j = 0; j < 2; j++) {
                char name[96];
                eegnn_tensor *b;
                float *want = load((snprintf(name, sizeof name, "conformer_train_%s", leaf[j]), name), 40);
                snprintf(name, sizeof name, "patch_embedding.shallownet.2.%s", leaf[j]);
                b = eegnn_graph_find(g, name);
                CHECK(b && want && test_max_rel_err(b->data, want, 40) < 1e-4, "conformer: %s after train forward",
                      leaf[j]);
                eegnn_free(want);
            }
        }
        eegnn_graph_free(g);
    }
    {
        int xs[3] = {1, 129, 200};
        float *want = load("conformer_count", 1);
        eegnn_graph *g = new_graph(12);
        eegnn_tensor *o = eegnn_model_eeg_conformer(g, eegnn_input(g, "x", 3, xs), NULL);
        CHECK(o && want && (double)eegnn_graph_n_param_scalars(g) == (double)want[0],
              "EEGConformer at 129 x 200: %zu parameters, braindecode %.0f", eegnn_graph_n_param_scalars(g),
              want ? want[0] : -1.0f);
        printf("EEGConformer parameters at 129 x 200: %zu (braindecode: 407,713)\n", eegnn_graph_n_param_scalars(g));
        eegnn_free(want);
        eegnn_graph_free(g);
    }
}

static void test_eeg_transformer(void) {
    int mode;
    for (mode = 0; mode < 2; mode++) {
        int xs[3] = {4, 12, 50}, ys[2] = {4, 3};
        const char *case_name = mode ? "eegt_eval" : "eegt_train";
        eegnn_model_config mc;
        eegnn_graph *g = new_graph(5);
        eegnn_tensor *x = eegnn_input(g, "x", 3, xs), *o;
        mc = eegnn_model_config_default();
        mc.n_outputs = 3;
        mc.d_model = 32;
        mc.n_heads = 4;
        mc.n_layers = 2;
        mc.dim_feedforward = 64;
        mc.drop_prob = mode ? 0.1f : 0.0f;
        o = eegnn_model_build(g, "EEGTransformer", x, &mc);
        CHECK(o != NULL, "%s: build: %s", case_name, eegnn_last_error());
        CHECK(fill(x, case_name, "x"), "%s: x", case_name);
        compare(case_name, g, o, eegnn_input(g, "y", 2, ys), !mode);
        eegnn_graph_free(g);
    }
    {
        int xs[3] = {1, 129, 200};
        float *want = load("eegt_count", 1);
        eegnn_graph *g = new_graph(6);
        eegnn_tensor *o = eegnn_model_eeg_transformer(g, eegnn_input(g, "x", 3, xs), NULL);
        CHECK(o && want && (double)eegnn_graph_n_param_scalars(g) == (double)want[0],
              "EEGTransformer at 129 x 200: %zu parameters, PyTorch twin %.0f", eegnn_graph_n_param_scalars(g),
              want ? want[0] : -1.0f);
        eegnn_free(want);
        eegnn_graph_free(g);
    }
}

/* ---- finite differences ---- */

static double loss_value(eegnn_graph *g, eegnn_tensor *loss, const eegnn_rng *rng_state) {
    *eegnn_graph_rng(g) = *rng_state; /* same dropout masks every time */
    eegnn_graph_forward(g);
    return loss->data[0];
}

/* Central differences of every entry of each parameter against backward. */
static void finite_differences(const char *what, eegnn_graph *g, eegnn_tensor *loss) {
    eegnn_rng state = *eegnn_graph_rng(g);
    int i;
    size_t j;
    const float h = 2e-3f;
    loss_value(g, loss, &state);
    eegnn_graph_zero_grad(g);
    CHECK(eegnn_graph_backward(g, loss) == EEGNN_OK, "%s: backward", what);
    for (i = 0; i < eegnn_graph_n_params(g); i++) {
        eegnn_tensor *p = eegnn_graph_param(g, i);
        float *num = (float *)malloc(p->numel * sizeof(float));
        double e;
        for (j = 0; j < p->numel; j++) {
            float keep = p->data[j];
            double lp, lm;
            p->data[j] = keep + h;
            lp = loss_value(g, loss, &state);
            p->data[j] = keep - h;
            lm = loss_value(g, loss, &state);
            p->data[j] = keep;
            num[j] = (float)((lp - lm) / (2.0 * h));
        }
        e = test_max_rel_err(p->grad, num, p->numel);
        CHECK(e < 1e-2, "%s: gradient of %s vs finite differences: rel err %.3g", what, p->name, e);
        printf("%-22s finite differences d/d%s rel err %.2e\n", what, p->name, e);
        free(num);
    }
}

static void fill_normal(eegnn_graph *g, eegnn_tensor *t, float s) {
    size_t i;
    for (i = 0; i < t->numel; i++) t->data[i] = s * eegnn_rng_normal(eegnn_graph_rng(g));
}

static void test_sdpa_finite_differences(void) {
    int qs[3] = {2, 5, 6}, ks[3] = {2, 7, 6}, ms[2] = {2, 7}, ps[3] = {2, 7, 18}, pms[2] = {2, 7}, os[3] = {2, 7, 6};
    eegnn_graph *g = new_graph(7);
    eegnn_tensor *q = eegnn_param(g, "q", 3, qs), *k = eegnn_param(g, "k", 3, ks), *v = eegnn_param(g, "v", 3, ks);
    eegnn_tensor *mask = eegnn_input(g, "mask", 2, ms), *y = eegnn_input(g, "y", 3, qs), *o, *loss;
    o = eegnn_scaled_dot_product_attention(g, q, k, v, 2, mask, 0.3f);
    loss = eegnn_mse_loss(g, o, y);
    CHECK(loss != NULL, "sdpa fd: build: %s", eegnn_last_error());
    fill_normal(g, q, 1.0f);
    fill_normal(g, k, 1.0f);
    fill_normal(g, v, 1.0f);
    fill_normal(g, y, 1.0f);
    mask->data[7 + 5] = mask->data[7 + 6] = 1.0f; /* batch 1: last two keys padded */
    finite_differences("sdpa dropout 0.3", g, loss);
    eegnn_graph_free(g);

    g = new_graph(8); /* packed self-attention, no dropout, eval mode */
    q = eegnn_param(g, "qkv", 3, ps);
    mask = eegnn_input(g, "mask", 2, pms);
    y = eegnn_input(g, "y", 3, os);
    o = eegnn_scaled_dot_product_attention_qkv(g, q, 3, mask, 0.2f);
    loss = eegnn_mse_loss(g, o, y);
    CHECK(loss != NULL, "sdpa_qkv fd: build: %s", eegnn_last_error());
    fill_normal(g, q, 1.0f);
    fill_normal(g, y, 1.0f);
    mask->data[3] = 1.0f;
    eegnn_graph_set_training(g, 0);
    finite_differences("sdpa_qkv eval", g, loss);
    eegnn_graph_free(g);
}

/* q = k = 0 gives uniform weights 1/Tk; with v = 1 every output is the sum
 * of the kept weights / (1 - p): exactly 1 in eval mode, mean 1 in train. */
static void test_dropout_statistics(void) {
    int qs[3] = {2, 64, 8}, ks[3] = {2, 256, 8};
    eegnn_graph *g = new_graph(9);
    eegnn_tensor *q = eegnn_input(g, "q", 3, qs), *k = eegnn_input(g, "k", 3, ks), *v = eegnn_input(g, "v", 3, ks);
    eegnn_tensor *o = eegnn_scaled_dot_product_attention(g, q, k, v, 2, NULL, 0.5f);
    double s = 0.0, e = 0.0;
    size_t i, n_not_one = 0;
    for (i = 0; i < v->numel; i++) v->data[i] = 1.0f;
    eegnn_graph_set_training(g, 0);
    eegnn_graph_forward(g);
    for (i = 0; i < o->numel; i++)
        if (fabs(o->data[i] - 1.0) > e) e = fabs(o->data[i] - 1.0);
    CHECK(e < 1e-5, "eval mode: no dropout on the weights (max |out - 1| = %.3g)", e);
    eegnn_graph_set_training(g, 1);
    eegnn_graph_forward(g);
    for (i = 0; i < o->numel; i++) {
        s += o->data[i];
        if (fabs(o->data[i] - 1.0) > 1e-3) n_not_one++;
    }
    s /= (double)o->numel;
    CHECK(fabs(s - 1.0) < 0.02, "train mode dropout 0.5: mean output %.4f, expected 1", s);
    CHECK(n_not_one > o->numel / 2, "train mode dropout 0.5: %zu of %zu outputs changed", n_not_one, o->numel);
    printf("dropout 0.5 on attention weights: mean output %.4f (expected 1)\n", s);
    eegnn_graph_free(g);
}

static void test_errors(void) {
    int xs[3] = {2, 5, 6}, x7s[3] = {2, 5, 7}, bad_mask[2] = {2, 4}, d5 = 5;
    eegnn_graph *g = new_graph(10);
    eegnn_tensor *x = eegnn_input(g, "x", 3, xs), *m = eegnn_input(g, "m", 2, bad_mask);
    eegnn_tensor *x7 = eegnn_input(g, "x7", 3, x7s);
    eegnn_tensor *w5 = eegnn_param(g, "w5", 1, &d5);
    eegnn_encoder_layer_config lc;
    CHECK(!eegnn_scaled_dot_product_attention(g, x, x, x, 4, NULL, 0.0f) &&
              strstr(eegnn_last_error(), "n_heads=4"),
          "n_heads not dividing the width is refused: %s", eegnn_last_error());
    CHECK(!eegnn_scaled_dot_product_attention(g, x, x, x, 2, m, 0.0f) && strstr(eegnn_last_error(), "key_padding_mask"),
          "a mask of the wrong shape is refused: %s", eegnn_last_error());
    CHECK(!eegnn_scaled_dot_product_attention(g, x, x, x, 2, NULL, 1.0f), "dropout_p = 1 is refused");
    CHECK(!eegnn_scaled_dot_product_attention_qkv(g, x7, 1, NULL, 0.0f), "qkv width 7 (not 3 * E) is refused");
    CHECK(!eegnn_layer_norm(g, x, w5, NULL, 0.0f), "layer_norm weight of the wrong size is refused");
    memset(&lc, 0, sizeof lc);
    lc.d_model = 6;
    lc.nhead = 4;
    CHECK(!eegnn_nn_transformer_encoder_layer(g, x, &lc, NULL, "enc"), "encoder layer with nhead not dividing "
                                                                        "d_model is refused");
    CHECK(!eegnn_nn_transformer_encoder_layer(g, x, NULL, NULL, "enc"), "encoder layer without config is refused");
    lc = eegnn_encoder_layer_config_default(6, 2);
    lc.dropout = -1.0f; /* once the code for no dropout; 0 is that now */
    CHECK(!eegnn_nn_transformer_encoder_layer(g, x, &lc, NULL, "enc") && strstr(eegnn_last_error(), "dropout -1"),
          "a negative dropout is refused: %s", eegnn_last_error());
    eegnn_graph_free(g);
}

int main(void) {
    test_layer_norm();
    test_sdpa_torch();
    test_mha();
    test_encoder_layers();
    test_eeg_transformer();
    test_eeg_conformer();
    test_sdpa_finite_differences();
    test_dropout_statistics();
    test_errors();
    return test_summary("test_transformer");
}
