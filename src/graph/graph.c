/* Arena, tensor nodes and the forward/backward engine. */

struct eegnn_graph {
    unsigned char *arena;
    size_t arena_size, arena_used;
    int owns_arena;
    eegnn_tensor **nodes; /* (max_nodes) */
    int n_nodes, max_nodes;
    int training;
    eegnn_threadpool *pool;
    int n_threads;
    eegnn_rng rng;
    size_t scratch_per_task;  /* floats requested */
    size_t scratch_allocated; /* floats per task actually carved */
    float *scratch;           /* (n_threads, scratch_allocated) */
    /* gradient plan (eegnn__plan_grads), arrays of max_nodes */
    int planned_nodes; /* nodes covered by the plan; -1: none */
    int *grad_first;   /* node: index of the backward that first writes its gradient buffer */
    int *zero_head;    /* node j: first buffer owner to zero before j's backward, or -1 */
    int *zero_next;    /* owner: next owner in the same list, or -1 */
    int *owner;        /* node: node whose buffer it shares (itself when it owns one), -1: none */
    int *plan_tmp;     /* node: writers of its gradient, then the lowest node sharing its buffer */
    eegnn_graph_hooks hooks; /* accelerator hooks (eegnn_graph_set_hooks) */
    int has_hooks;
};

/* Marks a node whose gradient buffer is not planned yet (never written). */
static float eegnn__grad_unplanned[1];

EEGNN_API void *eegnn_graph_alloc(eegnn_graph *g, size_t n_bytes) {
    size_t start = (g->arena_used + 63u) & ~(size_t)63u;
    if (start > g->arena_size || n_bytes > g->arena_size - start) {
        eegnn_set_error(EEGNN_ERR_MEMORY,
                        "graph arena full: %zu bytes requested, %zu of %zu in use "
                        "(raise eegnn_graph_config.arena_bytes)",
                        n_bytes, g->arena_used, g->arena_size);
        return NULL;
    }
    g->arena_used = start + n_bytes;
    memset(g->arena + start, 0, n_bytes);
    return g->arena + start;
}

EEGNN_API eegnn_graph *eegnn_graph_create(const eegnn_graph_config *cfg) {
    eegnn_graph_config c;
    eegnn_graph *g;
    memset(&c, 0, sizeof c);
    if (cfg) c = *cfg;
    if (!c.arena_bytes) c.arena_bytes = (size_t)64 << 20;
    if (c.max_nodes <= 0) c.max_nodes = 4096;
    g = (eegnn_graph *)eegnn__calloc(1, sizeof *g);
    if (!g) return NULL;
    if (c.arena_buffer) {
        g->arena = (unsigned char *)c.arena_buffer;
    } else {
        g->arena = (unsigned char *)EEGNN_MALLOC(c.arena_bytes + 64);
        if (!g->arena) {
            EEGNN_FREE(g);
            eegnn_set_error(EEGNN_ERR_MEMORY, "cannot allocate a graph arena of %zu bytes", c.arena_bytes);
            return NULL;
        }
        g->owns_arena = 1;
    }
    g->arena_size = c.arena_bytes;
    /* align the usable start to 64 bytes */
    g->arena_used = (size_t)((64 - ((uintptr_t)g->arena & 63u)) & 63u);
    g->max_nodes = c.max_nodes;
    g->training = 1;
    g->n_threads = c.n_threads > 0 ? c.n_threads : eegnn_cpu_count();
    eegnn_rng_seed(&g->rng, c.seed);
    g->nodes = (eegnn_tensor **)eegnn__calloc((size_t)c.max_nodes, sizeof(eegnn_tensor *));
    g->planned_nodes = -1;
    g->grad_first = (int *)eegnn__calloc((size_t)c.max_nodes * 5, sizeof(int));
    if (g->grad_first) {
        g->zero_head = g->grad_first + c.max_nodes;
        g->zero_next = g->zero_head + c.max_nodes;
        g->owner = g->zero_next + c.max_nodes;
        g->plan_tmp = g->owner + c.max_nodes;
    }
    if (!g->nodes || !g->grad_first) {
        eegnn_graph_free(g);
        return NULL;
    }
    if (g->n_threads > 1) {
        g->pool = eegnn_threadpool_create(g->n_threads);
        if (!g->pool) {
            eegnn_graph_free(g);
            return NULL;
        }
    }
    return g;
}

