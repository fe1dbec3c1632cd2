# Debian ships OpenBLAS in two threading flavours. libtorch uses OpenMP for its own parallel
# loops; with the pthread flavour (the libblas.so.3 default) OpenBLAS runs a second pool of
# spinning threads that fights ATen's OpenMP pool: on 2 cores small-tensor workloads ran 3-4x
# slower with 2 ATen threads than with 1 (measured in docs/benchmarks.md). The OpenMP flavour
# shares ATen's pool, so big GEMMs still use every core and small ops do not contend.
# Our executables therefore carry a DT_RPATH (which, unlike RUNPATH, also applies to libtorch's
# own libblas.so.3 dependency) to the OpenMP flavour when it is installed. Nothing system-wide
# changes.
option(SETOK_OPENBLAS_OPENMP "Load Debian's OpenMP OpenBLAS (openblas-openmp) when installed" ON)
set(SETOK_OPENBLAS_OPENMP_DIR "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp")

function(setok_prefer_openmp_blas target)
  if(SETOK_OPENBLAS_OPENMP AND EXISTS "${SETOK_OPENBLAS_OPENMP_DIR}/libblas.so.3")
    target_link_options(${target} PRIVATE "LINKER:--disable-new-dtags"
                                          "LINKER:-rpath,${SETOK_OPENBLAS_OPENMP_DIR}")
  endif()
endfunction()
