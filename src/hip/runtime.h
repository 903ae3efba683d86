/* The GPU runtime this build uses: HIP (hipcc), CUDA through a table of
 * renames (nvcc), the simulator of sim.h (EEGNN_HIP_SIM, plain C++), or
 * none. Kernels are launched with EEGNN__LAUNCH in every build (plain C++
 * cannot parse <<< >>>); a template kernel's name goes in EEGNN__K(...). */
#if defined(__HIPCC__)
#include <hip/hip_runtime.h>
#define EEGNN__GPU 1
#define EEGNN__PLATFORM "AMD"
#elif defined(__CUDACC__)
/* EEGNN__HIP_RENAMES: the HIP runtime names this file uses, as CUDA. */
#include <cuda_runtime.h>
#define hipError_t cudaError_t
#define hipSuccess cudaSuccess
#define hipErrorInvalidConfiguration cudaErrorInvalidConfiguration
#define hipErrorLaunchOutOfResources cudaErrorLaunchOutOfResources
#define hipErrorLaunchFailure cudaErrorLaunchFailure
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
#define hipMemcpyKind cudaMemcpyKind
#define hipStream_t cudaStream_t
#define hipStreamCreate cudaStreamCreate
#define hipStreamDestroy cudaStreamDestroy
#define hipStreamSynchronize cudaStreamSynchronize
#define hipHostRegister cudaHostRegister
#define hipHostUnregister cudaHostUnregister
#define hipHostRegisterDefault cudaHostRegisterDefault
#define EEGNN__GPU 1
#define EEGNN__PLATFORM "NVIDIA"
#elif defined(EEGNN_HIP_SIM)
#ifndef __cplusplus
#error "EEGNN_HIP_SIM runs the kernels as C++: compile with c++ -std=c++11 (e.g. c++ -x c++ prog.c -lpthread)"
#endif
#define EEGNN__GPU 1
#define EEGNN__SIM 1
#define EEGNN__PLATFORM "SIM"
#else
#define EEGNN__GPU 0
#endif

#define EEGNN__K(...) __VA_ARGS__
#if EEGNN__GPU && !defined(EEGNN__SIM)
#define EEGNN__LAUNCH(kernel, grid, block, shmem, stream, ...) kernel<<<grid, block, shmem, stream>>>(__VA_ARGS__)
#define EEGNN__UNROLL _Pragma("unroll")
#if defined(__CUDACC__)
#define EEGNN__SHFL_XOR(v, mask) __shfl_xor_sync(0xFFFFFFFFu, (v), (mask))
#else
#define EEGNN__SHFL_XOR(v, mask) __shfl_xor((v), (mask))
#endif
#endif