EEGNN_API void eegnn_graph_free(eegnn_graph *g) {
    if (!g) return;
    eegnn_threadpool_free(g->pool);
    if (g->owns_arena) EEGNN_FREE(g->arena);
    EEGNN_FREE(g->nodes);
    EEGNN_FREE(g->grad_first);
    EEGNN_FREE(g);
}

EEGNN_API char *eegnn_shape_str(const eegnn_tensor *t, char *buf, size_t buf_size) {
    size_t used = 0;
    int i;
    if (!buf_size) return buf;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, buf_size, "(");
    for (i = 0; i < t->ndim && used < buf_size; i++)
        used += (size_t)snprintf(buf + used, buf_size - used, i ? ", %d" : "%d", t->shape[i]);
    if (used < buf_size) snprintf(buf + used, buf_size - used, ")");
    return buf;
}

static const char *const eegnn__op_names[EEGNN_OP_COUNT] = {
    "none",
    "custom",
    "linear",
    "matmul",
    "conv1d",
    "conv2d",
    "bias_add",
    "add",
    "add_broadcast",
    "mul_broadcast",
    "mul",
    "scale",
    "relu",
    "elu",
    "gelu",
    "tanh",
    "sigmoid",
    "silu",
    "exp",
    "square",
    "clamp",
    "safe_log",
    "softmax",
    "log_softmax",
    "reshape",
    "flatten",
    "permute",
    "concat",
    "slice",
    "mean_dim",
    "renorm",
    "embedding",
    "dropout",
    "dropout2d",
    "layer_norm",
    "batch_norm_stats",
    "batch_norm",
    "avg_pool1d",
    "max_pool1d",
    "avg_pool2d",
    "max_pool2d",
    "global_avg_pool",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "mse_loss",
    "l1_loss",
    "cross_entropy_loss",
    "bce_with_logits_loss",
    "rfft_power",
    "band_power",
    "scaled_dot_product_attention",
    "weight_norm",
    "positional_encoding",
    "positional_embedding",
    "eegnex_stem",
};

EEGNN_API const char *eegnn_op_name(eegnn_op op) {
    return (int)op >= 0 && op < EEGNN_OP_COUNT ? eegnn__op_names[op] : "unknown";
}

static eegnn_tensor *eegnn__new_node(eegnn_graph *g, eegnn_op kind, const char *op, int ndim, const int *shape,
                                     eegnn_tensor *const *src, int n_src) {
    eegnn_tensor *t;
    int i, needs_grad = 0;
    size_t numel;
    if (!g) return NULL;
    for (i = 0; i < n_src; i++) {
        if (!src[i]) return NULL; /* an earlier constructor failed; its error stands */
        if (src[i]->grad) needs_grad = 1;
    }
    if (ndim < 0 || ndim > EEGNN_MAX_DIMS || n_src > EEGNN_MAX_SRC) {
        eegnn_set_error(EEGNN_ERR_ARG, "%s: %d dimensions / %d inputs (at most %d / %d)", op, ndim, n_src,
                        EEGNN_MAX_DIMS, EEGNN_MAX_SRC);
        return NULL;
    }
    for (i = 0; i < ndim; i++) {
        if (shape[i] <= 0) {
            eegnn_set_error(EEGNN_ERR_ARG, "%s: dimension %d of the output has size %d", op, i, shape[i]);
            return NULL;
        }
    }
    if (g->n_nodes >= g->max_nodes) {
        eegnn_set_error(EEGNN_ERR_MEMORY, "%s: graph holds %d nodes (raise eegnn_graph_config.max_nodes)", op,
                        g->max_nodes);
        return NULL;
    }
    numel = eegnn__shape_numel(ndim, shape);
    t = (eegnn_tensor *)eegnn_graph_alloc(g, sizeof *t);
    if (!t) return NULL;
    t->owner = g;
    t->data = (float *)eegnn_graph_alloc(g, numel * sizeof(float));
    if (!t->data) return NULL;
    if (needs_grad) t->grad = eegnn__grad_unplanned; /* buffer assigned by eegnn__plan_grads */
    t->ndim = ndim;
    for (i = 0; i < ndim; i++) t->shape[i] = shape[i];
    t->numel = numel;
    t->op = op;
    t->kind = kind;
    for (i = 0; i < n_src; i++) t->src[i] = src[i];
    t->index = g->n_nodes;
    g->nodes[g->n_nodes++] = t;
    return t;
}

