/* The device kernels (one source for every build). */
/* ---- kernels ------------------------------------------------------------ */
#if EEGNN__GPU
#define EEGNN__GT 256 /* threads of the elementwise and sgemm blocks */

/* C (M, N) = alpha * op(A) op(B) (+ beta * C) (+ bias[n]) then activation
 * (0 none, 1 relu, 2 gelu); op(A) = A (M, K) or A^T with A (K, M), likewise
 * B. Block tile BM x BN over BK-deep slices of K in shared memory, TM x TN
 * outputs per thread in registers, strided by the thread grid so shared
 * reads are conflict-free. */
template <int BM, int BN, int BK, int TM, int TN>
__global__ void __launch_bounds__(256) eegnn__k_sgemm(int M, int N, int K, const float *A, int lda, int ta,
                                                      const float *B, int ldb, int tb, float *C, int ldc,
                                                      float alpha, float beta, const float *bias, int act) {
    __shared__ float As[BK][BM + 4];
    __shared__ float Bs[BK][BN + 4];
    const int tid = threadIdx.x, gx = BN / TN, gy = BM / TM;
    const int tx = tid % gx, ty = tid / gx;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    float acc[TM][TN];
    int i, j, k0, kk, e;
    for (i = 0; i < TM; i++)
        for (j = 0; j < TN; j++) acc[i][j] = 0.0f;
    for (k0 = 0; k0 < K; k0 += BK) {
        for (e = tid; e < BM * BK; e += 256) {
            int mm, kq, gm, gk;
            float v = 0.0f;
            if (ta) mm = e % BM, kq = e / BM;
            else kq = e % BK, mm = e / BK;
            gm = m0 + mm, gk = k0 + kq;
            if (gm < M && gk < K) v = ta ? A[(size_t)gk * lda + gm] : A[(size_t)gm * lda + gk];
            As[kq][mm] = v;
        }
        for (e = tid; e < BN * BK; e += 256) {
            int nn, kq, gn, gk;
            float v = 0.0f;
            if (tb) kq = e % BK, nn = e / BK;
            else nn = e % BN, kq = e / BN;
            gn = n0 + nn, gk = k0 + kq;
            if (gn < N && gk < K) v = tb ? B[(size_t)gn * ldb + gk] : B[(size_t)gk * ldb + gn];
            Bs[kq][nn] = v;
        }
        __syncthreads();
EEGNN__UNROLL
        for (kk = 0; kk < BK; kk++) {
            float a[TM], b[TN];
EEGNN__UNROLL
            for (i = 0; i < TM; i++) a[i] = As[kk][ty + i * gy];
EEGNN__UNROLL
            for (j = 0; j < TN; j++) b[j] = Bs[kk][tx + j * gx];
EEGNN__UNROLL
            for (i = 0; i < TM; i++)
EEGNN__UNROLL
                for (j = 0; j < TN; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
    for (i = 0; i < TM; i++) {
        int m = m0 + ty + i * gy;
        if (m >= M) continue;
        for (j = 0; j < TN; j++) {
            int n = n0 + tx + j * gx;
            float v;
            if (n >= N) continue;
            v = alpha * acc[i][j];
            if (beta != 0.0f) v += beta * C[(size_t)m * ldc + n];
            if (bias) v += bias[n];
            if (act == 1) v = v > 0.0f ? v : 0.0f;
            else if (act == 2) v = 0.5f * v * (1.0f + erff(v * 0.70710678f));
            C[(size_t)m * ldc + n] = v;
        }
    }
}

/* out[c] += sum over rows of a (rows, n) column c (a (32, 8) block per 32
 * columns, fixed summation order). */
__global__ void eegnn__k_colsum_acc(const float *a, int rows, int n, float *out) {
    __shared__ float red[8][33];
    int c = blockIdx.x * 32 + threadIdx.x, r;
    float s = 0.0f;
    if (c < n)
        for (r = threadIdx.y; r < rows; r += 8) s += a[(size_t)r * n + c];
    red[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && c < n) {
        for (r = 1; r < 8; r++) s += red[r][threadIdx.x];
        out[c] += s;
    }
}

/* Sum of v over the block (every thread gets it; all threads must call it;
 * blockDim.x a power of two): a butterfly of warp shuffles within each warp
 * (or within the block when it is smaller than a warp), then the warps'
 * sums from shared memory in a fixed order. red: shared, at least
 * blockDim.x / warpSize floats. */
__device__ float eegnn__block_sum(float v, float *red) {
    int o, w, lane = threadIdx.x % warpSize, n_warps = (blockDim.x + warpSize - 1) / warpSize;
    int width = (int)blockDim.x < warpSize ? (int)blockDim.x : warpSize;
    float r = 0.0f;
    for (o = width / 2; o > 0; o >>= 1) v += EEGNN__SHFL_XOR(v, o);
    if (lane == 0) red[threadIdx.x / warpSize] = v;
    __syncthreads();
    for (w = 0; w < n_warps; w++) r += red[w];
    __syncthreads();
    return r;
}

/* torch layer_norm over rows of n: one block per row of 32, 64 or 128
 * threads (eegnn__ln_threads); aux (rows, 2) gets mean and 1/std. */
__global__ void eegnn__k_ln_fwd(const float *x, float *y, float *aux, const float *w, const float *b, int n,
                                float eps) {
    __shared__ float red[4];
    const float *xr = x + (size_t)blockIdx.x * n;
    float *yr = y + (size_t)blockIdx.x * n;
    float s = 0.0f, mean, rstd;
    int i;
    for (i = threadIdx.x; i < n; i += blockDim.x) s += xr[i];
    mean = eegnn__block_sum(s, red) / (float)n;
    s = 0.0f;
    for (i = threadIdx.x; i < n; i += blockDim.x) s += (xr[i] - mean) * (xr[i] - mean);
    rstd = 1.0f / sqrtf(eegnn__block_sum(s, red) / (float)n + eps);
    for (i = threadIdx.x; i < n; i += blockDim.x) {
        float v = (xr[i] - mean) * rstd;
        if (w) v *= w[i];
        if (b) v += b[i];
        yr[i] = v;
    }
    if (threadIdx.x == 0) {
        aux[2 * (size_t)blockIdx.x] = mean;
        aux[2 * (size_t)blockIdx.x + 1] = rstd;
    }
}

/* dx += rstd * (gw - mean(gw) - xhat * mean(gw * xhat)), gw = dy * w. */
__global__ void eegnn__k_ln_bwd_dx(const float *x, const float *dy, const float *aux, const float *w, float *dx,
                                   int n) {
    __shared__ float red[4];
    size_t o = (size_t)blockIdx.x * n;
    float mean = aux[2 * (size_t)blockIdx.x], rstd = aux[2 * (size_t)blockIdx.x + 1], s1 = 0.0f, s2 = 0.0f;
    int i;
    for (i = threadIdx.x; i < n; i += blockDim.x) {
        float gw = w ? dy[o + i] * w[i] : dy[o + i];
        s1 += gw;
        s2 += gw * (x[o + i] - mean) * rstd;
    }
    s1 = eegnn__block_sum(s1, red) / (float)n;
    s2 = eegnn__block_sum(s2, red) / (float)n;
    for (i = threadIdx.x; i < n; i += blockDim.x) {
        float gw = w ? dy[o + i] * w[i] : dy[o + i];
        dx[o + i] += rstd * (gw - s1 - (x[o + i] - mean) * rstd * s2);
    }
}

/* dw[c] += sum_r dy * xhat, db[c] += sum_r dy. */
__global__ void eegnn__k_ln_bwd_wb(const float *x, const float *dy, const float *aux, int rows, int n, float *dw,
                                   float *db) {
    __shared__ float rw[8][33], rb[8][33];
    int c = blockIdx.x * 32 + threadIdx.x, r;
    float sw = 0.0f, sb = 0.0f;
    if (c < n)
        for (r = threadIdx.y; r < rows; r += 8) {
            float g = dy[(size_t)r * n + c];
            sw += g * (x[(size_t)r * n + c] - aux[2 * (size_t)r]) * aux[2 * (size_t)r + 1];
            sb += g;
        }
    rw[threadIdx.y][threadIdx.x] = sw;
    rb[threadIdx.y][threadIdx.x] = sb;
    __syncthreads();
    if (threadIdx.y == 0 && c < n) {
        for (r = 1; r < 8; r++) sw += rw[r][threadIdx.x], sb += rb[r][threadIdx.x];
        if (dw) dw[c] += sw;
        if (db) db[c] += sb;
    }
}

/* Elementwise ops; kind: 0 y = a + b, 1 y += a, 2 relu, 3 dx += y > 0 ? dy : 0
 * (a = y, b = dy), 4 gelu, 5 dx += dy * gelu'(x) (a = x, b = dy), 6 y = a * b,
 * 7 y += a * b. */
__global__ void eegnn__k_elementwise(int kind, const float *a, const float *b, float *y, size_t n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x, stride = (size_t)gridDim.x * blockDim.x;
    for (; i < n; i += stride) {
        float v = a[i];
        switch (kind) {
        case 0: y[i] = v + b[i]; break;
        case 1: y[i] += v; break;
        case 2: y[i] = v > 0.0f ? v : 0.0f; break;
        case 3: y[i] += v > 0.0f ? b[i] : 0.0f; break;
        case 4: y[i] = 0.5f * v * (1.0f + erff(v * 0.70710678f)); break;
        case 5: {
            float cdf = 0.5f * (1.0f + erff(v * 0.70710678f)), pdf = 0.39894228f * expf(-0.5f * v * v);
            y[i] += b[i] * (cdf + v * pdf);
            break;
        }
        case 6: y[i] = v * b[i]; break;
        default: y[i] += v * b[i]; break;
        }
    }
}

/* Attention problem as the CPU op stores it (attention.c), device pointers. */
typedef struct eegnn__fa {
    const float *q, *k, *v, *mask, *o, *dout, *lse_in;
    float *out, *lse, *dq, *dk, *dv, *delta;
    int B, H, tq, tk, d, qld, kld, vld, width, drop;
    float scale, keep_scale;
    unsigned int threshold;
    unsigned long long seed;
} eegnn__fa;

#define EEGNN__FA_BQ 64 /* queries per block (one per thread) */
#define EEGNN__FA_BK 32 /* keys per shared-memory tile */

/* Row key and keep factor of attention.c's dropout (splitmix64 of the seed
 * and row, lowbias32 of the key index). */
__device__ unsigned int eegnn__fa_rowkey(unsigned long long seed, unsigned long long row) {
    unsigned long long z = seed + (row + 1ull) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (unsigned int)z;
}

__device__ float eegnn__fa_keep(const eegnn__fa &p, unsigned int key, int c) {
    unsigned int h = (unsigned int)c * 0x9E3779B9u + key;
    h ^= h >> 16;
    h *= 0x7FEB352Du;
    h ^= h >> 15;
    h *= 0x846CA68Bu;
    h ^= h >> 16;
    return h >= p.threshold ? p.keep_scale : 0.0f;
}

/* Loads key/value rows j0.. of pair (b, h) into zero-padded tiles and the
 * additive key bias (-inf for masked and missing keys). */
template <int DH>
__device__ void eegnn__fa_load_kv(const eegnn__fa &p, int b, int h, int j0, float (*Ks)[DH], float (*Vs)[DH],
                                  float *bias) {
    int e;
    for (e = threadIdx.x; e < EEGNN__FA_BK * DH; e += blockDim.x) {
        int jj = e / DH, c = e % DH, j = j0 + jj;
        int ok = j < p.tk && c < p.d;
        Ks[jj][c] = ok ? p.k[((size_t)b * p.tk + j) * p.kld + (size_t)h * p.d + c] : 0.0f;
        Vs[jj][c] = ok ? p.v[((size_t)b * p.tk + j) * p.vld + (size_t)h * p.d + c] : 0.0f;
    }
    for (e = threadIdx.x; e < EEGNN__FA_BK; e += blockDim.x) {
        int j = j0 + e;
        bias[e] = j >= p.tk || (p.mask && p.mask[(size_t)b * p.tk + j] != 0.0f) ? -INFINITY : 0.0f;
    }
}

/* Forward: one thread per query, online softmax over key tiles (the (tq,
 * tk) scores are never stored); saves the logsumexp of each row. */
template <int DH>
__global__ void __launch_bounds__(EEGNN__FA_BQ) eegnn__k_fa_fwd(eegnn__fa p) {
    __shared__ float Ks[EEGNN__FA_BK][DH], Vs[EEGNN__FA_BK][DH], bias[EEGNN__FA_BK];
    int bh = blockIdx.y, b = bh / p.H, h = bh % p.H, i = blockIdx.x * EEGNN__FA_BQ + threadIdx.x, c, jj, j0;
    int live = i < p.tq;
    float q[DH], o[DH], m = -INFINITY, l = 0.0f;
    unsigned int key = 0;
    for (c = 0; c < DH; c++) {
        q[c] = live && c < p.d ? p.q[((size_t)b * p.tq + i) * p.qld + (size_t)h * p.d + c] : 0.0f;
        o[c] = 0.0f;
    }
    if (p.drop) key = eegnn__fa_rowkey(p.seed, (unsigned long long)bh * p.tq + i);
    for (j0 = 0; j0 < p.tk; j0 += EEGNN__FA_BK) {
        eegnn__fa_load_kv<DH>(p, b, h, j0, Ks, Vs, bias);
        __syncthreads();
        if (live) {
            float s[EEGNN__FA_BK], mt = m, corr;
            for (jj = 0; jj < EEGNN__FA_BK; jj++) {
                float dot = 0.0f;
                for (c = 0; c < DH; c++) dot = fmaf(q[c], Ks[jj][c], dot);
                s[jj] = p.scale * dot + bias[jj];
                mt = fmaxf(mt, s[jj]);
            }
            if (mt != -INFINITY) {
                corr = m == -INFINITY ? 0.0f : expf(m - mt);
                l *= corr;
                for (c = 0; c < DH; c++) o[c] *= corr;
                for (jj = 0; jj < EEGNN__FA_BK; jj++) {
                    float pj = expf(s[jj] - mt);
                    l += pj;
                    if (p.drop) pj *= eegnn__fa_keep(p, key, j0 + jj);
                    for (c = 0; c < DH; c++) o[c] = fmaf(pj, Vs[jj][c], o[c]);
                }
                m = mt;
            }
        }
        __syncthreads();
    }
    if (!live) return;
    for (c = 0; c < p.d; c++) p.out[((size_t)b * p.tq + i) * p.width + (size_t)h * p.d + c] = o[c] / l;
    p.lse[(size_t)bh * p.tq + i] = m == -INFINITY ? NAN : m + logf(l);
}

/* delta (B*H, tq) = rowsum(dO * O) per head (= rowsum(P * dP), dropout
 * included). */
__global__ void eegnn__k_fa_delta(eegnn__fa p) {
    size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    int bh, i, b, h, c;
    float s = 0.0f;
    if (idx >= (size_t)p.B * p.H * p.tq) return;
    bh = (int)(idx / p.tq), i = (int)(idx % p.tq), b = bh / p.H, h = bh % p.H;
    for (c = 0; c < p.d; c++) {
        size_t o = ((size_t)b * p.tq + i) * p.width + (size_t)h * p.d + c;
        s += p.dout[o] * p.o[o];
    }
    p.delta[idx] = s;
}

/* dQ: one thread per query; dS = P * (dP - delta), dQ += scale * dS K. */
template <int DH>
__global__ void __launch_bounds__(EEGNN__FA_BQ) eegnn__k_fa_dq(eegnn__fa p) {
    __shared__ float Ks[EEGNN__FA_BK][DH], Vs[EEGNN__FA_BK][DH], bias[EEGNN__FA_BK];
    int bh = blockIdx.y, b = bh / p.H, h = bh % p.H, i = blockIdx.x * EEGNN__FA_BQ + threadIdx.x, c, jj, j0;
    int live = i < p.tq;
    float q[DH], g[DH], dq[DH], lse = 0.0f, delta = 0.0f;
    unsigned int key = 0;
    for (c = 0; c < DH; c++) {
        size_t o = ((size_t)b * p.tq + i) * p.qld + (size_t)h * p.d + c;
        size_t og = ((size_t)b * p.tq + i) * p.width + (size_t)h * p.d + c;
        q[c] = live && c < p.d ? p.q[o] : 0.0f;
        g[c] = live && c < p.d ? p.dout[og] : 0.0f;
        dq[c] = 0.0f;
    }
    if (live) lse = p.lse_in[(size_t)bh * p.tq + i], delta = p.delta[(size_t)bh * p.tq + i];
    if (p.drop) key = eegnn__fa_rowkey(p.seed, (unsigned long long)bh * p.tq + i);
    for (j0 = 0; j0 < p.tk; j0 += EEGNN__FA_BK) {
        eegnn__fa_load_kv<DH>(p, b, h, j0, Ks, Vs, bias);
        __syncthreads();
        if (live)
            for (jj = 0; jj < EEGNN__FA_BK && j0 + jj < p.tk; jj++) {
                float dot = 0.0f, dp = 0.0f, pij, ds;
                for (c = 0; c < DH; c++) dot = fmaf(q[c], Ks[jj][c], dot), dp = fmaf(g[c], Vs[jj][c], dp);
                pij = expf(p.scale * dot + bias[jj] - lse);
                if (p.drop) dp *= eegnn__fa_keep(p, key, j0 + jj);
                ds = pij * (dp - delta);
                for (c = 0; c < DH; c++) dq[c] = fmaf(ds, Ks[jj][c], dq[c]);
            }
        __syncthreads();
    }
    if (!live || !p.dq) return;
    for (c = 0; c < p.d; c++) p.dq[((size_t)b * p.tq + i) * p.qld + (size_t)h * p.d + c] += p.scale * dq[c];
}

/* dK, dV: one thread per key over query tiles; dV += (P * keep)^T dO,
 * dK += scale * dS^T Q. */
template <int DH>
__global__ void __launch_bounds__(EEGNN__FA_BQ) eegnn__k_fa_dkv(eegnn__fa p) {
    __shared__ float Qs[EEGNN__FA_BK][DH], Gs[EEGNN__FA_BK][DH], Ls[EEGNN__FA_BK], Ds[EEGNN__FA_BK];
    int bh = blockIdx.y, b = bh / p.H, h = bh % p.H, j = blockIdx.x * EEGNN__FA_BQ + threadIdx.x, c, ii, i0, e;
    int live = j < p.tk;
    float k[DH], v[DH], dk[DH], dv[DH], bias = 0.0f;
    for (c = 0; c < DH; c++) {
        k[c] = live && c < p.d ? p.k[((size_t)b * p.tk + j) * p.kld + (size_t)h * p.d + c] : 0.0f;
        v[c] = live && c < p.d ? p.v[((size_t)b * p.tk + j) * p.vld + (size_t)h * p.d + c] : 0.0f;
        dk[c] = dv[c] = 0.0f;
    }
    if (live && p.mask && p.mask[(size_t)b * p.tk + j] != 0.0f) bias = -INFINITY;
    for (i0 = 0; i0 < p.tq; i0 += EEGNN__FA_BK) {
        for (e = threadIdx.x; e < EEGNN__FA_BK * DH; e += blockDim.x) {
            int r = e / DH, i = i0 + r;
            c = e % DH;
            Qs[r][c] = i < p.tq && c < p.d ? p.q[((size_t)b * p.tq + i) * p.qld + (size_t)h * p.d + c] : 0.0f;
            Gs[r][c] = i < p.tq && c < p.d ? p.dout[((size_t)b * p.tq + i) * p.width + (size_t)h * p.d + c] : 0.0f;
        }
        for (e = threadIdx.x; e < EEGNN__FA_BK; e += blockDim.x) {
            int i = i0 + e;
            Ls[e] = i < p.tq ? p.lse_in[(size_t)bh * p.tq + i] : 0.0f;
            Ds[e] = i < p.tq ? p.delta[(size_t)bh * p.tq + i] : 0.0f;
        }
        __syncthreads();
        if (live)
            for (ii = 0; ii < EEGNN__FA_BK && i0 + ii < p.tq; ii++) {
                float dot = 0.0f, dp = 0.0f, pij, keep = 1.0f, ds;
                for (c = 0; c < DH; c++) dot = fmaf(Qs[ii][c], k[c], dot), dp = fmaf(Gs[ii][c], v[c], dp);
                pij = expf(p.scale * dot + bias - Ls[ii]);
                if (p.drop)
                    keep = eegnn__fa_keep(p, eegnn__fa_rowkey(p.seed, (unsigned long long)bh * p.tq + i0 + ii), j);
                for (c = 0; c < DH; c++) dv[c] = fmaf(pij * keep, Gs[ii][c], dv[c]);
                ds = pij * (dp * keep - Ds[ii]);
                for (c = 0; c < DH; c++) dk[c] = fmaf(ds, Qs[ii][c], dk[c]);
            }
        __syncthreads();
    }
    if (!live) return;
    for (c = 0; c < p.d; c++) {
        if (p.dk) p.dk[((size_t)b * p.tk + j) * p.kld + (size_t)h * p.d + c] += p.scale * dk[c];
        if (p.dv) p.dv[((size_t)b * p.tk + j) * p.vld + (size_t)h * p.d + c] += dv[c];
    }
}

/* torch.optim Adam/AdamW (kind 0/1) and SGD (kind 2), as optim.c. */
typedef struct eegnn__opt_args {
    int kind, amsgrad, nesterov, first;
    float lr, wd, b1, b2, one_b1, one_b2, eps, step_size, bc2_sqrt, decay, momentum, damp;
} eegnn__opt_args;

__global__ void eegnn__k_optim(eegnn__opt_args a, float *p, const float *g, float *m, float *v, float *vmax,
                               size_t n) {
    size_t j = (size_t)blockIdx.x * blockDim.x + threadIdx.x, stride = (size_t)gridDim.x * blockDim.x;
    for (; j < n; j += stride) {
        float gj = g[j];
        if (a.kind == 2) {
            float d = gj;
            if (a.wd != 0.0f) d += a.wd * p[j];
            if (m) {
                m[j] = a.first ? d : m[j] * a.momentum + a.damp * d;
                d = a.nesterov ? d + a.momentum * m[j] : m[j];
            }
            p[j] += -a.lr * d;
        } else {
            float s, denom;
            if (a.kind == 1) p[j] *= a.decay;
            else if (a.wd != 0.0f) gj += a.wd * p[j];
            m[j] = m[j] * a.b1 + a.one_b1 * gj;
            v[j] = v[j] * a.b2 + a.one_b2 * gj * gj;
            s = v[j];
            if (vmax) {
                if (vmax[j] < s) vmax[j] = s;
                s = vmax[j];
            }
            denom = sqrtf(s) / a.bc2_sqrt + a.eps;
            p[j] += -a.step_size * (m[j] / denom);
        }
    }
}

/* bad[slot] = min index of a non-finite value of g. */
__global__ void eegnn__k_finite(const float *g, size_t n, unsigned int *bad) {
    size_t j = (size_t)blockIdx.x * blockDim.x + threadIdx.x, stride = (size_t)gridDim.x * blockDim.x;
    for (; j < n; j += stride)
        if (!isfinite(g[j])) atomicMin(bad, (unsigned int)j);
}
#endif /* EEGNN__GPU */
