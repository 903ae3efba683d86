/* The host side: routing, transfers, hooks, the optimizer, profiling. */
#if EEGNN__GPU
/* Reports file and line of a failing HIP call into the error state. */
#define EEGNN_HIP_CHECK(call) eegnn__hip_check((call), #call, __FILE__, __LINE__)
static int eegnn__hip_check(hipError_t e, const char *what, const char *file, int line) {
    if (e == hipSuccess) return 0;
    eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "%s:%d: %s failed: %s", file, line, what, hipGetErrorString(e));
    return 1;
}
#endif
/* ---- host side -------------------------------------------------------------- */

enum { EEGNN__AT_BOTH = 0, EEGNN__AT_HOST = 1, EEGNN__AT_DEV = 2 }; /* where a 64-byte block is current */
#define EEGNN__GPU_MAX_PROF (2 * EEGNN_OP_COUNT) /* (kind, on the GPU or not) pairs */

typedef struct eegnn__gpu_prof {
    eegnn_op kind;
    int on_gpu;
    long calls;
    double seconds;
    double h2d, d2h; /* bytes */
} eegnn__gpu_prof;

typedef struct eegnn__gpu {
    eegnn_graph *g;
    eegnn_gpu_config cfg;
    eegnn_graph_hooks old_hooks;
    int gpu;       /* 1: a device is in use; 0: profiling only / fallen back */
    int n_nodes;
    eegnn_op_fn *fwd, *bwd; /* (n_nodes) the CPU functions */
    unsigned char *routed;  /* (n_nodes) 1: runs on the device */
    unsigned char *at;      /* (n_blocks) EEGNN__AT_* */
    unsigned char *host_base; /* arena start, 64-byte aligned down */
    size_t n_blocks, bytes;
    char *dev;              /* device mirror of [host_base, host_base + bytes) */
    float *scratch;         /* device scratch (attention delta) */
    size_t scratch_floats;
    /* optimizer state on the device, per graph node index */
    float **state;          /* (n_nodes * 3) */
    float **host_state;     /* (n_nodes * 3) the optimizer's host arrays */
    unsigned char *state_ok; /* (n_nodes) device state current */
    unsigned int *bad_dev;  /* (n_nodes) finite-check slots */
    int pinned, pending, launches;
    eegnn__gpu_prof prof[EEGNN__GPU_MAX_PROF];
    int n_prof;
    eegnn__gpu_prof *cur; /* entry being timed */
#if EEGNN__GPU
    hipStream_t stream;
#endif
} eegnn__gpu;

static eegnn__gpu *eegnn__gpu_of(const eegnn_graph *g);

EEGNN_API int eegnn_gpu_compiled(void) { return EEGNN__GPU; }

EEGNN_API eegnn_status eegnn_gpu_parse_ops(const char *spec, int *mask) {
    static const char *names[] = {"linear", "attention", "norm", "elementwise", "optimizer", "conv", "fft"};
    int m = 0, i;
    const char *s = spec;
    if (!spec || !mask) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_gpu_parse_ops: spec or mask is NULL");
    while (*s) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        int found = 0;
        if (len == 3 && !strncmp(s, "all", 3)) m |= 127, found = 1;
        else if (len == 4 && !strncmp(s, "none", 4)) found = 1;
        else if (len == 7 && !strncmp(s, "default", 7)) m |= EEGNN_GPU_OP_DEFAULT, found = 1;
        for (i = 0; i < 7 && !found; i++)
            if (strlen(names[i]) == len && !strncmp(s, names[i], len)) m |= 1 << i, found = 1;
        if (!found && len)
            return eegnn_set_error(EEGNN_ERR_ARG,
                                   "GPU ops '%s': unknown name '%.*s' (expected linear, attention, norm, "
                                   "elementwise, optimizer, conv, fft, all, none or default)",
                                   spec, (int)len, s);
        s += len;
        if (*s == ',') s++;
    }
    *mask = m;
    return EEGNN_OK;
}

EEGNN_API eegnn_status eegnn_gpu_query(int device, eegnn_gpu_device_info *info) {
    if (!info) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_gpu_query: info is NULL");
    memset(info, 0, sizeof *info);
    strcpy(info->platform, "none");
#if EEGNN__GPU
    {
        int n = 0;
        hipDeviceProp_t prop;
        size_t fr = 0, tot = 0;
        hipError_t e = hipGetDeviceCount(&n);
        if (e != hipSuccess || n <= 0)
            return eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "no GPU found (%s)",
                                   e != hipSuccess ? hipGetErrorString(e) : "0 devices");
        if (device < 0 || device >= n)
            return eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "GPU %d requested, %d present", device, n);
        if (EEGNN_HIP_CHECK(hipGetDeviceProperties(&prop, device))) return EEGNN_ERR_UNSUPPORTED;
        snprintf(info->name, sizeof info->name, "%s", prop.name);
#if defined(EEGNN__SIM)
        strcpy(info->platform, "SIM");
        snprintf(info->arch, sizeof info->arch, "sim-warp%d", EEGNN_HIP_SIM_WARP);
#elif defined(__HIP_PLATFORM_AMD__) || defined(__HIP_PLATFORM_HCC__)
        strcpy(info->platform, "AMD");
        snprintf(info->arch, sizeof info->arch, "%s", prop.gcnArchName);
        {
            char *colon = strchr(info->arch, ':'); /* "gfx1010:xnack-" */
            if (colon) *colon = 0;
        }
#else
        strcpy(info->platform, "NVIDIA");
        snprintf(info->arch, sizeof info->arch, "sm_%d%d", prop.major, prop.minor);
#endif
        info->compute_units = prop.multiProcessorCount;
        info->total_bytes = prop.totalGlobalMem;
        if (hipSetDevice(device) == hipSuccess && hipMemGetInfo(&fr, &tot) == hipSuccess) info->free_bytes = fr;
        return EEGNN_OK;
    }
#else
    (void)device;
    return eegnn_set_error(EEGNN_ERR_UNSUPPORTED,
                           "built without GPU support (compile with hipcc -x hip or nvcc -x cu to use a GPU)");
#endif
}

EEGNN_API void eegnn_gpu_report(int device, FILE *f) {
    eegnn_gpu_device_info info;
    if (eegnn_gpu_query(device, &info)) {
        fprintf(f, "GPU: none (%s); running on the CPU\n", eegnn_last_error());
        return;
    }
    fprintf(f, "GPU %d: %s %s (%s), %.1f GiB (%.1f GiB free), %d compute units\n", device, info.platform,
            info.name, info.arch, (double)info.total_bytes / 1073741824.0, (double)info.free_bytes / 1073741824.0,
            info.compute_units);
}

/* ---- block states and transfers ---- */

static eegnn__gpu_prof *eegnn__gpu_prof_entry(eegnn__gpu *c, eegnn_op kind, int on_gpu) {
    int i;
    for (i = 0; i < c->n_prof; i++)
        if (c->prof[i].on_gpu == on_gpu && c->prof[i].kind == kind) return &c->prof[i];
    if (c->n_prof == EEGNN__GPU_MAX_PROF) return &c->prof[EEGNN__GPU_MAX_PROF - 1];
    c->prof[c->n_prof].kind = kind;
    c->prof[c->n_prof].on_gpu = on_gpu;
    return &c->prof[c->n_prof++];
}

