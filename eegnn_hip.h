/* eegnn_hip.h - GPU offload for eegnn.h with the project's own HIP kernels (AMD and NVIDIA).

   1. WHAT IT IS
   A companion header to eegnn.h. eegnn_gpu_attach() walks a built graph and
   runs its linear layers, scaled dot-product attention and the rest of a
   transformer encoder layer (layer norm, residual add, GELU/ReLU, dropout,
   reshape) on a GPU, while convolutions, FFTs and everything else stay on the
   CPU. Optimizer steps (AdamW, Adam, SGD) run on the GPU for parameters that
   live there, so weights stay resident between steps. Only the HIP runtime
   and the kernels below are used: no rocBLAS, hipBLAS, MIOpen or cuBLAS (AMD
   cards such as the RX 5600 XT, gfx1010, run plain HIP kernels but crash in
   those libraries).

   2. BUILDING (the same source builds three ways)
       #define EEGNN_IMPLEMENTATION
       #include "eegnn.h"
       #include "eegnn_hip.h"
     CPU only:   cc -O2 prog.c -lm -lpthread            (attach reports "no GPU support")
     AMD (ROCm): hipcc -x hip -O2 --offload-arch=gfx1010 --offload-arch=gfx1030 prog.c -lpthread
     NVIDIA:     nvcc -x cu -O2 -arch=sm_90 prog.c -lpthread
   Under nvcc the HIP names used here map to CUDA through the table below
   (EEGNN__HIP_RENAMES); HIP's own headers are not needed there.

   3. HOW IT WORKS
   The device holds a mirror of the graph's arena (one allocation at attach:
   the memory pool, nothing is allocated per step); the arena is pinned with
   hipHostRegister when possible so copies are asynchronous on the attach's
   stream. Every 64-byte block of the arena is tracked as current on the host,
   on the device or on both, so bytes move only where a tensor produced on one
   side is read on the other (a route change). Each routed node gets GPU
   forward/backward functions; the other nodes get wrappers that bring their
   inputs to the host first.
   Routing: EEGNN_GPU_OP_* bits in eegnn_gpu_config.ops, or the environment
   variable EEGNN_GPU_OPS (e.g. "linear,attention", "all", "none"). Norm and
   elementwise ops go to the GPU only when their input is produced there.
   No device, an unsupported one (head width over 128) or a failing kernel:
   a message on stderr and the CPU path; training goes on.

   4. HOST ACCESS
   While attached, parameters and their gradients may be current only on the
   device: call eegnn_graph_sync(g) before reading them (the trainer does),
   and eegnn_graph_host_modified(g) after writing them (e.g. loading weights).
   The outputs of eegnn_graph_forward(_to) and tensors read with
   eegnn_tensor_get are always current.
*/
#ifndef EEGNN_HIP_H
#define EEGNN_HIP_H

#include "eegnn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Op categories for routing (eegnn_gpu_config.ops). */
enum {
    EEGNN_GPU_OP_LINEAR = 1,      /* linear: forward, grad of input, weight and bias */
    EEGNN_GPU_OP_ATTENTION = 2,   /* scaled_dot_product_attention forward and backward */
    EEGNN_GPU_OP_NORM = 4,        /* layer_norm */
    EEGNN_GPU_OP_ELEMENTWISE = 8, /* add, gelu, relu, dropout, reshape, flatten */
    EEGNN_GPU_OP_OPTIMIZER = 16,  /* AdamW / Adam / SGD updates of parameters held on the GPU */
    EEGNN_GPU_OP_CONV = 32,       /* convolutions: no GPU kernel, always CPU */
    EEGNN_GPU_OP_FFT = 64,        /* spectral ops: no GPU kernel, always CPU */
    EEGNN_GPU_OP_DEFAULT = 1 | 2 | 4 | 8 | 16
};

/* Zero-filled is valid: default routing, device 0, messages on stderr. */
typedef struct eegnn_gpu_config {
    int ops;         /* EEGNN_GPU_OP_* mask; 0: EEGNN_GPU_OPS from the environment, else DEFAULT; -1: none */
    int device;      /* device index */
    int quiet;       /* 1: print nothing (errors stay in eegnn_last_error) */
    int profile;     /* 1: time every node (synchronizes after each GPU op) */
    int fail_after;  /* testing: > 0 makes the n-th kernel launch fail (also env EEGNN_GPU_FAIL_AFTER) */
} eegnn_gpu_config;

