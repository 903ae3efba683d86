/* eegnn: neural networks for EEG in one C header.

   1. What it is
   Tensors in caller-sized arenas, reverse-mode autodiff, PyTorch-compatible
   layers, losses and optimizers, EEG readers (EDF/EDF+/BDF/BDF+), a BIDS
   dataset loader with windowing and group-wise splits, and metrics, so a
   network can be trained on real EEG from C with no dependency beyond libc,
   libm and pthreads.

   2. Use
   In exactly one C or C++ file:
       #define EEGNN_IMPLEMENTATION
       #include "eegnn.h"
   and include "eegnn.h" without the define anywhere else. Build with
       cc -O2 main.c -lm -lpthread

   3. Compile-time options (define before the include that has
      EEGNN_IMPLEMENTATION)
   EEGNN_STATIC        make every function static (private to one file)
   EEGNN_USE_OPENBLAS  use cblas_sgemm for matrix products (link -lopenblas)
   EEGNN_MALLOC/EEGNN_REALLOC/EEGNN_FREE  your allocator (all three or none)
   EEGNN_ASSERT        your assert for programmer errors

   4. Errors
   Fallible functions return an eegnn_status (EEGNN_OK == 0) or NULL, and
   eegnn_last_error() (thread-local) says which file and what was wrong. The
   library never exits or aborts on bad data.

   5. Quick start: see the comment at the top of the graph section and
   examples/eegnn.c, the `eegnn` command-line program.
*/