/* Block range covering [p, p + n) (the whole arena for p NULL); 0 when
 * outside the arena. */
static int eegnn__gpu_range(const eegnn__gpu *c, const void *p, size_t n, size_t *b0, size_t *b1) {
    const unsigned char *q = (const unsigned char *)p;
    if (!p) {
        *b0 = 0;
        *b1 = c->n_blocks;
        return c->n_blocks > 0;
    }
    if (!c->at || q < c->host_base || q >= c->host_base + c->bytes || !n) return 0;
    *b0 = (size_t)(q - c->host_base) / 64u;
    *b1 = ((size_t)(q - c->host_base) + n + 63u) / 64u;
    if (*b1 > c->n_blocks) *b1 = c->n_blocks;
    return 1;
}

static void eegnn__gpu_set(eegnn__gpu *c, const void *p, size_t n, int state) {
    size_t b0, b1;
    if (c->gpu && eegnn__gpu_range(c, p, n, &b0, &b1)) memset(c->at + b0, state, b1 - b0);
}

/* Copies the runs of blocks in [p, p + n) that are current only on `from`
 * to the other side; the blocks become current on both. */
static int eegnn__gpu_move(eegnn__gpu *c, const void *p, size_t n, int from) {
    size_t b0, b1, i, j;
    int err = 0;
    if (!c->gpu || !eegnn__gpu_range(c, p, n, &b0, &b1)) return 0;
    for (i = b0; i < b1; i = j) {
        if (c->at[i] != from) {
            j = i + 1;
            continue;
        }
        for (j = i; j < b1 && c->at[j] == from; j++) c->at[j] = EEGNN__AT_BOTH;
#if EEGNN__GPU
        {
            size_t len = (j - i) * 64u;
            if (i * 64u + len > c->bytes) len = c->bytes - i * 64u;
            if (from == EEGNN__AT_HOST) {
                err |= EEGNN_HIP_CHECK(hipMemcpyAsync(c->dev + i * 64u, c->host_base + i * 64u, len,
                                                      hipMemcpyHostToDevice, c->stream));
                if (c->cur) c->cur->h2d += (double)len;
            } else {
                err |= EEGNN_HIP_CHECK(hipMemcpyAsync(c->host_base + i * 64u, c->dev + i * 64u, len,
                                                      hipMemcpyDeviceToHost, c->stream));
                if (c->cur) c->cur->d2h += (double)len;
            }
            c->pending = 1;
        }
#endif
    }
    return err;
}

static int eegnn__gpu_sync_stream(eegnn__gpu *c) {
#if EEGNN__GPU
    if (c->gpu && c->pending) {
        c->pending = 0;
        return EEGNN_HIP_CHECK(hipStreamSynchronize(c->stream));
    }
#else
    (void)c;
#endif
    return 0;
}

#if EEGNN__GPU
static int eegnn__gpu_to_dev(eegnn__gpu *c, const void *p, size_t n) { return eegnn__gpu_move(c, p, n, EEGNN__AT_HOST); }
#endif

static int eegnn__gpu_to_host(eegnn__gpu *c, const void *p, size_t n) {
    int err = eegnn__gpu_move(c, p, n, EEGNN__AT_DEV);
    return err | eegnn__gpu_sync_stream(c);
}

#if EEGNN__GPU
/* Device address of arena memory p. */
static float *eegnn__gpu_dptr(const eegnn__gpu *c, const void *p) {
    if (!p) return NULL;
    return (float *)(c->dev + ((const unsigned char *)p - c->host_base));
}
#endif

/* Downloads the device-only optimizer state into the optimizer's arrays. */
static int eegnn__gpu_state_to_host(eegnn__gpu *c) {
    int err = 0;
#if EEGNN__GPU
    int i, k;
    for (i = 0; i < c->n_nodes && c->state; i++) {
        eegnn_tensor *t = eegnn_graph_node(c->g, i);
        if (!c->state_ok[i]) continue;
        for (k = 0; k < 3; k++)
            if (c->state[3 * i + k] && c->host_state[3 * i + k])
                err |= EEGNN_HIP_CHECK(hipMemcpy(c->host_state[3 * i + k], c->state[3 * i + k],
                                                 t->numel * sizeof(float), hipMemcpyDeviceToHost));
    }
#else
    (void)c;
#endif
    return err;
}

/* A kernel or copy failed: bring what can be saved to the host and run
 * everything on the CPU from now on. */
static void eegnn__gpu_fall_back(eegnn__gpu *c, const char *op) {
    int i;
    char msg[1024];
    if (!c->gpu) return;
    snprintf(msg, sizeof msg, "%s", eegnn_last_error());
    if (eegnn__gpu_to_host(c, NULL, 0) | eegnn__gpu_state_to_host(c))
        fprintf(stderr, "eegnn: GPU: could not copy all tensors back (%s); the CPU goes on from what it holds\n",
                eegnn_last_error());
    c->gpu = 0;
    for (i = 0; i < c->n_nodes; i++) c->routed[i] = 0;
    if (!c->cfg.quiet)
        fprintf(stderr, "eegnn: GPU: %s failed (%s); continuing on the CPU\n", op, msg);
}

#if EEGNN__GPU
/* Launch check (and the fault injection of cfg.fail_after). */
static int eegnn__gpu_launched(eegnn__gpu *c, const char *what) {
    c->pending = 1;
#if EEGNN__GPU
    {
        hipError_t e = hipGetLastError();
        if (e != hipSuccess) {
            eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "%s: kernel launch: %s", what, hipGetErrorString(e));
            return 1;
        }
    }
#endif
    return 0;
}
#endif

/* ---- GPU versions of the ops ---- */
#if EEGNN__GPU
static unsigned eegnn__gpu_grid(size_t n) {
    size_t b = (n + EEGNN__GT - 1) / EEGNN__GT;
    return (unsigned)(b < 1 ? 1 : (b > 65535 ? 65535 : b));
}

/* Row-major sgemm on device pointers (see eegnn__k_sgemm). */
static void eegnn__gpu_sgemm(hipStream_t s, int ta, int tb, int M, int N, int K, float alpha, const float *A,
                             int lda, const float *B, int ldb, float beta, float *C, int ldc, const float *bias,
                             int act) {
    if ((size_t)M * N >= (size_t)512 * 512) {
        dim3 grid((N + 127) / 128, (M + 127) / 128);
        EEGNN__LAUNCH(EEGNN__K(eegnn__k_sgemm<128, 128, 8, 8, 8>), grid, 256, 0, s, M, N, K, A, lda, ta, B, ldb,
                      tb, C, ldc, alpha, beta, bias, act);
    } else {
        dim3 grid((N + 63) / 64, (M + 63) / 64);
        EEGNN__LAUNCH(EEGNN__K(eegnn__k_sgemm<64, 64, 16, 4, 4>), grid, 256, 0, s, M, N, K, A, lda, ta, B, ldb,
                      tb, C, ldc, alpha, beta, bias, act);
    }
}

/* Threads of a layer-norm block for rows of n: 32, 64 or 128 (a power of
 * two, at most 4 warps of 32). */
static unsigned eegnn__ln_threads(int n) { return n <= 32 ? 32u : n <= 64 ? 64u : 128u; }

