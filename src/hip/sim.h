/* The HIP simulator (EEGNN_HIP_SIM): the HIP names the kernels and the host
 * side use, implemented on the CPU, so that every kernel runs, as written,
 * on a machine without a GPU (as Numba's CUDA simulator and Triton's
 * interpreter do). Build: c++ -std=c++11 -DEEGNN_HIP_SIM prog.c -lpthread.
 *
 *   - A launch runs its blocks one after another on the calling thread.
 *     The threads of a block are fibers with stacks of their own: a thread
 *     runs until it reaches __syncthreads() (or a warp shuffle) or returns;
 *     when every thread of the block waits at the barrier they all go on.
 *     A barrier that some threads of the block never reach (they returned
 *     first) fails the launch with hipErrorLaunchFailure, as a GPU would
 *     hang or misbehave there.
 *   - __shared__ variables are one copy per host thread, shared by the
 *     fibers of the running block. threadIdx, blockIdx, blockDim, gridDim
 *     and warpSize (EEGNN_HIP_SIM_WARP: 32, the default, or 64) are those of
 *     the running thread. EEGNN__SHFL_XOR exchanges values between the lanes
 *     of a warp as __shfl_xor does.
 *   - Device memory is host memory (malloc: AddressSanitizer sees an access
 *     outside an allocation); copies, memsets and streams complete before
 *     they return; hipHostRegister does nothing.
 *   - Launch configurations are checked as the runtime checks them: a block
 *     of 0 or more than 1024 threads (x, y <= 1024, z <= 64), an empty grid
 *     or grid.y, grid.z above 65535: hipErrorInvalidConfiguration; dynamic
 *     shared memory above 64 KiB: hipErrorLaunchOutOfResources; reported by
 *     hipGetLastError.
 *   - Fibers switch with a few instructions on x86-64 and with ucontext
 *     elsewhere (or with -DEEGNN_HIP_SIM_UCONTEXT); under AddressSanitizer
 *     every switch is announced with __sanitizer_start_switch_fiber /
 *     __sanitizer_finish_switch_fiber.
 * eegnn_gpu_query reports platform "SIM". */
#if defined(EEGNN__SIM)
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef EEGNN_HIP_SIM_WARP
#define EEGNN_HIP_SIM_WARP 32
#endif
#if EEGNN_HIP_SIM_WARP != 32 && EEGNN_HIP_SIM_WARP != 64
#error "EEGNN_HIP_SIM_WARP must be 32 or 64"
#endif

#if defined(__SANITIZE_ADDRESS__)
#define EEGNN__SIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EEGNN__SIM_ASAN 1
#endif
#endif
#if defined(EEGNN__SIM_ASAN)
#include <sanitizer/common_interface_defs.h>
#endif
#if !defined(__x86_64__) || defined(EEGNN_HIP_SIM_UCONTEXT)
#define EEGNN__SIM_UCONTEXT 1
#include <ucontext.h>
#endif

/* ---- runtime types and errors (the values and messages of HIP's) ---- */
typedef enum hipError_t {
    hipSuccess = 0,
    hipErrorInvalidValue = 1,
    hipErrorOutOfMemory = 2,
    hipErrorInvalidConfiguration = 9,
    hipErrorNoDevice = 100,
    hipErrorInvalidDevice = 101,
    hipErrorLaunchOutOfResources = 701,
    hipErrorLaunchFailure = 719
} hipError_t;

typedef enum hipMemcpyKind {
    hipMemcpyHostToHost = 0,
    hipMemcpyHostToDevice = 1,
    hipMemcpyDeviceToHost = 2,
    hipMemcpyDeviceToDevice = 3
} hipMemcpyKind;

#define hipHostRegisterDefault 0u

typedef struct eegnn__sim_stream {
    int unused;
} *hipStream_t;

typedef struct hipDeviceProp_t {
    char name[256];
    char gcnArchName[256];
    int major, minor;
    int multiProcessorCount;
    int warpSize;
    int maxThreadsPerBlock;
    size_t totalGlobalMem;
    size_t sharedMemPerBlock;
} hipDeviceProp_t;

struct dim3 {
    unsigned int x, y, z;
    dim3(unsigned int a = 1, unsigned int b = 1, unsigned int c = 1) : x(a), y(b), z(c) {}
};

/* ---- the simulated device ---- */
typedef struct eegnn__sim_uint3 {
    unsigned int x, y, z;
} eegnn__sim_uint3;

enum { EEGNN__SIM_READY, EEGNN__SIM_AT_SYNC, EEGNN__SIM_AT_WARP, EEGNN__SIM_DONE };
#define EEGNN__SIM_MAX_THREADS 1024
#define EEGNN__SIM_MAX_SHMEM 65536

