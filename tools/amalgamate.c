/* amalgamate: writes eegnn.h and eegnn_hip.h from the split sources in src/.
 *
 *   cc -o amalgamate tools/amalgamate.c
 *   ./amalgamate            writes eegnn.h and eegnn_hip.h (run from the
 *                           repository root)
 *   ./amalgamate --check    exits 1 when a committed header differs from
 *                           what it would write, 0 when both are up to date
 *   ./amalgamate --root DIR works on another checkout
 *
 * eegnn_hip.h, the GPU companion, is made the same way from src/hip/: its
 * declarations (src/hip/hip.h, which carries its own include guard), then
 * the runtime selection, the simulator, the kernels and the host side under
 * `#if defined(EEGNN_IMPLEMENTATION)`.
 *
 * Layout of the output (as the SQLite amalgamation and stb headers do):
 * a "generated, do not edit" line and the version, the declarations inside
 * the include guard, then every implementation file inside
 * `#ifdef EEGNN_IMPLEMENTATION`, then the license. Each source file is
 * wrapped in "Begin file" / "End file" banners. The order below is fixed:
 * a file may use anything declared or defined by the files before it.
 * src/ops/kernels.c appears once per CPU path, each time after the prelude
 * that sets the path's vector width and target (src/ops/kernels.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Public declarations, in dependency order. */
static const char *const decl_files[] = {
    "src/manual.h",
    "src/core/base.h",
    "src/core/threadpool.h",
    "src/graph/graph.h",
    "src/ops/ops.h",
    "src/ops/conv2d.h",
    "src/ops/math.h",
    "src/ops/attention.h",
    "src/ops/spectral.h",
    "src/nn/nn.h",
    "src/nn/transformer.h",
    "src/nn/braindecode.h",
    "src/nn/bandpower.h",
    "src/optim/optim.h",
    "src/io/raw.h",
    "src/io/npy.h",
    "src/io/safetensors.h",
    "src/io/edf.h",
    "src/io/brainvision.h",
    "src/io/matfile.h",
    "src/io/eeglab.h",
    "src/io/table.h",
    "src/preprocess/preprocess.h",
    "src/bids/bids.h",
    "src/data/windows.h",
    "src/data/synthetic.h",
    "src/preprocess/filter.h",
    "src/metrics/metrics.h",
    "src/train/trainer.h",
    "src/train/train.h",
};

/* Implementation, in dependency order. */
static const char *const impl_files[] = {
    "src/core/internal.h",
    "src/core/internal.c",
    "src/core/base.c",
    "src/core/files.c",
    "src/core/threadpool.c",
    "src/graph/graph.c",
    "src/ops/kernels.h",
    "src/ops/kernels_avx512.h",
    "src/ops/kernels.c",
    "src/ops/kernels_avx2.h",
    "src/ops/kernels.c",
    "src/ops/kernels_generic.h",
    "src/ops/kernels.c",
    "src/ops/cpu.c",
    "src/ops/gemm.c",
    "src/ops/elementwise.c",
    "src/ops/linear.c",
    "src/ops/conv.c",
    "src/ops/pool.c",
    "src/ops/norm.c",
    "src/ops/loss.c",
    "src/ops/conv2d.c",
    "src/ops/eegnex_stem.c",
    "src/ops/math.c",
    "src/ops/attention.c",
    "src/ops/spectral.c",
    "src/nn/nn.c",
    "src/nn/transformer.c",
    "src/nn/braindecode.c",
    "src/nn/bandpower.c",
    "src/nn/zoo.c",
    "src/optim/optim.c",
    "src/io/recording.c",
    "src/io/npy.c",
    "src/io/safetensors.c",
    "src/io/edf.c",
    "src/io/brainvision.c",
    "src/io/matfile.c",
    "src/io/eeglab.c",
    "src/io/raw.c",
    "src/io/table.c",
    "src/preprocess/preprocess.c",
    "src/bids/bids.c",
    "src/data/dataset.c",
    "src/data/window_cache.c",
    "src/data/prep.c",
    "src/data/prep_cache.c",
    "src/data/check.c",
    "src/data/windows.c",
    "src/data/splits.c",
    "src/data/synthetic.c",
    "src/preprocess/filter.c",
    "src/metrics/metrics.c",
    "src/train/trainer.c",
    "src/train/train.c",
};

typedef struct {
    char *p;
    size_t len, cap;
} buf;

static void put(buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->len + n + 1) cap *= 2;
        b->p = (char *)realloc(b->p, cap);
        if (!b->p) {
            fprintf(stderr, "amalgamate: out of memory\n");
            exit(2);
        }
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static char *slurp(const char *root, const char *rel, size_t *len) {
    char path[4096];
    FILE *fp;
    char *data;
    long n;
    snprintf(path, sizeof path, "%s/%s", root, rel);
    fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    data = (char *)malloc((size_t)n + 1);
    if (!data || fread(data, 1, (size_t)n, fp) != (size_t)n) {
        fclose(fp);
        free(data);
        return NULL;
    }
    fclose(fp);
    data[n] = '\0';
    *len = (size_t)n;
    return data;
}