static void eegnn__gpu_ew(eegnn__gpu *c, int kind, const float *a, const float *b, float *y, size_t n) {
    EEGNN__LAUNCH(eegnn__k_elementwise, eegnn__gpu_grid(n), EEGNN__GT, 0, c->stream, kind, a, b, y, n);
}

static int eegnn__gpu_fa_dh(int d) { return d <= 16 ? 16 : d <= 32 ? 32 : d <= 64 ? 64 : d <= 128 ? 128 : 0; }

#define EEGNN__FA_LAUNCH(kernel, dh, grid, p)                                                                 \
    do {                                                                                                      \
        if ((dh) == 16) EEGNN__LAUNCH(EEGNN__K(kernel<16>), grid, EEGNN__FA_BQ, 0, c->stream, p);             \
        else if ((dh) == 32) EEGNN__LAUNCH(EEGNN__K(kernel<32>), grid, EEGNN__FA_BQ, 0, c->stream, p);        \
        else if ((dh) == 64) EEGNN__LAUNCH(EEGNN__K(kernel<64>), grid, EEGNN__FA_BQ, 0, c->stream, p);        \
        else EEGNN__LAUNCH(EEGNN__K(kernel<128>), grid, EEGNN__FA_BQ, 0, c->stream, p);                       \
    } while (0)

static void eegnn__gpu_fa_setup(eegnn__gpu *c, const eegnn_sdpa_params *a, eegnn__fa *p) {
    memset(p, 0, sizeof *p);
    p->B = a->batch;
    p->H = a->n_heads;
    p->tq = a->tq;
    p->tk = a->tk;
    p->d = a->head_dim;
    p->qld = a->q_ld;
    p->kld = a->k_ld;
    p->vld = a->v_ld;
    p->width = p->H * p->d;
    p->q = eegnn__gpu_dptr(c, a->q->data) + a->q_offset;
    p->k = eegnn__gpu_dptr(c, a->k->data) + a->k_offset;
    p->v = eegnn__gpu_dptr(c, a->v->data) + a->v_offset;
    p->mask = a->key_padding_mask ? eegnn__gpu_dptr(c, a->key_padding_mask->data) : NULL;
    p->scale = (float)(1.0 / sqrt((double)p->d));
    p->drop = a->dropout_active;
    if (p->drop) {
        double th = (double)a->dropout_p * 4294967296.0;
        p->threshold = th >= 4294967295.0 ? 0xFFFFFFFFu : (unsigned int)th;
        p->keep_scale = 1.0f / (1.0f - a->dropout_p);
        p->seed = (unsigned long long)a->dropout_seed;
    }
}

/* Runs node t's forward on the device; returns nonzero on failure. */
/* Fault injection (cfg.fail_after): the n-th GPU op fails before it runs. */
static int eegnn__gpu_inject(eegnn__gpu *c, const char *what) {
    c->launches++;
    if (c->cfg.fail_after > 0 && c->launches >= c->cfg.fail_after)
        return eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "%s: injected launch failure (fail_after=%d)", what,
                               c->cfg.fail_after) != EEGNN_OK;
    return 0;
}

static int eegnn__gpu_run_fwd(eegnn__gpu *c, eegnn_graph *g, eegnn_tensor *t) {
    const char *op = t->op;
    float *y = eegnn__gpu_dptr(c, t->data);
    if (eegnn__gpu_inject(c, op)) return 1;
    switch (t->kind) {
    case EEGNN_OP_LINEAR: {
        eegnn_linear_params a;
        eegnn_linear_params_of(t, &a);
        eegnn__gpu_sgemm(c->stream, 0, 1, a.rows, a.out_features, a.in_features, 1.0f,
                         eegnn__gpu_dptr(c, a.input->data), a.in_features, eegnn__gpu_dptr(c, a.weight->data),
                         a.in_features, 0.0f, y, a.out_features, a.bias ? eegnn__gpu_dptr(c, a.bias->data) : NULL, 0);
        break;
    }
    case EEGNN_OP_SCALED_DOT_PRODUCT_ATTENTION: {
        eegnn_sdpa_params a;
        eegnn__fa p;
        eegnn_sdpa_draw_dropout(g, t); /* the same draws as the CPU op */
        eegnn_sdpa_params_of(t, &a);
        eegnn__gpu_fa_setup(c, &a, &p);
        p.out = y;
        p.lse = eegnn__gpu_dptr(c, a.lse);
        {
            dim3 grid((p.tq + EEGNN__FA_BQ - 1) / EEGNN__FA_BQ, p.B * p.H);
            int dh = eegnn__gpu_fa_dh(p.d);
            EEGNN__FA_LAUNCH(eegnn__k_fa_fwd, dh, grid, p);
        }
        eegnn__gpu_set(c, a.lse, (size_t)a.batch * a.n_heads * a.tq * sizeof(float), EEGNN__AT_DEV);
        break;
    }
    case EEGNN_OP_LAYER_NORM: {
        eegnn_layer_norm_params a;
        eegnn_layer_norm_params_of(t, &a);
        EEGNN__LAUNCH(eegnn__k_ln_fwd, a.rows, eegnn__ln_threads(a.n), 0, c->stream,
                      eegnn__gpu_dptr(c, a.input->data), y, eegnn__gpu_dptr(c, a.stats),
                      a.weight ? eegnn__gpu_dptr(c, a.weight->data) : NULL,
                      a.bias ? eegnn__gpu_dptr(c, a.bias->data) : NULL, a.n, a.eps);
        eegnn__gpu_set(c, a.stats, 2 * (size_t)a.rows * sizeof(float), EEGNN__AT_DEV);
        break;
    }
    case EEGNN_OP_ADD:
        eegnn__gpu_ew(c, 0, eegnn__gpu_dptr(c, t->src[0]->data), eegnn__gpu_dptr(c, t->src[1]->data), y, t->numel);
        break;
    case EEGNN_OP_RELU:
    case EEGNN_OP_GELU:
        eegnn__gpu_ew(c, t->kind == EEGNN_OP_RELU ? 2 : 4, eegnn__gpu_dptr(c, t->src[0]->data), NULL, y, t->numel);
        break;
    case EEGNN_OP_DROPOUT: {
        eegnn_dropout_params a;
        /* the mask is drawn on the host from the graph's RNG, as the CPU op does */
        if (eegnn__gpu_sync_stream(c)) return 1;
        eegnn_dropout_draw(g, t);
        eegnn_dropout_params_of(t, &a);
        if (!a.active) {
            if (EEGNN_HIP_CHECK(hipMemcpyAsync(y, eegnn__gpu_dptr(c, a.input->data), t->numel * sizeof(float),
                                               hipMemcpyDeviceToDevice, c->stream)))
                return 1;
        } else {
            eegnn__gpu_set(c, a.mask, t->numel * sizeof(float), EEGNN__AT_HOST);
            if (eegnn__gpu_to_dev(c, a.mask, t->numel * sizeof(float))) return 1;
            eegnn__gpu_ew(c, 6, eegnn__gpu_dptr(c, a.input->data), eegnn__gpu_dptr(c, a.mask), y, t->numel);
        }
        break;
    }
    case EEGNN_OP_RESHAPE:
    case EEGNN_OP_FLATTEN:
        if (EEGNN_HIP_CHECK(hipMemcpyAsync(y, eegnn__gpu_dptr(c, t->src[0]->data), t->numel * sizeof(float),
                                           hipMemcpyDeviceToDevice, c->stream)))
            return 1;
        break;
    default:
        return eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "%s: no GPU forward", op) != EEGNN_OK;
    }
    return eegnn__gpu_launched(c, op);
}