typedef struct eegnn__sim_fiber {
    void *sp;               /* saved stack pointer while switched out (x86-64) */
#if defined(EEGNN__SIM_UCONTEXT)
    ucontext_t uc;
#endif
    char *stack;            /* lowest usable address (a guard page lies below) */
    size_t stack_size;
    eegnn__sim_uint3 idx;   /* threadIdx */
    int linear;             /* x + y * blockDim.x + z * blockDim.x * blockDim.y */
    int state;              /* EEGNN__SIM_* */
    void *asan_fake;        /* AddressSanitizer's fake stack while switched out */
} eegnn__sim_fiber;

typedef struct eegnn__sim_state {
    eegnn__sim_fiber *fibers; /* (EEGNN__SIM_MAX_THREADS), mapped on first use */
    int n_stacks;             /* fibers with a stack */
    int n;                    /* threads of the running block */
    eegnn__sim_uint3 block, block_dim, grid_dim;
    void *sched_sp;
#if defined(EEGNN__SIM_UCONTEXT)
    ucontext_t sched_uc;
#endif
    const void *main_bottom;  /* the scheduler's stack, for AddressSanitizer */
    size_t main_size;
    void *sched_fake;
    void (*body)(void *);     /* the launch's kernel call */
    void *arg;
    float shfl[EEGNN__SIM_MAX_THREADS]; /* lane values of a warp shuffle */
    hipError_t last_error;
} eegnn__sim_state;

static thread_local eegnn__sim_state eegnn__sim;
static thread_local eegnn__sim_fiber *eegnn__sim_thread;
static const int warpSize = EEGNN_HIP_SIM_WARP;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static thread_local
#define threadIdx (eegnn__sim_thread->idx)
#define blockIdx (eegnn__sim.block)
#define blockDim (eegnn__sim.block_dim)
#define gridDim (eegnn__sim.grid_dim)
#define __syncthreads() eegnn__sim_wait(EEGNN__SIM_AT_SYNC)
#define EEGNN__SHFL_XOR(v, mask) eegnn__sim_shfl_xor((v), (mask))
#define EEGNN__UNROLL

#if !defined(EEGNN__SIM_UCONTEXT)
/* Saves the callee-saved registers on the current stack, stores its
 * pointer in *save, switches to the stack `load` (saved the same way) and
 * restores from it (System V x86-64). The floating-point control state
 * (MXCSR, x87) is the same for every fiber and is left alone. */
extern "C" void eegnn__sim_switch(void **save, void *load);
__asm__(".text\n"
        ".p2align 4\n"
        "eegnn__sim_switch:\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    movq %rsp, (%rdi)\n"
        "    movq %rsi, %rsp\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n");
#endif

/* From the running fiber back to the scheduler; `done`: it will not run again. */
static inline void eegnn__sim_to_scheduler(eegnn__sim_fiber *f, int done) {
    (void)done;
#if defined(EEGNN__SIM_ASAN)
    __sanitizer_start_switch_fiber(done ? NULL : &f->asan_fake, eegnn__sim.main_bottom, eegnn__sim.main_size);
#endif
#if defined(EEGNN__SIM_UCONTEXT)
    swapcontext(&f->uc, &eegnn__sim.sched_uc);
#else
    eegnn__sim_switch(&f->sp, eegnn__sim.sched_sp);
#endif
#if defined(EEGNN__SIM_ASAN)
    __sanitizer_finish_switch_fiber(f->asan_fake, NULL, NULL);
#endif
}

/* Every simulated thread starts here. */
static inline void eegnn__sim_entry(void) {
    eegnn__sim_fiber *f = eegnn__sim_thread;
#if defined(EEGNN__SIM_ASAN)
    __sanitizer_finish_switch_fiber(NULL, &eegnn__sim.main_bottom, &eegnn__sim.main_size);
#endif
    eegnn__sim.body(eegnn__sim.arg);
    f->state = EEGNN__SIM_DONE;
    eegnn__sim_to_scheduler(f, 1);
}

/* The running thread waits at a block barrier (EEGNN__SIM_AT_SYNC) or a warp
 * barrier (EEGNN__SIM_AT_WARP) until the scheduler releases it. */
static inline void eegnn__sim_wait(int kind) {
    eegnn__sim_fiber *f = eegnn__sim_thread;
    f->state = kind;
    eegnn__sim_to_scheduler(f, 0);
}