/* What eegnn_gpu_query reports. */
typedef struct eegnn_gpu_device_info {
    char platform[16];  /* "AMD", "NVIDIA" or "none" */
    char name[256];     /* e.g. "AMD Radeon RX 5600 XT" */
    char arch[64];      /* e.g. "gfx1010" or "sm_90" */
    size_t total_bytes; /* device memory */
    size_t free_bytes;
    int compute_units;  /* CUs (AMD) or SMs (NVIDIA) */
} eegnn_gpu_device_info;

/* 1 when this translation unit was compiled by hipcc or nvcc. */
EEGNN_API int eegnn_gpu_compiled(void);
/* Describes GPU `device`. EEGNN_ERR_UNSUPPORTED (message set) without GPU
 * support in the build or without such a device. Thread-safe. */
EEGNN_API eegnn_status eegnn_gpu_query(int device, eegnn_gpu_device_info *info);
/* Writes a one-line report of the device (or why there is none) to f. */
EEGNN_API void eegnn_gpu_report(int device, FILE *f);
/* Parses "linear,attention,norm,elementwise,optimizer,conv,fft", "all",
 * "none" or "default" into an EEGNN_GPU_OP_* mask. EEGNN_ERR_ARG on an
 * unknown name. */
EEGNN_API eegnn_status eegnn_gpu_parse_ops(const char *spec, int *mask);
/* Moves the routed nodes of g to the GPU (see the manual above). Call after
 * the graph is built and its weights set, before the first forward.
 * Returns EEGNN_OK, or EEGNN_ERR_UNSUPPORTED / EEGNN_ERR_MEMORY with the
 * graph left on the CPU (with cfg->profile the CPU nodes are still timed).
 * One graph, one attach; EEGNN_ERR_ARG when already attached. */
EEGNN_API eegnn_status eegnn_gpu_attach(eegnn_graph *g, const eegnn_gpu_config *cfg);
/* Brings everything back to the host, restores the CPU functions and frees
 * the device memory. No-op on a graph that is not attached. */
EEGNN_API void eegnn_gpu_detach(eegnn_graph *g);
/* 1 when g's routed nodes currently run on a GPU. */
EEGNN_API int eegnn_gpu_active(const eegnn_graph *g);
/* Number of nodes of g running on the GPU. */
EEGNN_API int eegnn_gpu_n_routed(const eegnn_graph *g);
/* Per-op table: calls, total time, bytes moved host-to-device and back. */
EEGNN_API void eegnn_gpu_print_profile(const eegnn_graph *g, FILE *f);
/* Largest power-of-two batch whose graph fits in free_bytes (keeping 10%
 * spare), from the arena needed by `model` (nn.h names) at batch 1 and 2.
 * Returns 0 when even batch 1 does not fit or the model cannot be built. */
EEGNN_API int eegnn_gpu_suggest_batch(const char *model, const eegnn_model_config *mc, size_t free_bytes);

/* For eegnn_train_config.on_graph / on_graph_free: user points to an
 * eegnn_gpu_config; attaches and prints the device report, and at the end
 * prints the profile (when asked) and detaches. */
EEGNN_API void eegnn_gpu_train_on_graph(eegnn_graph *g, void *user);
EEGNN_API void eegnn_gpu_train_on_graph_free(eegnn_graph *g, void *user);

#ifdef __cplusplus
}
#endif
#endif /* EEGNN_HIP_H */

/* ======================================================================= */
#if defined(EEGNN_IMPLEMENTATION) && !defined(EEGNN_HIP_IMPLEMENTATION_DONE)
#define EEGNN_HIP_IMPLEMENTATION_DONE