static int eegnn__gpu_run_bwd(eegnn__gpu *c, eegnn_graph *g, eegnn_tensor *t) {
    const char *op = t->op;
    eegnn_tensor *x = t->src[0];
    const float *dy = eegnn__gpu_dptr(c, t->grad);
    (void)g;
    if (eegnn__gpu_inject(c, op)) return 1;
    switch (t->kind) {
    case EEGNN_OP_LINEAR: {
        eegnn_linear_params a;
        int rows, in, out;
        eegnn_linear_params_of(t, &a);
        rows = a.rows, in = a.in_features, out = a.out_features;
        if (x->grad) /* dx (R, in) += dy (R, out) @ w (out, in) */
            eegnn__gpu_sgemm(c->stream, 0, 0, rows, in, out, 1.0f, dy, out, eegnn__gpu_dptr(c, a.weight->data), in,
                             1.0f, eegnn__gpu_dptr(c, x->grad), in, NULL, 0);
        if (a.weight->grad) /* dw (out, in) += dy^T (out, R) @ x (R, in) */
            eegnn__gpu_sgemm(c->stream, 1, 0, out, in, rows, 1.0f, dy, out, eegnn__gpu_dptr(c, x->data), in, 1.0f,
                             eegnn__gpu_dptr(c, a.weight->grad), in, NULL, 0);
        if (a.bias && a.bias->grad) {
            dim3 blk(32, 8);
            EEGNN__LAUNCH(eegnn__k_colsum_acc, (out + 31) / 32, blk, 0, c->stream, dy, rows, out,
                          eegnn__gpu_dptr(c, a.bias->grad));
        }
        break;
    }
    case EEGNN_OP_SCALED_DOT_PRODUCT_ATTENTION: {
        eegnn_sdpa_params a;
        eegnn__fa p;
        dim3 grid;
        int dh;
        eegnn_sdpa_params_of(t, &a);
        eegnn__gpu_fa_setup(c, &a, &p);
        p.o = eegnn__gpu_dptr(c, t->data);
        p.dout = dy;
        p.lse_in = eegnn__gpu_dptr(c, a.lse);
        p.delta = c->scratch;
        p.dq = a.q->grad ? eegnn__gpu_dptr(c, a.q->grad) + a.q_offset : NULL;
        p.dk = a.k->grad ? eegnn__gpu_dptr(c, a.k->grad) + a.k_offset : NULL;
        p.dv = a.v->grad ? eegnn__gpu_dptr(c, a.v->grad) + a.v_offset : NULL;
        dh = eegnn__gpu_fa_dh(p.d);
        EEGNN__LAUNCH(eegnn__k_fa_delta, (unsigned)(((size_t)p.B * p.H * p.tq + EEGNN__GT - 1) / EEGNN__GT),
                      EEGNN__GT, 0, c->stream, p);
        if (p.dq) {
            grid = dim3((p.tq + EEGNN__FA_BQ - 1) / EEGNN__FA_BQ, p.B * p.H);
            EEGNN__FA_LAUNCH(eegnn__k_fa_dq, dh, grid, p);
        }
        if (p.dk || p.dv) {
            grid = dim3((p.tk + EEGNN__FA_BQ - 1) / EEGNN__FA_BQ, p.B * p.H);
            EEGNN__FA_LAUNCH(eegnn__k_fa_dkv, dh, grid, p);
        }
        break;
    }
    case EEGNN_OP_LAYER_NORM: {
        eegnn_layer_norm_params a;
        const float *xd, *st;
        eegnn_layer_norm_params_of(t, &a);
        xd = eegnn__gpu_dptr(c, x->data);
        st = eegnn__gpu_dptr(c, a.stats);
        if (x->grad)
            EEGNN__LAUNCH(eegnn__k_ln_bwd_dx, a.rows, eegnn__ln_threads(a.n), 0, c->stream, xd, dy, st,
                          a.weight ? eegnn__gpu_dptr(c, a.weight->data) : NULL, eegnn__gpu_dptr(c, x->grad), a.n);
        if ((a.weight && a.weight->grad) || (a.bias && a.bias->grad)) {
            dim3 blk(32, 8);
            EEGNN__LAUNCH(eegnn__k_ln_bwd_wb, (a.n + 31) / 32, blk, 0, c->stream, xd, dy, st, a.rows, a.n,
                          a.weight && a.weight->grad ? eegnn__gpu_dptr(c, a.weight->grad) : NULL,
                          a.bias && a.bias->grad ? eegnn__gpu_dptr(c, a.bias->grad) : NULL);
        }
        break;
    }
    case EEGNN_OP_ADD:
        if (x->grad) eegnn__gpu_ew(c, 1, dy, NULL, eegnn__gpu_dptr(c, x->grad), t->numel);
        if (t->src[1]->grad) eegnn__gpu_ew(c, 1, dy, NULL, eegnn__gpu_dptr(c, t->src[1]->grad), t->numel);
        break;
    case EEGNN_OP_RELU:
        if (x->grad) eegnn__gpu_ew(c, 3, eegnn__gpu_dptr(c, t->data), dy, eegnn__gpu_dptr(c, x->grad), t->numel);
        break;
    case EEGNN_OP_GELU:
        if (x->grad) eegnn__gpu_ew(c, 5, eegnn__gpu_dptr(c, x->data), dy, eegnn__gpu_dptr(c, x->grad), t->numel);
        break;
    case EEGNN_OP_DROPOUT: {
        eegnn_dropout_params a;
        eegnn_dropout_params_of(t, &a);
        if (x->grad) {
            if (a.active) eegnn__gpu_ew(c, 7, dy, eegnn__gpu_dptr(c, a.mask), eegnn__gpu_dptr(c, x->grad), t->numel);
            else eegnn__gpu_ew(c, 1, dy, NULL, eegnn__gpu_dptr(c, x->grad), t->numel);
        }
        break;
    }
    case EEGNN_OP_RESHAPE:
    case EEGNN_OP_FLATTEN: /* dx += dy */
        if (x->grad) eegnn__gpu_ew(c, 1, dy, NULL, eegnn__gpu_dptr(c, x->grad), t->numel);
        break;
    default:
        return eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "%s: no GPU backward", op) != EEGNN_OK;
    }
    return eegnn__gpu_launched(c, op);
}
#endif /* EEGNN__GPU */

/* 1 when node t can run on the device with routing mask `ops`, given which
 * earlier nodes do (routed). */