EEGNN_API eegnn_tensor *eegnn_graph_new_op(eegnn_graph *g, eegnn_op op, int ndim, const int *shape,
                                           eegnn_tensor *const *src, int n_src) {
    return eegnn__new_node(g, op, eegnn_op_name(op), ndim, shape, src, n_src);
}

EEGNN_API eegnn_tensor *eegnn_graph_new_node(eegnn_graph *g, const char *name, int ndim, const int *shape,
                                             eegnn_tensor *const *src, int n_src) {
    return eegnn__new_node(g, EEGNN_OP_CUSTOM, name ? name : "custom", ndim, shape, src, n_src);
}

EEGNN_API void eegnn_tensor_set_name(eegnn_tensor *t, const char *name) {
    if (!t || !name) return;
    strncpy(t->name, name, EEGNN_NAME_MAX - 1);
    t->name[EEGNN_NAME_MAX - 1] = '\0';
}

static eegnn_tensor *eegnn__leaf(eegnn_graph *g, const char *op, const char *name, int ndim, const int *shape,
                                 int flags) {
    eegnn_tensor *t;
    if (!g) return NULL;
    if (!shape && ndim > 0) {
        eegnn_set_error(EEGNN_ERR_ARG, "%s '%s': shape is NULL", op, name ? name : "");
        return NULL;
    }
    t = eegnn__new_node(g, EEGNN_OP_NONE, op, ndim, shape, NULL, 0);
    if (!t) return NULL;
    if (flags & EEGNN_TENSOR_PARAM) {
        t->grad = (float *)eegnn_graph_alloc(g, t->numel * sizeof(float));
        if (!t->grad) return NULL;
    }
    t->flags = flags;
    eegnn_tensor_set_name(t, name ? name : "");
    return t;
}

EEGNN_API eegnn_tensor *eegnn_input(eegnn_graph *g, const char *name, int ndim, const int *shape) {
    return eegnn__leaf(g, "input", name, ndim, shape, EEGNN_TENSOR_INPUT);
}

EEGNN_API eegnn_tensor *eegnn_param(eegnn_graph *g, const char *name, int ndim, const int *shape) {
    return eegnn__leaf(g, "param", name, ndim, shape, EEGNN_TENSOR_PARAM);
}

EEGNN_API eegnn_tensor *eegnn_buffer(eegnn_graph *g, const char *name, int ndim, const int *shape) {
    return eegnn__leaf(g, "buffer", name, ndim, shape, EEGNN_TENSOR_BUFFER);
}

static eegnn_status eegnn__ensure_scratch(eegnn_graph *g) {
    if (g->scratch_per_task > g->scratch_allocated) {
        size_t per = (g->scratch_per_task + 15u) & ~(size_t)15u;
        float *s = (float *)eegnn_graph_alloc(g, per * (size_t)g->n_threads * sizeof(float));
        if (!s) return EEGNN_ERR_MEMORY;
        g->scratch = s;
        g->scratch_allocated = per;
    }
    return EEGNN_OK;
}