#if defined(__HIPCC__)
#include <hip/hip_runtime.h>
#define EEGNN__GPU 1
#elif defined(__CUDACC__)
/* EEGNN__HIP_RENAMES: the HIP runtime names this file uses, as CUDA. */
#include <cuda_runtime.h>
#define hipError_t cudaError_t
#define hipSuccess cudaSuccess
#define hipGetErrorString cudaGetErrorString
#define hipGetLastError cudaGetLastError
#define hipGetDeviceCount cudaGetDeviceCount
#define hipSetDevice cudaSetDevice
#define hipDeviceProp_t cudaDeviceProp
#define hipGetDeviceProperties cudaGetDeviceProperties
#define hipMemGetInfo cudaMemGetInfo
#define hipMalloc cudaMalloc
#define hipFree cudaFree
#define hipMemcpy cudaMemcpy
#define hipMemcpyAsync cudaMemcpyAsync
#define hipMemsetAsync cudaMemsetAsync
#define hipMemcpyHostToDevice cudaMemcpyHostToDevice
#define hipMemcpyDeviceToHost cudaMemcpyDeviceToHost
#define hipMemcpyDeviceToDevice cudaMemcpyDeviceToDevice
#define hipStream_t cudaStream_t
#define hipStreamCreate cudaStreamCreate
#define hipStreamDestroy cudaStreamDestroy
#define hipStreamSynchronize cudaStreamSynchronize
#define hipHostRegister cudaHostRegister
#define hipHostUnregister cudaHostUnregister
#define hipHostRegisterDefault cudaHostRegisterDefault
#define EEGNN__GPU 1
#else
#define EEGNN__GPU 0
#endif