static int eegnn__gpu_routable(const eegnn__gpu *c, const eegnn_tensor *t, int ops) {
    int i, from_gpu = 0;
    if (!t->forward) return 0;
    for (i = 0; i < EEGNN_MAX_SRC; i++)
        if (t->src[i] && t->src[i]->forward && c->routed[t->src[i]->index]) from_gpu = 1;
    switch (t->kind) {
    case EEGNN_OP_LINEAR: return (ops & EEGNN_GPU_OP_LINEAR) != 0;
    case EEGNN_OP_SCALED_DOT_PRODUCT_ATTENTION: {
        eegnn_sdpa_params a;
        if (!(ops & EEGNN_GPU_OP_ATTENTION)) return 0;
        eegnn_sdpa_params_of(t, &a);
        if (a.head_dim > 128) {
            if (!c->cfg.quiet)
                fprintf(stderr, "eegnn: GPU: attention head width %d > 128 has no GPU kernel; node %d stays on "
                                "the CPU\n", a.head_dim, t->index);
            return 0;
        }
        return 1;
    }
    case EEGNN_OP_LAYER_NORM: return (ops & EEGNN_GPU_OP_NORM) && from_gpu;
    case EEGNN_OP_ADD:
        return (ops & EEGNN_GPU_OP_ELEMENTWISE) && from_gpu && t->src[1]->numel == t->numel &&
               t->src[0]->numel == t->numel;
    case EEGNN_OP_GELU:
    case EEGNN_OP_RELU:
    case EEGNN_OP_DROPOUT:
    case EEGNN_OP_RESHAPE:
    case EEGNN_OP_FLATTEN: return (ops & EEGNN_GPU_OP_ELEMENTWISE) && from_gpu;
    default: return 0;
    }
}

static void eegnn__gpu_prof_begin(eegnn__gpu *c, const eegnn_tensor *t, int on_gpu, double *t0) {
    c->cur = c->cfg.profile ? eegnn__gpu_prof_entry(c, t->kind, on_gpu) : NULL;
    if (c->cur) {
        c->cur->calls++;
        *t0 = eegnn_time_seconds();
    }
}

static void eegnn__gpu_prof_end(eegnn__gpu *c, double t0) {
    if (!c->cur) return;
    eegnn__gpu_sync_stream(c);
    c->cur->seconds += eegnn_time_seconds() - t0;
    c->cur = NULL;
}

/* CPU node: inputs to the host, run, output current on the host only. */
static void eegnn__gpu_cpu_fwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn__gpu *c = eegnn__gpu_of(g);
    double t0 = 0.0;
    int i;
    eegnn__gpu_prof_begin(c, t, 0, &t0);
    for (i = 0; i < EEGNN_MAX_SRC; i++)
        if (t->src[i] && eegnn__gpu_to_host(c, t->src[i]->data, t->src[i]->numel * sizeof(float)))
            eegnn__gpu_fall_back(c, "copy to host");
    if (eegnn__gpu_sync_stream(c)) eegnn__gpu_fall_back(c, "stream");
    c->fwd[t->index](g, t);
    eegnn__gpu_set(c, t->data, t->numel * sizeof(float), EEGNN__AT_HOST);
    eegnn__gpu_prof_end(c, t0);
}

static void eegnn__gpu_cpu_bwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn__gpu *c = eegnn__gpu_of(g);
    double t0 = 0.0;
    int i, err;
    eegnn__gpu_prof_begin(c, t, 0, &t0);
    err = eegnn__gpu_to_host(c, t->grad, t->numel * sizeof(float)) |
          eegnn__gpu_to_host(c, t->data, t->numel * sizeof(float));
    for (i = 0; i < EEGNN_MAX_SRC; i++) {
        eegnn_tensor *s = t->src[i];
        if (!s) continue;
        err |= eegnn__gpu_to_host(c, s->data, s->numel * sizeof(float));
        if (s->grad) err |= eegnn__gpu_to_host(c, s->grad, s->numel * sizeof(float));
    }
    if (err) eegnn__gpu_fall_back(c, "copy to host");
    c->bwd[t->index](g, t);
    for (i = 0; i < EEGNN_MAX_SRC; i++)
        if (t->src[i] && t->src[i]->grad)
            eegnn__gpu_set(c, t->src[i]->grad, t->src[i]->numel * sizeof(float), EEGNN__AT_HOST);
    eegnn__gpu_prof_end(c, t0);
}

static void eegnn__gpu_dev_fwd(eegnn_graph *g, eegnn_tensor *t) {
#if EEGNN__GPU
    eegnn__gpu *c = eegnn__gpu_of(g);
    double t0 = 0.0;
    int i, err = 0;
    if (c->gpu && c->routed[t->index]) {
        eegnn__gpu_prof_begin(c, t, 1, &t0);
        for (i = 0; i < EEGNN_MAX_SRC; i++)
            if (t->src[i]) err |= eegnn__gpu_to_dev(c, t->src[i]->data, t->src[i]->numel * sizeof(float));
        if (!err) err = eegnn__gpu_run_fwd(c, g, t);
        if (!err) {
            eegnn__gpu_set(c, t->data, t->numel * sizeof(float), EEGNN__AT_DEV);
            eegnn__gpu_prof_end(c, t0);
            return;
        }
        c->cur = NULL;
        eegnn__gpu_fall_back(c, t->op);
    }
#endif
    eegnn__gpu_cpu_fwd(g, t);
}

static void eegnn__gpu_dev_bwd(eegnn_graph *g, eegnn_tensor *t) {
#if EEGNN__GPU
    eegnn__gpu *c = eegnn__gpu_of(g);
    double t0 = 0.0;
    int i, err = 0;
    if (c->gpu && c->routed[t->index]) {
        eegnn__gpu_prof_begin(c, t, 1, &t0);
        err = eegnn__gpu_to_dev(c, t->grad, t->numel * sizeof(float)) |
              eegnn__gpu_to_dev(c, t->data, t->numel * sizeof(float)) |
              eegnn__gpu_to_dev(c, t->aux, t->aux_len * sizeof(float));
        for (i = 0; i < EEGNN_MAX_SRC; i++) {
            eegnn_tensor *s = t->src[i];
            if (!s) continue;
            err |= eegnn__gpu_to_dev(c, s->data, s->numel * sizeof(float));
            if (s->grad) err |= eegnn__gpu_to_dev(c, s->grad, s->numel * sizeof(float));
        }
        if (!err) err = eegnn__gpu_run_bwd(c, g, t);
        if (!err) {
            for (i = 0; i < EEGNN_MAX_SRC; i++)
                if (t->src[i] && t->src[i]->grad)
                    eegnn__gpu_set(c, t->src[i]->grad, t->src[i]->numel * sizeof(float), EEGNN__AT_DEV);
            eegnn__gpu_prof_end(c, t0);
            return;
        }
        c->cur = NULL;
        eegnn__gpu_fall_back(c, t->op);
    }
#endif
    eegnn__gpu_cpu_bwd(g, t);
}

/* ---- graph hooks ---- */

static void eegnn__gpu_h_forward_begin(eegnn_graph *g, void *ctx) {
    eegnn__gpu *c = (eegnn__gpu *)ctx;
    int i;
    if (eegnn__gpu_sync_stream(c)) eegnn__gpu_fall_back(c, "stream");
    for (i = 0; i < c->n_nodes; i++) {
        eegnn_tensor *t = eegnn_graph_node(g, i);
        if (t->flags & EEGNN_TENSOR_INPUT) eegnn__gpu_set(c, t->data, t->numel * sizeof(float), EEGNN__AT_HOST);
    }
}

static void eegnn__gpu_h_forward_end(eegnn_graph *g, void *ctx, eegnn_tensor *last) {
    eegnn__gpu *c = (eegnn__gpu *)ctx;
    (void)g;
    if (eegnn__gpu_to_host(c, last->data, last->numel * sizeof(float))) eegnn__gpu_fall_back(c, "copy to host");
}

static void eegnn__gpu_h_backward_end(eegnn_graph *g, void *ctx) {
    eegnn__gpu *c = (eegnn__gpu *)ctx;
    (void)g;
    if (eegnn__gpu_sync_stream(c)) eegnn__gpu_fall_back(c, "stream");
}