EEGNN_API void eegnn_graph_reserve_scratch(eegnn_graph *g, size_t n_floats) {
    if (g && n_floats > g->scratch_per_task) g->scratch_per_task = n_floats;
}

EEGNN_API float *eegnn_graph_scratch(eegnn_graph *g, int task) {
    EEGNN_ASSERT(task >= 0 && task < g->n_threads);
    return g->scratch + (size_t)task * g->scratch_allocated;
}

EEGNN_API int eegnn_graph_n_threads(const eegnn_graph *g) { return g->n_threads; }

/* ---- gradient plan ---------------------------------------------------------- */

typedef struct eegnn__grad_block {
    size_t size;   /* floats, rounded up to 64 bytes */
    size_t offset; /* floats into the pool */
    int node;      /* owner */
    int lo, hi;    /* live from the backward of node hi down to that of node lo */
} eegnn__grad_block;

/* Largest first; ties in node order, so the plan is deterministic. */
static int eegnn__grad_block_by_size(const void *a, const void *b) {
    const eegnn__grad_block *x = (const eegnn__grad_block *)a, *y = (const eegnn__grad_block *)b;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    return x->node - y->node;
}

static int eegnn__grad_block_by_offset(const void *a, const void *b) {
    const eegnn__grad_block *x = *(const eegnn__grad_block *const *)a, *y = *(const eegnn__grad_block *const *)b;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    return 0;
}

static int eegnn__grad_pooled(const eegnn_tensor *t) {
    return t->grad && !(t->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_RETAIN_GRAD));
}

/* Assigns every intermediate gradient a buffer: retained ones their own,
 * the others a share of one pool. Buffers are placed largest first at the
 * lowest offset that no buffer live at an overlapping time occupies
 * (greedy by size, as in TensorFlow Lite's arena planner). */
