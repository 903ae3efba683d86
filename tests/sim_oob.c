/* A kernel that writes one element past its buffer, for tests/test_gpu_build.sh:
 * built as the HIP simulator under AddressSanitizer it must be reported
 * (heap-buffer-overflow) and the program must fail. Not part of the suite
 * that tests/run.sh builds (it fails on purpose). */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "../eegnn_hip.h"

__global__ void sim_oob_fill(float *y, int n) {
    int i = (int)(blockIdx.x * blockDim.x + threadIdx.x);
    if (i <= n) y[i] = 1.0f; /* the bug: i == n is past the end */
}

int main(void) {
    float *y = NULL;
    if (hipMalloc((void **)&y, 64 * sizeof(float)) != hipSuccess) return 2;
    EEGNN__LAUNCH(sim_oob_fill, 1, 96, 0, 0, y, 64);
    hipFree(y);
    printf("no finding\n");
    return 0;
}