static void eegnn__gpu_h_zeroed(eegnn_graph *g, void *ctx, void *p, size_t n) {
    eegnn__gpu *c = (eegnn__gpu *)ctx;
    (void)g;
    if (!c->gpu) return;
#if EEGNN__GPU
    if (EEGNN_HIP_CHECK(hipMemsetAsync(eegnn__gpu_dptr(c, p), 0, n, c->stream))) {
        eegnn__gpu_set(c, p, n, EEGNN__AT_HOST);
        eegnn__gpu_fall_back(c, "memset");
        return;
    }
    c->pending = 1;
#endif
    eegnn__gpu_set(c, p, n, EEGNN__AT_BOTH);
}

static void eegnn__gpu_h_to_host(eegnn_graph *g, void *ctx, const void *p, size_t n) {
    eegnn__gpu *c = (eegnn__gpu *)ctx;
    (void)g;
    if (eegnn__gpu_to_host(c, p, n)) eegnn__gpu_fall_back(c, "copy to host");
    if (!p && c->gpu && eegnn__gpu_state_to_host(c)) eegnn__gpu_fall_back(c, "copy to host");
}

static void eegnn__gpu_h_host_wrote(eegnn_graph *g, void *ctx, const void *p, size_t n) {
    eegnn__gpu *c = (eegnn__gpu *)ctx;
    (void)g;
    if (!c->gpu) return;
    if (eegnn__gpu_sync_stream(c)) eegnn__gpu_fall_back(c, "stream");
    if (!p) { /* the host state becomes the reference: bring the device's first */
        if (eegnn__gpu_state_to_host(c)) eegnn__gpu_fall_back(c, "copy to host");
        memset(c->state_ok, 0, (size_t)c->n_nodes);
    }
    eegnn__gpu_set(c, p, n, EEGNN__AT_HOST);
}

static int eegnn__gpu_h_param_update(eegnn_graph *g, void *ctx, eegnn_tensor *p, const eegnn_param_update *u) {
    eegnn__gpu *c = (eegnn__gpu *)ctx;
    (void)g;
    if (!c->gpu || !(c->cfg.ops & EEGNN_GPU_OP_OPTIMIZER) || u->type == 3 /* Adamax: host */) return 0;
#if EEGNN__GPU
    {
        size_t b0, b1, i, n = p->numel;
        int k, resident = 0, idx = p->index, err = 0;
        eegnn__opt_args a;
        float *st[3];
        /* update on the device when the gradient is current there (the
         * parameter feeds a GPU node) */
        if (eegnn__gpu_range(c, p->grad, n * sizeof(float), &b0, &b1))
            for (i = b0; i < b1; i++) resident |= c->at[i] == EEGNN__AT_DEV;
        if (!resident && !c->state_ok[idx]) return 0;
        if (!c->state_ok[idx]) {
            float *src[3];
            src[0] = u->state1, src[1] = u->state2, src[2] = u->state3;
            for (k = 0; k < 3; k++) {
                c->host_state[3 * idx + k] = src[k];
                if (src[k])
                    err |= EEGNN_HIP_CHECK(hipMemcpy(c->state[3 * idx + k], src[k], n * sizeof(float),
                                                     hipMemcpyHostToDevice));
            }
            c->state_ok[idx] = 1;
        }
        err |= eegnn__gpu_to_dev(c, p->data, n * sizeof(float)) | eegnn__gpu_to_dev(c, p->grad, n * sizeof(float));
        if (err) {
            eegnn__gpu_fall_back(c, "optimizer");
            return 0;
        }
        memset(&a, 0, sizeof a);
        a.kind = u->type == 2 ? 2 : u->type == 0 ? 1 : 0;
        a.lr = u->lr;
        a.wd = u->weight_decay;
        a.amsgrad = u->amsgrad;
        a.nesterov = u->nesterov;
        a.first = u->step == 1;
        a.momentum = u->momentum;
        a.damp = 1.0f - u->dampening;
        a.b1 = u->beta1;
        a.b2 = u->beta2;
        a.one_b1 = (float)(1.0 - (double)u->beta1);
        a.one_b2 = (float)(1.0 - (double)u->beta2);
        a.eps = u->eps;
        a.step_size = (float)((double)u->lr / (1.0 - pow((double)u->beta1, (double)u->step)));
        a.bc2_sqrt = (float)sqrt(1.0 - pow((double)u->beta2, (double)u->step));
        a.decay = (float)(1.0 - (double)u->lr * (double)u->weight_decay);
        for (k = 0; k < 3; k++) st[k] = c->host_state[3 * idx + k] ? c->state[3 * idx + k] : NULL;
        EEGNN__LAUNCH(eegnn__k_optim, eegnn__gpu_grid(n), EEGNN__GT, 0, c->stream, a, eegnn__gpu_dptr(c, p->data),
                      eegnn__gpu_dptr(c, p->grad), st[0], st[1], u->amsgrad ? st[2] : NULL, n);
        if (eegnn__gpu_launched(c, "optimizer")) {
            eegnn__gpu_fall_back(c, "optimizer");
            return 0;
        }
        eegnn__gpu_set(c, p->data, n * sizeof(float), EEGNN__AT_DEV);
        return 1;
    }
#else
    (void)p;
    (void)u;
    return 0;
#endif
}

static int eegnn__gpu_h_check_finite(eegnn_graph *g, void *ctx, eegnn_tensor *const *params, int n_params, int *bad,
                                     size_t *bad_index) {
    eegnn__gpu *c = (eegnn__gpu *)ctx;
    (void)g;
    if (!c->gpu) return 0;
#if EEGNN__GPU
    {
        int i, err = 0;
        size_t j;
        unsigned int *slots = (unsigned int *)EEGNN_MALLOC((size_t)(n_params ? n_params : 1) * sizeof(unsigned int));
        unsigned char *on_dev = (unsigned char *)EEGNN_MALLOC((size_t)(n_params ? n_params : 1));
        if (!slots || !on_dev) {
            EEGNN_FREE(slots);
            EEGNN_FREE(on_dev);
            return 0;
        }
        err |= EEGNN_HIP_CHECK(hipMemsetAsync(c->bad_dev, 0xFF, (size_t)n_params * sizeof(unsigned int), c->stream));
        for (i = 0; i < n_params; i++) {
            const eegnn_tensor *p = params[i];
            size_t b0, b1;
            on_dev[i] = 0;
            if (!p->grad || (p->flags & EEGNN_TENSOR_FROZEN)) continue;
            if (eegnn__gpu_range(c, p->grad, p->numel * sizeof(float), &b0, &b1))
                for (j = b0; j < b1; j++) on_dev[i] |= c->at[j] == EEGNN__AT_DEV;
            if (on_dev[i])
                EEGNN__LAUNCH(eegnn__k_finite, eegnn__gpu_grid(p->numel), EEGNN__GT, 0, c->stream,
                              eegnn__gpu_dptr(c, p->grad), p->numel, c->bad_dev + i);
        }
        err |= eegnn__gpu_launched(c, "finite check");
        err |= EEGNN_HIP_CHECK(hipMemcpyAsync(slots, c->bad_dev, (size_t)n_params * sizeof(unsigned int),
                                              hipMemcpyDeviceToHost, c->stream));
        c->pending = 1;
        err |= eegnn__gpu_sync_stream(c);
        *bad = -1;
        for (i = 0; !err && i < n_params && *bad < 0; i++) {
            const eegnn_tensor *p = params[i];
            if (!p->grad || (p->flags & EEGNN_TENSOR_FROZEN)) continue;
            if (on_dev[i]) {
                if (slots[i] != 0xFFFFFFFFu) *bad = i, *bad_index = slots[i];
            } else {
                for (j = 0; j < p->numel; j++)
                    if (!isfinite(p->grad[j])) {
                        *bad = i, *bad_index = j;
                        break;
                    }
            }
        }
        EEGNN_FREE(slots);
        EEGNN_FREE(on_dev);
        if (err) {
            eegnn__gpu_fall_back(c, "finite check");
            return 0;
        }
        return 1;
    }
#else
    (void)params;
    (void)n_params;
    (void)bad;
    (void)bad_index;
    return 0;
#endif
}