static eegnn_status eegnn__plan_grads(eegnn_graph *g) {
    int n = g->n_nodes, i, j, k, n_blocks = 0;
    int *first = g->grad_first, *owner = g->owner, *tmp = g->plan_tmp;
    eegnn__grad_block *blocks = NULL, **live = NULL;
    size_t total = 0;
    float *pool;
    if (g->planned_nodes == n) return EEGNN_OK;
    for (i = 0; i < n; i++) {
        first[i] = i;
        owner[i] = -1;
        tmp[i] = 0;
        g->zero_head[i] = g->zero_next[i] = -1;
    }
    /* the backward of a node with a gradient adds into its inputs' gradients */
    for (j = 0; j < n; j++) {
        eegnn_tensor *t = g->nodes[j];
        if (!t->grad || !t->backward) continue;
        for (k = 0; k < EEGNN_MAX_SRC; k++) {
            eegnn_tensor *s = t->src[k];
            if (!s || !s->grad) continue;
            if (j > first[s->index]) first[s->index] = j;
            tmp[s->index]++;
        }
    }
    /* owners: an in-place op is its input's only writer and shares its buffer */
    for (j = n - 1; j >= 0; j--) {
        eegnn_tensor *t = g->nodes[j], *x = t->src[0];
        if (!eegnn__grad_pooled(t)) continue;
        if (owner[j] < 0) owner[j] = j;
        if ((t->flags & EEGNN_TENSOR_GRAD_IN_PLACE) && t->backward && x && eegnn__grad_pooled(x) &&
            tmp[x->index] == 1 && x->numel == t->numel)
            owner[x->index] = owner[j];
    }
    for (i = 0; i < n; i++) tmp[i] = -1;
    for (i = 0; i < n; i++)
        if (owner[i] >= 0) {
            if (tmp[owner[i]] < 0) tmp[owner[i]] = i; /* lowest node of the group */
            if (owner[i] == i) n_blocks++;
        }
    if (n_blocks) {
        blocks = (eegnn__grad_block *)eegnn__calloc((size_t)n_blocks, sizeof *blocks);
        live = (eegnn__grad_block **)eegnn__calloc((size_t)n_blocks, sizeof *live);
        if (!blocks || !live) {
            EEGNN_FREE(blocks);
            EEGNN_FREE(live);
            return EEGNN_ERR_MEMORY;
        }
    }
    for (i = 0, k = 0; i < n; i++)
        if (owner[i] == i) {
            blocks[k].size = (g->nodes[i]->numel + 15u) & ~(size_t)15u;
            blocks[k].node = i;
            blocks[k].lo = tmp[i];
            blocks[k].hi = first[i];
            k++;
        }
    if (n_blocks) qsort(blocks, (size_t)n_blocks, sizeof *blocks, eegnn__grad_block_by_size);
    for (i = 0; i < n_blocks; i++) {
        int n_live = 0;
        size_t at = 0;
        for (k = 0; k < i; k++)
            if (blocks[k].lo <= blocks[i].hi && blocks[i].lo <= blocks[k].hi) live[n_live++] = &blocks[k];
        if (n_live) qsort(live, (size_t)n_live, sizeof *live, eegnn__grad_block_by_offset);
        for (k = 0; k < n_live; k++) {
            if (live[k]->offset >= at + blocks[i].size) break; /* the gap before it fits */
            if (live[k]->offset + live[k]->size > at) at = live[k]->offset + live[k]->size;
        }
        blocks[i].offset = at;
        if (at + blocks[i].size > total) total = at + blocks[i].size;
    }
    EEGNN_FREE(live);
    pool = total ? (float *)eegnn_graph_alloc(g, total * sizeof(float)) : NULL;
    if (total && !pool) {
        EEGNN_FREE(blocks);
        return EEGNN_ERR_MEMORY;
    }
    for (i = 0; i < n_blocks; i++) {
        int r = blocks[i].node;
        g->nodes[r]->grad = pool + blocks[i].offset;
        g->zero_next[r] = g->zero_head[first[r]];
        g->zero_head[first[r]] = r;
    }
    EEGNN_FREE(blocks);
    for (i = 0; i < n; i++) {
        eegnn_tensor *t = g->nodes[i];
        if (owner[i] >= 0 && owner[i] != i) t->grad = g->nodes[owner[i]]->grad;
        if (t->grad == eegnn__grad_unplanned) { /* retained */
            t->grad = (float *)eegnn_graph_alloc(g, t->numel * sizeof(float));
            if (!t->grad) {
                t->grad = eegnn__grad_unplanned;
                return EEGNN_ERR_MEMORY;
            }
        }
    }
    g->planned_nodes = n;
    return EEGNN_OK;
}

EEGNN_API eegnn_status eegnn_graph_prepare(eegnn_graph *g) {
    eegnn_status st;
    if (!g) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_graph_prepare: graph is NULL");
    st = eegnn__plan_grads(g);
    if (st) return st;
    return eegnn__ensure_scratch(g);
}

EEGNN_API void eegnn_tensor_retain_grad(eegnn_tensor *t) {
    if (t && t->grad && !(t->flags & EEGNN_TENSOR_PARAM)) t->flags |= EEGNN_TENSOR_RETAIN_GRAD;
}

EEGNN_API eegnn_status eegnn_graph_forward_to(eegnn_graph *g, eegnn_tensor *last) {
    int i, end;
    eegnn_status st;
    if (!g) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_graph_forward: graph is NULL");
    st = eegnn_graph_prepare(g);
    if (st) return st;
    end = last ? last->index : g->n_nodes - 1;
    if (g->has_hooks && g->hooks.forward_begin) g->hooks.forward_begin(g, g->hooks.ctx);
    for (i = 0; i <= end; i++) {
        eegnn_tensor *t = g->nodes[i];
        if (t->forward) t->forward(g, t);
    }
    if (g->has_hooks && g->hooks.forward_end && end >= 0) g->hooks.forward_end(g, g->hooks.ctx, g->nodes[end]);
    return EEGNN_OK;
}

EEGNN_API eegnn_status eegnn_graph_forward(eegnn_graph *g) { return eegnn_graph_forward_to(g, NULL); }