static int add_file(buf *out, const char *root, const char *rel) {
    size_t n = 0;
    char *data = slurp(root, rel, &n);
    if (!data) {
        fprintf(stderr, "amalgamate: cannot read %s/%s\n", root, rel);
        return 0;
    }
    puts_(out, "/* ======================== Begin file ");
    puts_(out, rel);
    puts_(out, " ======================== */\n");
    put(out, data, n);
    if (n && data[n - 1] != '\n') puts_(out, "\n");
    puts_(out, "/* ======================== End file ");
    puts_(out, rel);
    puts_(out, " ======================== */\n\n");
    free(data);
    return 1;
}

/* The HIP companion header's parts. */
static const char *const hip_decl_files[] = {"src/hip/hip.h"};
static const char *const hip_impl_files[] = {"src/hip/runtime.h", "src/hip/sim.h", "src/hip/kernels.h",
                                             "src/hip/gpu.c"};

/* Compares out with root/name (check) or writes it; 0 on success. */
static int finish(const char *root, const char *name, const buf *out, int check) {
    char path[4096];
    size_t old_len = 0;
    char *old = slurp(root, name, &old_len);
    int same = old && old_len == out->len && memcmp(old, out->p, out->len) == 0;
    free(old);
    snprintf(path, sizeof path, "%s/%s", root, name);
    if (check) {
        if (!same) {
            fprintf(stderr, "amalgamate: %s is stale: run `cc -o amalgamate tools/amalgamate.c && ./amalgamate`\n",
                    path);
            return 1;
        }
        printf("amalgamate: %s is up to date (%zu bytes)\n", path, out->len);
        return 0;
    }
    if (!same) {
        char tmp[4200];
        FILE *fp;
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        fp = fopen(tmp, "wb");
        if (!fp || fwrite(out->p, 1, out->len, fp) != out->len || fclose(fp) != 0 || rename(tmp, path) != 0) {
            fprintf(stderr, "amalgamate: cannot write %s\n", path);
            remove(tmp);
            return 2;
        }
    }
    printf("amalgamate: wrote %s (%zu bytes)\n", path, out->len);
    return 0;
}

int main(int argc, char **argv) {
    const char *root = ".";
    int check = 0, i, r1, r2;
    size_t k;
    buf out = {0, 0, 0}, hip = {0, 0, 0};
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--check"))
            check = 1;
        else if (!strcmp(argv[i], "--root") && i + 1 < argc)
            root = argv[++i];
        else {
            fprintf(stderr, "usage: amalgamate [--check] [--root DIR]\n");
            return 2;
        }
    }
    puts_(&out, "/* eegnn.h: generated by tools/amalgamate.c from src/; do not edit. "
                "Edit the files in src/ and run amalgamate. */\n");
    puts_(&out, "#ifndef EEGNN_H\n#define EEGNN_H\n\n");
    for (k = 0; k < sizeof decl_files / sizeof *decl_files; k++)
        if (!add_file(&out, root, decl_files[k])) return 2;
    puts_(&out, "#endif /* EEGNN_H */\n\n");
    puts_(&out, "#ifdef EEGNN_IMPLEMENTATION\n#ifndef EEGNN__IMPLEMENTATION_DONE\n"
                "#define EEGNN__IMPLEMENTATION_DONE\n\n");
    for (k = 0; k < sizeof impl_files / sizeof *impl_files; k++)
        if (!add_file(&out, root, impl_files[k])) return 2;
    puts_(&out, "#endif /* EEGNN__IMPLEMENTATION_DONE */\n#endif /* EEGNN_IMPLEMENTATION */\n\n");
    if (!add_file(&out, root, "src/license.h")) return 2;

    puts_(&hip, "/* eegnn_hip.h: generated by tools/amalgamate.c from src/hip/; do not edit. "
                "Edit the files in src/hip/ and run amalgamate. */\n");
    for (k = 0; k < sizeof hip_decl_files / sizeof *hip_decl_files; k++)
        if (!add_file(&hip, root, hip_decl_files[k])) return 2;
    puts_(&hip, "#if defined(EEGNN_IMPLEMENTATION) && !defined(EEGNN_HIP_IMPLEMENTATION_DONE)\n"
                "#define EEGNN_HIP_IMPLEMENTATION_DONE\n\n");
    for (k = 0; k < sizeof hip_impl_files / sizeof *hip_impl_files; k++)
        if (!add_file(&hip, root, hip_impl_files[k])) return 2;
    puts_(&hip, "#endif /* EEGNN_IMPLEMENTATION && !EEGNN_HIP_IMPLEMENTATION_DONE */\n");

    r1 = finish(root, "eegnn.h", &out, check);
    r2 = finish(root, "eegnn_hip.h", &hip, check);
    free(out.p);
    free(hip.p);
    return r1 > r2 ? r1 : r2;
}