static eegnn__gpu *eegnn__gpu_of(const eegnn_graph *g) {
    const eegnn_graph_hooks *h = eegnn_graph_get_hooks(g);
    return h && h->forward_begin == eegnn__gpu_h_forward_begin ? (eegnn__gpu *)h->ctx : NULL;
}

static void eegnn__gpu_free_ctx(eegnn__gpu *c) {
    if (!c) return;
#if EEGNN__GPU
    if (c->dev) {
        int i;
        hipStreamSynchronize(c->stream);
        for (i = 0; c->state && i < c->n_nodes; i++)
            if (c->state[3 * i]) hipFree(c->state[3 * i]);
        hipFree(c->dev);
        hipFree(c->scratch);
        hipFree(c->bad_dev);
        hipStreamDestroy(c->stream);
    }
    if (c->pinned) hipHostUnregister(c->host_base);
#endif
    EEGNN_FREE(c->fwd);
    EEGNN_FREE(c->routed);
    EEGNN_FREE(c->at);
    EEGNN_FREE(c->state);
    EEGNN_FREE(c);
}

/* Allocates the device side: the arena mirror, scratch, optimizer state
 * slots, the stream. Returns nonzero (error set) on failure. */
static int eegnn__gpu_open(eegnn__gpu *c) {
#if EEGNN__GPU
    int i;
    eegnn_graph *g = c->g;
    if (EEGNN_HIP_CHECK(hipSetDevice(c->cfg.device))) return 1;
    if (EEGNN_HIP_CHECK(hipStreamCreate(&c->stream))) return 1;
    if (EEGNN_HIP_CHECK(hipMalloc((void **)&c->dev, c->bytes + 64))) {
        c->dev = NULL;
        hipStreamDestroy(c->stream);
        return 1;
    }
    c->pinned = hipHostRegister(c->host_base, c->bytes, hipHostRegisterDefault) == hipSuccess;
    if (!c->pinned) (void)hipGetLastError();
    c->scratch_floats = 1;
    for (i = 0; i < c->n_nodes; i++) {
        eegnn_tensor *t = eegnn_graph_node(g, i);
        eegnn_sdpa_params a;
        if (c->routed[i] && t->kind == EEGNN_OP_SCALED_DOT_PRODUCT_ATTENTION && !eegnn_sdpa_params_of(t, &a) &&
            (size_t)a.batch * a.n_heads * a.tq > c->scratch_floats)
            c->scratch_floats = (size_t)a.batch * a.n_heads * a.tq;
    }
    if (EEGNN_HIP_CHECK(hipMalloc((void **)&c->scratch, c->scratch_floats * sizeof(float))) ||
        EEGNN_HIP_CHECK(hipMalloc((void **)&c->bad_dev, (size_t)(c->n_nodes + 1) * sizeof(unsigned int))))
        return 1;
    for (i = 0; i < c->n_nodes; i++) { /* optimizer state: 3 arrays per parameter, allocated once */
        eegnn_tensor *t = eegnn_graph_node(g, i);
        if (!(t->flags & EEGNN_TENSOR_PARAM) || !(c->cfg.ops & EEGNN_GPU_OP_OPTIMIZER)) continue;
        if (EEGNN_HIP_CHECK(hipMalloc((void **)&c->state[3 * i], 3 * t->numel * sizeof(float)))) {
            c->state[3 * i] = NULL;
            return 1;
        }
        c->state[3 * i + 1] = c->state[3 * i] + t->numel;
        c->state[3 * i + 2] = c->state[3 * i] + 2 * t->numel;
    }
    return 0;
#else
    (void)c;
    return eegnn_set_error(EEGNN_ERR_UNSUPPORTED,
                           "built without GPU support (compile with hipcc -x hip or nvcc -x cu to use a GPU)");
#endif
}

EEGNN_API eegnn_status eegnn_gpu_attach(eegnn_graph *g, const eegnn_gpu_config *cfg) {
    eegnn__gpu *c;
    eegnn_gpu_device_info info;
    eegnn_graph_hooks h;
    eegnn_status st;
    int i, n, ops;
    const char *env;
    unsigned char *base;
    if (!g) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_gpu_attach: graph is NULL");
    if (eegnn__gpu_of(g)) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_gpu_attach: graph is already attached");
    st = eegnn_graph_prepare(g);
    if (st) return st;
    n = eegnn_graph_n_nodes(g);
    c = (eegnn__gpu *)eegnn__calloc(1, sizeof *c);
    if (!c) return EEGNN_ERR_MEMORY;
    if (cfg) c->cfg = *cfg;
    c->g = g;
    c->n_nodes = n;
    env = getenv("EEGNN_GPU_FAIL_AFTER");
    if (env && !c->cfg.fail_after) c->cfg.fail_after = atoi(env);
    ops = c->cfg.ops;
    env = getenv("EEGNN_GPU_OPS");
    if (ops == 0 && env && eegnn_gpu_parse_ops(env, &ops)) {
        EEGNN_FREE(c);
        return EEGNN_ERR_ARG;
    }
    if (ops == 0 && !env) ops = EEGNN_GPU_OP_DEFAULT;
    if (ops < 0) ops = 0;
    c->cfg.ops = ops;
    c->fwd = (eegnn_op_fn *)eegnn__calloc(2 * (size_t)(n ? n : 1), sizeof(eegnn_op_fn));
    c->routed = (unsigned char *)eegnn__calloc(2 * (size_t)(n ? n : 1), 1);
    c->state = (float **)eegnn__calloc(6 * (size_t)(n ? n : 1), sizeof(float *));
    if (!c->fwd || !c->routed || !c->state) {
        eegnn__gpu_free_ctx(c);
        return EEGNN_ERR_MEMORY;
    }
    c->bwd = c->fwd + n;
    c->state_ok = c->routed + n;
    c->host_state = c->state + 3 * (size_t)n;
    base = (unsigned char *)eegnn_graph_arena_base(g);
    c->host_base = base;
    c->bytes = eegnn_graph_arena_size(g) + 64;
    c->n_blocks = (c->bytes + 63u) / 64u;

    st = eegnn_gpu_query(c->cfg.device, &info);
    if (!st) {
        for (i = 0; i < n; i++) {
            eegnn_tensor *t = eegnn_graph_node(g, i);
            c->routed[i] = (unsigned char)eegnn__gpu_routable(c, t, ops);
        }
        c->at = (unsigned char *)eegnn__calloc(c->n_blocks, 1);
        if (!c->at) st = EEGNN_ERR_MEMORY;
        else memset(c->at, EEGNN__AT_HOST, c->n_blocks);
        if (!st && eegnn__gpu_open(c)) st = EEGNN_ERR_UNSUPPORTED;
        if (!st) c->gpu = 1;
    }
    if (st) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", eegnn_last_error());
        if (!c->cfg.profile) {
            eegnn__gpu_free_ctx(c);
            return eegnn_set_error(st, "%s", msg);
        }
        /* profiling only: every node stays on the CPU */
        eegnn__gpu_free_ctx(c);
        c = (eegnn__gpu *)eegnn__calloc(1, sizeof *c);
        if (!c) return EEGNN_ERR_MEMORY;
        if (cfg) c->cfg = *cfg;
        c->g = g;
        c->n_nodes = n;
        c->fwd = (eegnn_op_fn *)eegnn__calloc(2 * (size_t)(n ? n : 1), sizeof(eegnn_op_fn));
        c->routed = (unsigned char *)eegnn__calloc(2 * (size_t)(n ? n : 1), 1);
        if (!c->fwd || !c->routed) {
            eegnn__gpu_free_ctx(c);
            return EEGNN_ERR_MEMORY;
        }
        c->bwd = c->fwd + n;
        c->state_ok = c->routed + n;
        eegnn_set_error(st, "%s", msg);
    }
    for (i = 0; i < n; i++) {
        eegnn_tensor *t = eegnn_graph_node(g, i);
        c->fwd[i] = t->forward;
        c->bwd[i] = t->backward;
        if (t->forward) t->forward = c->routed[i] ? eegnn__gpu_dev_fwd : eegnn__gpu_cpu_fwd;
        if (t->backward) t->backward = c->routed[i] ? eegnn__gpu_dev_bwd : eegnn__gpu_cpu_bwd;
    }
    memset(&h, 0, sizeof h);
    h.ctx = c;
    h.forward_begin = eegnn__gpu_h_forward_begin;
    h.forward_end = eegnn__gpu_h_forward_end;
    h.backward_end = eegnn__gpu_h_backward_end;
    h.zeroed = eegnn__gpu_h_zeroed;
    h.to_host = eegnn__gpu_h_to_host;
    h.host_wrote = eegnn__gpu_h_host_wrote;
    h.param_update = eegnn__gpu_h_param_update;
    h.check_finite = eegnn__gpu_h_check_finite;
    eegnn_graph_set_hooks(g, &h, &c->old_hooks);
    return st;
}