EEGNN_API eegnn_status eegnn_graph_backward(eegnn_graph *g, eegnn_tensor *loss) {
    int i;
    eegnn_status st;
    if (!g || !loss) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_graph_backward: graph or loss is NULL");
    if (loss->numel != 1)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_graph_backward: loss '%s' has %zu elements, expected 1",
                               loss->op, loss->numel);
    if (!loss->grad)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_graph_backward: loss does not depend on any parameter");
    st = eegnn_graph_prepare(g);
    if (st) return st;
    /* zero the buffers live when backward starts; the others just before
     * the backward that first writes them */
    for (i = 0; i <= loss->index; i++) {
        eegnn_tensor *t = g->nodes[i];
        if (!t->grad || (t->flags & EEGNN_TENSOR_PARAM)) continue;
        if ((t->flags & EEGNN_TENSOR_RETAIN_GRAD) || (g->owner[i] == i && g->grad_first[i] >= loss->index))
            eegnn_graph_zero(g, t->grad, t->numel * sizeof(float));
    }
    loss->grad[0] = 1.0f;
    eegnn_graph_host_wrote(g, loss->grad, sizeof(float));
    for (i = loss->index; i >= 0; i--) {
        eegnn_tensor *t = g->nodes[i];
        int r;
        if (i < loss->index)
            for (r = g->zero_head[i]; r >= 0; r = g->zero_next[r])
                eegnn_graph_zero(g, g->nodes[r]->grad, g->nodes[r]->numel * sizeof(float));
        if (t->grad && t->backward) t->backward(g, t);
    }
    if (g->has_hooks && g->hooks.backward_end) g->hooks.backward_end(g, g->hooks.ctx);
    return EEGNN_OK;
}

EEGNN_API void eegnn_graph_zero_grad(eegnn_graph *g) {
    int i;
    for (i = 0; i < g->n_nodes; i++) {
        eegnn_tensor *t = g->nodes[i];
        if ((t->flags & EEGNN_TENSOR_PARAM) && t->grad) eegnn_graph_zero(g, t->grad, t->numel * sizeof(float));
    }
}

EEGNN_API void eegnn_graph_set_training(eegnn_graph *g, int training) { g->training = training != 0; }
EEGNN_API int eegnn_graph_training(const eegnn_graph *g) { return g->training; }
EEGNN_API int eegnn_graph_n_nodes(const eegnn_graph *g) { return g->n_nodes; }

EEGNN_API eegnn_tensor *eegnn_graph_node(const eegnn_graph *g, int i) {
    return i >= 0 && i < g->n_nodes ? g->nodes[i] : NULL;
}

EEGNN_API int eegnn_graph_n_params(const eegnn_graph *g) {
    int i, n = 0;
    for (i = 0; i < g->n_nodes; i++) n += (g->nodes[i]->flags & EEGNN_TENSOR_PARAM) != 0;
    return n;
}

EEGNN_API eegnn_tensor *eegnn_graph_param(const eegnn_graph *g, int k) {
    int i;
    for (i = 0; i < g->n_nodes; i++)
        if ((g->nodes[i]->flags & EEGNN_TENSOR_PARAM) && k-- == 0) return g->nodes[i];
    return NULL;
}

EEGNN_API size_t eegnn_graph_n_param_scalars(const eegnn_graph *g) {
    size_t n = 0;
    int i;
    for (i = 0; i < g->n_nodes; i++)
        if (g->nodes[i]->flags & EEGNN_TENSOR_PARAM) n += g->nodes[i]->numel;
    return n;
}

EEGNN_API eegnn_tensor *eegnn_graph_find(const eegnn_graph *g, const char *name) {
    int i;
    if (!g || !name || !*name) return NULL;
    for (i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i]->name, name)) return g->nodes[i];
    return NULL;
}