/* __shfl_xor(v, mask): the value of lane (lane ^ mask) of this warp. */
static inline float eegnn__sim_shfl_xor(float v, int mask) {
    eegnn__sim_fiber *f = eegnn__sim_thread;
    int lane = f->linear % EEGNN_HIP_SIM_WARP, base = f->linear - lane, src = lane ^ mask;
    float r;
    eegnn__sim.shfl[f->linear] = v;
    eegnn__sim_wait(EEGNN__SIM_AT_WARP);
    r = src < EEGNN_HIP_SIM_WARP && base + src < eegnn__sim.n ? eegnn__sim.shfl[base + src] : v;
    eegnn__sim_wait(EEGNN__SIM_AT_WARP); /* no lane writes its next value before every lane has read */
    return r;
}

static inline unsigned int atomicMin(unsigned int *a, unsigned int v) {
    unsigned int old = *a; /* fibers switch only at barriers: this is atomic among them */
    if (v < old) *a = v;
    return old;
}

static inline float atomicAdd(float *a, float v) {
    float old = *a;
    *a = old + v;
    return old;
}

/* Gives fiber i a stack (mapped once, with a guard page below it) and a
 * fresh start at eegnn__sim_entry. Returns 0 when memory is short. */
static inline int eegnn__sim_prepare(int i) {
#if defined(EEGNN__SIM_ASAN)
    const size_t size = (size_t)512 << 10;
#else
    const size_t size = (size_t)64 << 10;
#endif
    eegnn__sim_fiber *f;
    if (!eegnn__sim.fibers) {
        void *p = mmap(NULL, EEGNN__SIM_MAX_THREADS * sizeof(eegnn__sim_fiber), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return 0;
        eegnn__sim.fibers = (eegnn__sim_fiber *)p;
    }
    f = &eegnn__sim.fibers[i];
    if (i >= eegnn__sim.n_stacks) {
        char *p = (char *)mmap(NULL, size + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                               -1, 0);
        if (p == MAP_FAILED) return 0;
        mprotect(p, 4096, PROT_NONE);
        f->stack = p + 4096;
        f->stack_size = size;
        eegnn__sim.n_stacks = i + 1;
    }
#if defined(EEGNN__SIM_UCONTEXT)
    getcontext(&f->uc);
    f->uc.uc_stack.ss_sp = f->stack;
    f->uc.uc_stack.ss_size = f->stack_size;
    f->uc.uc_link = NULL;
    makecontext(&f->uc, eegnn__sim_entry, 0);
#else
    {
        /* the frame eegnn__sim_switch restores: r15 .. rbp, then the return
         * address (the entry, which then starts with the stack aligned as
         * after a call) */
        uint64_t *top = (uint64_t *)((uintptr_t)(f->stack + f->stack_size) & ~(uintptr_t)15), *sp = top - 8;
        memset(sp, 0, 8 * sizeof(uint64_t));
        top[-2] = (uint64_t)(uintptr_t)&eegnn__sim_entry;
        f->sp = sp;
    }
#endif
    f->state = EEGNN__SIM_READY;
    f->asan_fake = NULL;
    return 1;
}

/* Switches from the scheduler to fiber f until it waits or returns. */
static inline void eegnn__sim_resume(eegnn__sim_fiber *f) {
    eegnn__sim_thread = f;
#if defined(EEGNN__SIM_ASAN)
    __sanitizer_start_switch_fiber(&eegnn__sim.sched_fake, f->stack, f->stack_size);
#endif
#if defined(EEGNN__SIM_UCONTEXT)
    swapcontext(&eegnn__sim.sched_uc, &f->uc);
#else
    eegnn__sim_switch(&eegnn__sim.sched_sp, f->sp);
#endif
#if defined(EEGNN__SIM_ASAN)
    __sanitizer_finish_switch_fiber(eegnn__sim.sched_fake, NULL, NULL);
#endif
    eegnn__sim_thread = NULL;
}

/* Runs the threads of the current block to their end, barrier by barrier:
 * warp by warp, each warp until all its lanes wait at __syncthreads() or
 * have returned (a warp whose lanes all wait at a shuffle goes on at
 * once), then the whole block past the barrier. Returns 0, or 1 when the
 * block cannot go on (message printed). */
static inline int eegnn__sim_run_block(const char *kernel) {
    int n = eegnn__sim.n, i, w;
    eegnn__sim_fiber *fb;
    for (i = 0; i < n; i++) {
        eegnn__sim_fiber *f;
        if (!eegnn__sim_prepare(i)) {
            fprintf(stderr, "eegnn HIP simulator: %s: no memory for the stack of thread %d\n", kernel, i);
            return 1;
        }
        f = &eegnn__sim.fibers[i];
        f->linear = i;
        f->idx.x = (unsigned int)i % eegnn__sim.block_dim.x;
        f->idx.y = (unsigned int)i / eegnn__sim.block_dim.x % eegnn__sim.block_dim.y;
        f->idx.z = (unsigned int)i / (eegnn__sim.block_dim.x * eegnn__sim.block_dim.y);
    }
    fb = eegnn__sim.fibers;
    for (;;) {
        int at_sync = 0, done = 0;
        for (w = 0; w < n; w += EEGNN_HIP_SIM_WARP) {
            int end = w + EEGNN_HIP_SIM_WARP < n ? w + EEGNN_HIP_SIM_WARP : n;
            for (;;) {
                int at_warp = 0, lanes_done = 0;
                for (i = w; i < end; i++)
                    if (fb[i].state == EEGNN__SIM_READY) eegnn__sim_resume(&fb[i]);
                for (i = w; i < end; i++) {
                    at_warp += fb[i].state == EEGNN__SIM_AT_WARP;
                    lanes_done += fb[i].state == EEGNN__SIM_DONE;
                }
                if (!at_warp) break;
                if (at_warp + lanes_done != end - w || lanes_done) {
                    fprintf(stderr, "eegnn HIP simulator: %s, block (%u, %u, %u), warp %d: %d lanes wait at a warp "
                                    "shuffle that the other %d do not reach\n", kernel, eegnn__sim.block.x,
                            eegnn__sim.block.y, eegnn__sim.block.z, w / EEGNN_HIP_SIM_WARP, at_warp,
                            end - w - at_warp);
                    return 1;
                }
                for (i = w; i < end; i++) fb[i].state = EEGNN__SIM_READY;
            }
            for (i = w; i < end; i++) {
                at_sync += fb[i].state == EEGNN__SIM_AT_SYNC;
                done += fb[i].state == EEGNN__SIM_DONE;
            }
        }
        if (done == n) return 0;
        if (done) {
            fprintf(stderr, "eegnn HIP simulator: %s, block (%u, %u, %u): __syncthreads() reached by %d of the "
                            "%d threads; the others returned before it\n", kernel, eegnn__sim.block.x,
                    eegnn__sim.block.y, eegnn__sim.block.z, at_sync, n);
            return 1;
        }
        for (i = 0; i < n; i++) fb[i].state = EEGNN__SIM_READY;
    }
}

template <class F>
static inline void eegnn__sim_call(void *f) {
    (*(F *)f)();
}

/* A kernel launch: checks the configuration, then runs every block. */
template <class F>
static inline hipError_t eegnn__sim_launch(const char *kernel, dim3 grid, dim3 block, size_t shmem, hipStream_t stream,
                                    F f) {
    unsigned int bx, by, bz;
    unsigned long threads = (unsigned long)block.x * block.y * block.z;
    (void)stream;
    if (!threads || threads > EEGNN__SIM_MAX_THREADS || block.x > 1024 || block.y > 1024 || block.z > 64 ||
        !grid.x || !grid.y || !grid.z || grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535)
        return eegnn__sim.last_error = hipErrorInvalidConfiguration;
    if (shmem > EEGNN__SIM_MAX_SHMEM) return eegnn__sim.last_error = hipErrorLaunchOutOfResources;
    eegnn__sim.n = (int)threads;
    eegnn__sim.block_dim.x = block.x, eegnn__sim.block_dim.y = block.y, eegnn__sim.block_dim.z = block.z;
    eegnn__sim.grid_dim.x = grid.x, eegnn__sim.grid_dim.y = grid.y, eegnn__sim.grid_dim.z = grid.z;
    eegnn__sim.body = eegnn__sim_call<F>;
    eegnn__sim.arg = &f;
    for (bz = 0; bz < grid.z; bz++)
        for (by = 0; by < grid.y; by++)
            for (bx = 0; bx < grid.x; bx++) {
                eegnn__sim.block.x = bx, eegnn__sim.block.y = by, eegnn__sim.block.z = bz;
                if (eegnn__sim_run_block(kernel)) return eegnn__sim.last_error = hipErrorLaunchFailure;
            }
    return hipSuccess;
}

#define EEGNN__LAUNCH(kernel, grid, block, shmem, stream, ...)                                                \
    eegnn__sim_launch(#kernel, dim3(grid), dim3(block), (size_t)(shmem), stream, [&]() { kernel(__VA_ARGS__); })

/* ---- the runtime API the host side uses ---- */
static inline const char *hipGetErrorString(hipError_t e) {
    switch (e) {
    case hipSuccess: return "no error";
    case hipErrorInvalidValue: return "invalid argument";
    case hipErrorOutOfMemory: return "out of memory";
    case hipErrorInvalidConfiguration: return "invalid configuration argument";
    case hipErrorNoDevice: return "no ROCm-capable device is detected";
    case hipErrorInvalidDevice: return "invalid device ordinal";
    case hipErrorLaunchOutOfResources: return "too many resources requested for launch";
    case hipErrorLaunchFailure: return "unspecified launch failure";
    }
    return "unknown error";
}

static inline hipError_t hipGetLastError(void) {
    hipError_t e = eegnn__sim.last_error;
    eegnn__sim.last_error = hipSuccess;
    return e;
}

static inline hipError_t eegnn__sim_fail(hipError_t e) { return eegnn__sim.last_error = e; }

static inline hipError_t hipGetDeviceCount(int *n) {
    if (!n) return eegnn__sim_fail(hipErrorInvalidValue);
    *n = 1;
    return hipSuccess;
}

static inline hipError_t hipSetDevice(int device) {
    return device == 0 ? hipSuccess : eegnn__sim_fail(hipErrorInvalidDevice);
}

static inline hipError_t hipGetDeviceProperties(hipDeviceProp_t *prop, int device) {
    if (!prop) return eegnn__sim_fail(hipErrorInvalidValue);
    if (device != 0) return eegnn__sim_fail(hipErrorInvalidDevice);
    memset(prop, 0, sizeof *prop);
    snprintf(prop->name, sizeof prop->name, "eegnn HIP simulator (CPU, warp %d)", EEGNN_HIP_SIM_WARP);
    snprintf(prop->gcnArchName, sizeof prop->gcnArchName, "sim-warp%d", EEGNN_HIP_SIM_WARP);
    prop->multiProcessorCount = 1;
    prop->warpSize = EEGNN_HIP_SIM_WARP;
    prop->maxThreadsPerBlock = EEGNN__SIM_MAX_THREADS;
    prop->totalGlobalMem = (size_t)16 << 30;
    prop->sharedMemPerBlock = EEGNN__SIM_MAX_SHMEM;
    return hipSuccess;
}

static inline hipError_t hipMemGetInfo(size_t *free_bytes, size_t *total_bytes) {
    if (!free_bytes || !total_bytes) return eegnn__sim_fail(hipErrorInvalidValue);
    *free_bytes = *total_bytes = (size_t)16 << 30;
    return hipSuccess;
}

static inline hipError_t hipMalloc(void **p, size_t n) {
    if (!p) return eegnn__sim_fail(hipErrorInvalidValue);
    *p = n ? malloc(n) : NULL;
    return n && !*p ? eegnn__sim_fail(hipErrorOutOfMemory) : hipSuccess;
}

static inline hipError_t hipFree(void *p) {
    free(p);
    return hipSuccess;
}

static inline hipError_t hipMemcpy(void *dst, const void *src, size_t n, hipMemcpyKind kind) {
    (void)kind;
    if (n && (!dst || !src)) return eegnn__sim_fail(hipErrorInvalidValue);
    if (n) memmove(dst, src, n);
    return hipSuccess;
}

static inline hipError_t hipMemcpyAsync(void *dst, const void *src, size_t n, hipMemcpyKind kind, hipStream_t stream) {
    (void)stream;
    return hipMemcpy(dst, src, n, kind);
}

static inline hipError_t hipMemsetAsync(void *dst, int value, size_t n, hipStream_t stream) {
    (void)stream;
    if (n && !dst) return eegnn__sim_fail(hipErrorInvalidValue);
    if (n) memset(dst, value, n);
    return hipSuccess;
}

static inline hipError_t hipStreamCreate(hipStream_t *s) {
    if (!s) return eegnn__sim_fail(hipErrorInvalidValue);
    *s = (hipStream_t)calloc(1, sizeof **s);
    return *s ? hipSuccess : eegnn__sim_fail(hipErrorOutOfMemory);
}

static inline hipError_t hipStreamDestroy(hipStream_t s) {
    free(s);
    return hipSuccess;
}

static inline hipError_t hipStreamSynchronize(hipStream_t s) {
    (void)s; /* every operation completed when it was issued */
    return hipSuccess;
}

static inline hipError_t hipHostRegister(void *p, size_t n, unsigned int flags) {
    (void)p;
    (void)n;
    (void)flags;
    return hipSuccess;
}

static inline hipError_t hipHostUnregister(void *p) {
    (void)p;
    return hipSuccess;
}
#endif /* EEGNN__SIM */
