# Finds LibTorch: Debian's libtorch-dev (1.13, CPU) by default, or any LibTorch >= 2.0 given
# through CMAKE_PREFIX_PATH (official archive or the copy inside a PyTorch wheel:
#   -DCMAKE_PREFIX_PATH=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')).
find_package(Torch REQUIRED)

# TorchConfig puts the ABI define and friends into TORCH_CXX_FLAGS; apply them to everything we
# compile so that our objects agree with libtorch.
separate_arguments(_setok_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
add_compile_options(${_setok_torch_flags})

if(TARGET torch_cuda OR TORCH_CUDA_LIBRARIES)
  set(SETOK_TORCH_FLAVOUR "CUDA")
  # CUDA-only code (allocator statistics) lives in runtime/compat.cpp behind this define.
  add_compile_definitions(SETOK_WITH_CUDA=1)
  # c10d's NCCL process group (dist/process_group.cpp); the CUDA LibTorch ships it.
  add_compile_definitions(USE_C10D_NCCL)
else()
  set(SETOK_TORCH_FLAVOUR "CPU")
endif()
if(NOT Torch_VERSION)
  set(Torch_VERSION "unknown")
endif()