EEGNN_API void eegnn_gpu_detach(eegnn_graph *g) {
    eegnn__gpu *c = eegnn__gpu_of(g);
    int i;
    if (!c) return;
    if (c->gpu && (eegnn__gpu_to_host(c, NULL, 0) | eegnn__gpu_state_to_host(c)))
        fprintf(stderr, "eegnn: GPU: detach could not copy every tensor back: %s\n", eegnn_last_error());
    for (i = 0; i < c->n_nodes; i++) {
        eegnn_tensor *t = eegnn_graph_node(g, i);
        t->forward = c->fwd[i];
        t->backward = c->bwd[i];
    }
    eegnn_graph_set_hooks(g, c->old_hooks.forward_begin || c->old_hooks.to_host ? &c->old_hooks : NULL, NULL);
    eegnn__gpu_free_ctx(c);
}

EEGNN_API int eegnn_gpu_active(const eegnn_graph *g) {
    const eegnn__gpu *c = eegnn__gpu_of(g);
    return c && c->gpu;
}

EEGNN_API int eegnn_gpu_n_routed(const eegnn_graph *g) {
    const eegnn__gpu *c = eegnn__gpu_of(g);
    int i, n = 0;
    if (!c || !c->gpu) return 0;
    for (i = 0; i < c->n_nodes; i++) n += c->routed[i];
    return n;
}

EEGNN_API void eegnn_gpu_print_profile(const eegnn_graph *g, FILE *f) {
    const eegnn__gpu *c = eegnn__gpu_of(g);
    int i;
    double total = 0.0;
    if (!c || !f) return;
    fprintf(f, "%-30s %-4s %8s %10s %10s %10s\n", "op", "on", "calls", "ms", "MB to GPU", "MB to CPU");
    for (i = 0; i < c->n_prof; i++) {
        const eegnn__gpu_prof *p = &c->prof[i];
        fprintf(f, "%-30s %-4s %8ld %10.2f %10.2f %10.2f\n", eegnn_op_name(p->kind), p->on_gpu ? "gpu" : "cpu",
                p->calls, p->seconds * 1e3, p->h2d / 1048576.0, p->d2h / 1048576.0);
        total += p->seconds;
    }
    fprintf(f, "%-30s %-4s %8s %10.2f\n", "total", "", "", total * 1e3);
}

EEGNN_API int eegnn_gpu_suggest_batch(const char *model, const eegnn_model_config *mc, size_t free_bytes) {
    size_t used[2];
    int b, bs;
    double per, fixed, avail;
    for (b = 1; b <= 2; b++) {
        eegnn_graph_config gc;
        eegnn_graph *g;
        eegnn_tensor *x, *out;
        int xs[3];
        memset(&gc, 0, sizeof gc);
        gc.arena_bytes = (size_t)1 << 30;
        gc.n_threads = 1;
        g = eegnn_graph_create(&gc);
        if (!g) return 0;
        xs[0] = b;
        xs[1] = mc->n_chans;
        xs[2] = mc->n_times;
        x = eegnn_input(g, "x", 3, xs);
        out = eegnn_model_build(g, model, x, mc);
        if (!out || eegnn_graph_prepare(g)) {
            eegnn_graph_free(g);
            return 0;
        }
        used[b - 1] = eegnn_graph_arena_used(g);
        eegnn_graph_free(g);
    }
    per = (double)used[1] - (double)used[0];
    fixed = (double)used[0] - per;
    avail = 0.9 * (double)free_bytes - fixed;
    if (per <= 0.0 || avail < per) return avail >= per || per <= 0.0 ? 1 : 0;
    for (bs = 1; (double)bs * 2.0 * per <= avail && bs < (1 << 20); bs *= 2) {
    }
    return bs;
}

EEGNN_API void eegnn_gpu_train_on_graph(eegnn_graph *g, void *user) {
    const eegnn_gpu_config *cfg = (const eegnn_gpu_config *)user;
    int quiet = cfg && cfg->quiet;
    eegnn_status st;
    if (!quiet) eegnn_gpu_report(cfg ? cfg->device : 0, stderr);
    st = eegnn_gpu_attach(g, cfg);
    if (st && !quiet) fprintf(stderr, "eegnn: GPU not used (%s); training on the CPU\n", eegnn_last_error());
    else if (!st && !quiet)
        fprintf(stderr, "eegnn: GPU: %d of %d nodes on the GPU\n", eegnn_gpu_n_routed(g), eegnn_graph_n_nodes(g));
}

EEGNN_API void eegnn_gpu_train_on_graph_free(eegnn_graph *g, void *user) {
    const eegnn_gpu_config *cfg = (const eegnn_gpu_config *)user;
    if (cfg && cfg->profile) eegnn_gpu_print_profile(g, stderr);
    eegnn_gpu_detach(g);
}