#if EEGNN__GPU
/* Reports file and line of a failing HIP call into the error state. */
#define EEGNN_HIP_CHECK(call)                                                                                   \
    eegnn__hip_check((call), #call, __FILE__, __LINE__)
static int eegnn__hip_check(hipError_t e, const char *what, const char *file, int line) {
    if (e == hipSuccess) return 0;
    eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "%s:%d: %s failed: %s", file, line, what, hipGetErrorString(e));
    return 1;
}
#endif

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
#pragma unroll
        for (kk = 0; kk < BK; kk++) {
            float a[TM], b[TN];
#pragma unroll
            for (i = 0; i < TM; i++) a[i] = As[kk][ty + i * gy];
#pragma unroll
            for (j = 0; j < TN; j++) b[j] = Bs[kk][tx + j * gx];
#pragma unroll
            for (i = 0; i < TM; i++)
#pragma unroll
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

__device__ float eegnn__block_sum(float v, float *red) {
    int s, tid = threadIdx.x;
    float r;
    red[tid] = v;
    __syncthreads();
    for (s = blockDim.x / 2; s > 0; s >>= 1) {
        if (tid < s) red[tid] += red[tid + s];
        __syncthreads();
    }
    r = red[0];
    __syncthreads();
    return r;
}

/* torch layer_norm over rows of n: one block of 128 threads per row; aux
 * (rows, 2) gets mean and 1/std. */
__global__ void eegnn__k_ln_fwd(const float *x, float *y, float *aux, const float *w, const float *b, int n,
                                float eps) {
    __shared__ float red[128];
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
    __shared__ float red[128];
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

/* ---- host side -------------------------------------------------------------- */

enum { EEGNN__AT_BOTH = 0, EEGNN__AT_HOST = 1, EEGNN__AT_DEV = 2 }; /* where a 64-byte block is current */
#define EEGNN__GPU_MAX_PROF 64

typedef struct eegnn__gpu_prof {
    const char *op;
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
#if defined(__HIP_PLATFORM_AMD__) || defined(__HIP_PLATFORM_HCC__)
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

static eegnn__gpu_prof *eegnn__gpu_prof_entry(eegnn__gpu *c, const char *op, int on_gpu) {
    int i;
    for (i = 0; i < c->n_prof; i++)
        if (c->prof[i].on_gpu == on_gpu && !strcmp(c->prof[i].op, op)) return &c->prof[i];
    if (c->n_prof == EEGNN__GPU_MAX_PROF) return &c->prof[EEGNN__GPU_MAX_PROF - 1];
    c->prof[c->n_prof].op = op;
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
        eegnn__k_sgemm<128, 128, 8, 8, 8><<<grid, 256, 0, s>>>(M, N, K, A, lda, ta, B, ldb, tb, C, ldc, alpha, beta,
                                                               bias, act);
    } else {
        dim3 grid((N + 63) / 64, (M + 63) / 64);
        eegnn__k_sgemm<64, 64, 16, 4, 4><<<grid, 256, 0, s>>>(M, N, K, A, lda, ta, B, ldb, tb, C, ldc, alpha, beta,
                                                              bias, act);
    }
}

static void eegnn__gpu_ew(eegnn__gpu *c, int kind, const float *a, const float *b, float *y, size_t n) {
    eegnn__k_elementwise<<<eegnn__gpu_grid(n), EEGNN__GT, 0, c->stream>>>(kind, a, b, y, n);
}

static int eegnn__gpu_fa_dh(int d) { return d <= 16 ? 16 : d <= 32 ? 32 : d <= 64 ? 64 : d <= 128 ? 128 : 0; }

#define EEGNN__FA_LAUNCH(kernel, dh, grid, p)                                                                 \
    do {                                                                                                      \
        if ((dh) == 16) kernel<16><<<grid, EEGNN__FA_BQ, 0, c->stream>>>(p);                                  \
        else if ((dh) == 32) kernel<32><<<grid, EEGNN__FA_BQ, 0, c->stream>>>(p);                             \
        else if ((dh) == 64) kernel<64><<<grid, EEGNN__FA_BQ, 0, c->stream>>>(p);                             \
        else kernel<128><<<grid, EEGNN__FA_BQ, 0, c->stream>>>(p);                                            \
    } while (0)

static void eegnn__gpu_fa_setup(eegnn__gpu *c, eegnn_tensor *t, eegnn__fa *p) {
    const int32_t *ia = t->iaux;
    memset(p, 0, sizeof *p);
    p->B = ia[EEGNN__SDPA_B];
    p->H = ia[EEGNN__SDPA_H];
    p->tq = ia[EEGNN__SDPA_TQ];
    p->tk = ia[EEGNN__SDPA_TK];
    p->d = ia[EEGNN__SDPA_D];
    p->qld = ia[EEGNN__SDPA_QLD];
    p->kld = ia[EEGNN__SDPA_KLD];
    p->vld = ia[EEGNN__SDPA_VLD];
    p->width = p->H * p->d;
    p->q = eegnn__gpu_dptr(c, t->src[0]->data) + ia[EEGNN__SDPA_QOFF];
    p->k = eegnn__gpu_dptr(c, t->src[1]->data) + ia[EEGNN__SDPA_KOFF];
    p->v = eegnn__gpu_dptr(c, t->src[2]->data) + ia[EEGNN__SDPA_VOFF];
    p->mask = ia[EEGNN__SDPA_MASK] ? eegnn__gpu_dptr(c, t->src[3]->data) : NULL;
    p->scale = (float)(1.0 / sqrt((double)p->d));
    p->drop = ia[EEGNN__SDPA_DROP];
    if (p->drop) {
        double th = (double)t->fp[0] * 4294967296.0;
        p->threshold = th >= 4294967295.0 ? 0xFFFFFFFFu : (unsigned int)th;
        p->keep_scale = 1.0f / (1.0f - t->fp[0]);
        p->seed = (unsigned long long)eegnn__sdpa_seed(t);
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
    if (eegnn__gpu_inject(c, op)) return 1;
    float *y = eegnn__gpu_dptr(c, t->data);
    if (!strcmp(op, "linear")) {
        eegnn_tensor *b = t->src[2];
        eegnn__gpu_sgemm(c->stream, 0, 1, t->ip[0], t->ip[2], t->ip[1], 1.0f, eegnn__gpu_dptr(c, t->src[0]->data),
                         t->ip[1], eegnn__gpu_dptr(c, t->src[1]->data), t->ip[1], 0.0f, y, t->ip[2],
                         b ? eegnn__gpu_dptr(c, b->data) : NULL, 0);
    } else if (!strcmp(op, "scaled_dot_product_attention")) {
        eegnn__fa p;
        t->iaux[EEGNN__SDPA_DROP] = eegnn_graph_training(g) && t->fp[0] > 0.0f;
        if (t->iaux[EEGNN__SDPA_DROP]) { /* the same draws as the CPU op */
            eegnn_rng *rng = eegnn_graph_rng(g);
            t->iaux[EEGNN__SDPA_SEED_LO] = (int32_t)eegnn_rng_u32(rng);
            t->iaux[EEGNN__SDPA_SEED_HI] = (int32_t)eegnn_rng_u32(rng);
        }
        eegnn__gpu_fa_setup(c, t, &p);
        p.out = y;
        p.lse = eegnn__gpu_dptr(c, t->aux);
        {
            dim3 grid((p.tq + EEGNN__FA_BQ - 1) / EEGNN__FA_BQ, p.B * p.H);
            int dh = eegnn__gpu_fa_dh(p.d);
            EEGNN__FA_LAUNCH(eegnn__k_fa_fwd, dh, grid, p);
        }
        eegnn__gpu_set(c, t->aux, t->aux_len * sizeof(float), EEGNN__AT_DEV);
    } else if (!strcmp(op, "layer_norm")) {
        const float *w = t->ip[2] >= 0 ? eegnn__gpu_dptr(c, t->src[t->ip[2]]->data) : NULL;
        const float *b = t->ip[3] >= 0 ? eegnn__gpu_dptr(c, t->src[t->ip[3]]->data) : NULL;
        eegnn__k_ln_fwd<<<t->ip[0], 128, 0, c->stream>>>(eegnn__gpu_dptr(c, t->src[0]->data), y,
                                                          eegnn__gpu_dptr(c, t->aux), w, b, t->ip[1], t->fp[0]);
        eegnn__gpu_set(c, t->aux, t->aux_len * sizeof(float), EEGNN__AT_DEV);
    } else if (!strcmp(op, "add")) {
        eegnn__gpu_ew(c, 0, eegnn__gpu_dptr(c, t->src[0]->data), eegnn__gpu_dptr(c, t->src[1]->data), y, t->numel);
    } else if (!strcmp(op, "relu") || !strcmp(op, "gelu")) {
        eegnn__gpu_ew(c, op[0] == 'r' ? 2 : 4, eegnn__gpu_dptr(c, t->src[0]->data), NULL, y, t->numel);
    } else if (!strcmp(op, "dropout")) {
        size_t i;
        float p = t->fp[0];
        t->ip[0] = eegnn_graph_training(g) && p > 0.0f;
        if (!t->ip[0]) {
            if (EEGNN_HIP_CHECK(hipMemcpyAsync(y, eegnn__gpu_dptr(c, t->src[0]->data), t->numel * sizeof(float),
                                               hipMemcpyDeviceToDevice, c->stream)))
                return 1;
        } else { /* the mask is drawn on the host from the graph's RNG, as the CPU op does */
            eegnn_rng *rng = eegnn_graph_rng(g);
            float keep = p >= 1.0f ? 0.0f : 1.0f / (1.0f - p);
            if (eegnn__gpu_sync_stream(c)) return 1;
            for (i = 0; i < t->numel; i++) t->aux[i] = eegnn_rng_uniform(rng) < p ? 0.0f : keep;
            eegnn__gpu_set(c, t->aux, t->numel * sizeof(float), EEGNN__AT_HOST);
            if (eegnn__gpu_to_dev(c, t->aux, t->numel * sizeof(float))) return 1;
            eegnn__gpu_ew(c, 6, eegnn__gpu_dptr(c, t->src[0]->data), eegnn__gpu_dptr(c, t->aux), y, t->numel);
        }
    } else { /* reshape, flatten */
        if (EEGNN_HIP_CHECK(hipMemcpyAsync(y, eegnn__gpu_dptr(c, t->src[0]->data), t->numel * sizeof(float),
                                           hipMemcpyDeviceToDevice, c->stream)))
            return 1;
    }
    return eegnn__gpu_launched(c, op);
}

static int eegnn__gpu_run_bwd(eegnn__gpu *c, eegnn_graph *g, eegnn_tensor *t) {
    const char *op = t->op;
    eegnn_tensor *x = t->src[0];
    const float *dy = eegnn__gpu_dptr(c, t->grad);
    (void)g;
    if (eegnn__gpu_inject(c, op)) return 1;
    if (!strcmp(op, "linear")) {
        eegnn_tensor *w = t->src[1], *b = t->src[2];
        int rows = t->ip[0], in = t->ip[1], out = t->ip[2];
        if (x->grad) /* dx (R, in) += dy (R, out) @ w (out, in) */
            eegnn__gpu_sgemm(c->stream, 0, 0, rows, in, out, 1.0f, dy, out, eegnn__gpu_dptr(c, w->data), in, 1.0f,
                             eegnn__gpu_dptr(c, x->grad), in, NULL, 0);
        if (w->grad) /* dw (out, in) += dy^T (out, R) @ x (R, in) */
            eegnn__gpu_sgemm(c->stream, 1, 0, out, in, rows, 1.0f, dy, out, eegnn__gpu_dptr(c, x->data), in, 1.0f,
                             eegnn__gpu_dptr(c, w->grad), in, NULL, 0);
        if (b && b->grad) {
            dim3 blk(32, 8);
            eegnn__k_colsum_acc<<<(out + 31) / 32, blk, 0, c->stream>>>(dy, rows, out, eegnn__gpu_dptr(c, b->grad));
        }
    } else if (!strcmp(op, "scaled_dot_product_attention")) {
        eegnn__fa p;
        dim3 grid;
        int dh;
        eegnn__gpu_fa_setup(c, t, &p);
        p.o = eegnn__gpu_dptr(c, t->data);
        p.dout = dy;
        p.lse_in = eegnn__gpu_dptr(c, t->aux);
        p.delta = c->scratch;
        p.dq = t->src[0]->grad ? eegnn__gpu_dptr(c, t->src[0]->grad) + t->iaux[EEGNN__SDPA_QOFF] : NULL;
        p.dk = t->src[1]->grad ? eegnn__gpu_dptr(c, t->src[1]->grad) + t->iaux[EEGNN__SDPA_KOFF] : NULL;
        p.dv = t->src[2]->grad ? eegnn__gpu_dptr(c, t->src[2]->grad) + t->iaux[EEGNN__SDPA_VOFF] : NULL;
        dh = eegnn__gpu_fa_dh(p.d);
        eegnn__k_fa_delta<<<(unsigned)(((size_t)p.B * p.H * p.tq + EEGNN__GT - 1) / EEGNN__GT), EEGNN__GT, 0,
                            c->stream>>>(p);
        if (p.dq) {
            grid = dim3((p.tq + EEGNN__FA_BQ - 1) / EEGNN__FA_BQ, p.B * p.H);
            EEGNN__FA_LAUNCH(eegnn__k_fa_dq, dh, grid, p);
        }
        if (p.dk || p.dv) {
            grid = dim3((p.tk + EEGNN__FA_BQ - 1) / EEGNN__FA_BQ, p.B * p.H);
            EEGNN__FA_LAUNCH(eegnn__k_fa_dkv, dh, grid, p);
        }
    } else if (!strcmp(op, "layer_norm")) {
        eegnn_tensor *wt = t->ip[2] >= 0 ? t->src[t->ip[2]] : NULL, *bt = t->ip[3] >= 0 ? t->src[t->ip[3]] : NULL;
        const float *xd = eegnn__gpu_dptr(c, x->data), *aux = eegnn__gpu_dptr(c, t->aux);
        if (x->grad)
            eegnn__k_ln_bwd_dx<<<t->ip[0], 128, 0, c->stream>>>(xd, dy, aux, wt ? eegnn__gpu_dptr(c, wt->data) : NULL,
                                                                eegnn__gpu_dptr(c, x->grad), t->ip[1]);
        if ((wt && wt->grad) || (bt && bt->grad)) {
            dim3 blk(32, 8);
            eegnn__k_ln_bwd_wb<<<(t->ip[1] + 31) / 32, blk, 0, c->stream>>>(
                xd, dy, aux, t->ip[0], t->ip[1], wt && wt->grad ? eegnn__gpu_dptr(c, wt->grad) : NULL,
                bt && bt->grad ? eegnn__gpu_dptr(c, bt->grad) : NULL);
        }
    } else if (!strcmp(op, "add")) {
        if (x->grad) eegnn__gpu_ew(c, 1, dy, NULL, eegnn__gpu_dptr(c, x->grad), t->numel);
        if (t->src[1]->grad) eegnn__gpu_ew(c, 1, dy, NULL, eegnn__gpu_dptr(c, t->src[1]->grad), t->numel);
    } else if (!strcmp(op, "relu")) {
        if (x->grad) eegnn__gpu_ew(c, 3, eegnn__gpu_dptr(c, t->data), dy, eegnn__gpu_dptr(c, x->grad), t->numel);
    } else if (!strcmp(op, "gelu")) {
        if (x->grad) eegnn__gpu_ew(c, 5, eegnn__gpu_dptr(c, x->data), dy, eegnn__gpu_dptr(c, x->grad), t->numel);
    } else if (!strcmp(op, "dropout")) {
        if (x->grad) {
            if (t->ip[0]) eegnn__gpu_ew(c, 7, dy, eegnn__gpu_dptr(c, t->aux), eegnn__gpu_dptr(c, x->grad), t->numel);
            else eegnn__gpu_ew(c, 1, dy, NULL, eegnn__gpu_dptr(c, x->grad), t->numel);
        }
    } else { /* reshape, flatten: dx += dy */
        if (x->grad) eegnn__gpu_ew(c, 1, dy, NULL, eegnn__gpu_dptr(c, x->grad), t->numel);
    }
    return eegnn__gpu_launched(c, op);
}
#endif /* EEGNN__GPU */

/* 1 when node t can run on the device with routing mask `ops`, given which
 * earlier nodes do (routed). */
static int eegnn__gpu_routable(const eegnn__gpu *c, const eegnn_tensor *t, int ops) {
    const char *op = t->op;
    int i, from_gpu = 0;
    if (!t->forward) return 0;
    for (i = 0; i < EEGNN_MAX_SRC; i++)
        if (t->src[i] && t->src[i]->forward && c->routed[t->src[i]->index]) from_gpu = 1;
    if (!strcmp(op, "linear")) return (ops & EEGNN_GPU_OP_LINEAR) != 0;
    if (!strcmp(op, "scaled_dot_product_attention")) {
        if (!(ops & EEGNN_GPU_OP_ATTENTION)) return 0;
        if (t->iaux[EEGNN__SDPA_D] > 128) {
            if (!c->cfg.quiet)
                fprintf(stderr, "eegnn: GPU: attention head width %d > 128 has no GPU kernel; node %d stays on "
                                "the CPU\n", t->iaux[EEGNN__SDPA_D], t->index);
            return 0;
        }
        return 1;
    }
    if (!strcmp(op, "layer_norm")) return (ops & EEGNN_GPU_OP_NORM) && from_gpu;
    if (!strcmp(op, "add"))
        return (ops & EEGNN_GPU_OP_ELEMENTWISE) && from_gpu && t->src[1]->numel == t->numel &&
               t->src[0]->numel == t->numel;
    if (!strcmp(op, "gelu") || !strcmp(op, "relu") || !strcmp(op, "dropout") || !strcmp(op, "reshape") ||
        !strcmp(op, "flatten"))
        return (ops & EEGNN_GPU_OP_ELEMENTWISE) && from_gpu;
    return 0;
}

static void eegnn__gpu_prof_begin(eegnn__gpu *c, const eegnn_tensor *t, int on_gpu, double *t0) {
    c->cur = c->cfg.profile ? eegnn__gpu_prof_entry(c, t->op, on_gpu) : NULL;
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
        eegnn__k_optim<<<eegnn__gpu_grid(n), EEGNN__GT, 0, c->stream>>>(a, eegnn__gpu_dptr(c, p->data),
                                                                         eegnn__gpu_dptr(c, p->grad), st[0], st[1],
                                                                         u->amsgrad ? st[2] : NULL, n);
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
                eegnn__k_finite<<<eegnn__gpu_grid(p->numel), EEGNN__GT, 0, c->stream>>>(
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
        if (c->routed[i] && !strcmp(t->op, "scaled_dot_product_attention") && t->aux_len > c->scratch_floats)
            c->scratch_floats = t->aux_len;
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
        fprintf(f, "%-30s %-4s %8ld %10.2f %10.2f %10.2f\n", p->op, p->on_gpu ? "gpu" : "cpu", p->calls,
                p->seconds * 1e3, p->h2d / 1048576.0, p->d2h / 1048576.0);
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

#endif /* EEGNN_IMPLEMENTATION && !EEGNN_HIP_IMPLEMENTATION_DONE */