EEGNN_API size_t eegnn_graph_arena_used(const eegnn_graph *g) { return g->arena_used; }
EEGNN_API size_t eegnn_graph_arena_size(const eegnn_graph *g) { return g->arena_size; }
EEGNN_API eegnn_threadpool *eegnn_graph_pool(eegnn_graph *g) { return g->pool; }
EEGNN_API eegnn_rng *eegnn_graph_rng(eegnn_graph *g) { return &g->rng; }

EEGNN_API eegnn_status eegnn_tensor_set(eegnn_tensor *t, const float *src, size_t n) {
    if (!t || n != t->numel)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_tensor_set: %zu values for a tensor of %zu", n,
                               t ? t->numel : (size_t)0);
    memcpy(t->data, src, n * sizeof(float));
    if (t->owner) eegnn_graph_host_wrote(t->owner, t->data, n * sizeof(float));
    return EEGNN_OK;
}

EEGNN_API eegnn_status eegnn_tensor_get(const eegnn_tensor *t, float *dst, size_t n) {
    if (!t || n != t->numel)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_tensor_get: %zu values for a tensor of %zu", n,
                               t ? t->numel : (size_t)0);
    if (t->owner) eegnn_graph_to_host(t->owner, t->data, n * sizeof(float));
    memcpy(dst, t->data, n * sizeof(float));
    return EEGNN_OK;
}

EEGNN_API void eegnn_graph_set_hooks(eegnn_graph *g, const eegnn_graph_hooks *h, eegnn_graph_hooks *old) {
    if (!g) return;
    if (old) {
        if (g->has_hooks) *old = g->hooks;
        else memset(old, 0, sizeof *old);
    }
    if (h) g->hooks = *h;
    else memset(&g->hooks, 0, sizeof g->hooks);
    g->has_hooks = h != NULL;
}

EEGNN_API const eegnn_graph_hooks *eegnn_graph_get_hooks(const eegnn_graph *g) {
    return g && g->has_hooks ? &g->hooks : NULL;
}

EEGNN_API void *eegnn_graph_arena_base(const eegnn_graph *g) { return g ? g->arena : NULL; }

EEGNN_API void eegnn_graph_sync(eegnn_graph *g) { eegnn_graph_to_host(g, NULL, 0); }
EEGNN_API void eegnn_graph_host_modified(eegnn_graph *g) { eegnn_graph_host_wrote(g, NULL, 0); }

EEGNN_API void eegnn_graph_to_host(eegnn_graph *g, const void *p, size_t n_bytes) {
    if (g && g->has_hooks && g->hooks.to_host) g->hooks.to_host(g, g->hooks.ctx, p, n_bytes);
}

EEGNN_API void eegnn_graph_host_wrote(eegnn_graph *g, const void *p, size_t n_bytes) {
    if (g && g->has_hooks && g->hooks.host_wrote) g->hooks.host_wrote(g, g->hooks.ctx, p, n_bytes);
}

typedef struct {
    char *p;
    eegnn_work work; /* bytes, in grains */
} eegnn__zero_job;

static void eegnn__zero_task(void *ctx, int task, int n_tasks) {
    eegnn__zero_job *j = (eegnn__zero_job *)ctx;
    size_t lo, hi;
    (void)task;
    (void)n_tasks;
    while (eegnn_work_next(&j->work, &lo, &hi)) memset(j->p + lo, 0, hi - lo);
}

EEGNN_API void eegnn_graph_zero(eegnn_graph *g, void *p, size_t n_bytes) {
    int n_tasks = g ? eegnn_graph_n_threads(g) : 1;
    if (n_bytes >= ((size_t)1 << 20) && n_tasks > 1 && eegnn_graph_pool(g)) {
        eegnn__zero_job j;
        j.p = (char *)p;
        eegnn_work_init(&j.work, n_bytes, (size_t)1 << 16);
        eegnn_parallel_for(eegnn_graph_pool(g), n_tasks, eegnn__zero_task, &j);
    } else {
        memset(p, 0, n_bytes);
    }
    if (g && g->has_hooks && g->hooks.zeroed) g->hooks.zeroed(g, g->hooks.ctx, p, n_bytes);
}
