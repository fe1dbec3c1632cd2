# Header/library dependencies other than torch. All come from Debian packages (scripts/setup.sh).
find_package(nlohmann_json 3.9 REQUIRED)
find_package(spdlog REQUIRED)

# A LibTorch 2.x taken from a PyTorch wheel ships the {fmt} headers it was built with (fmt 12 in
# torch 2.11) in its include folder. Through -isystem they shadow the system {fmt} that the
# system spdlog was built against, and spdlog 1.12 does not compile against fmt 12. Our code
# links the system fmt, so <fmt/...> must resolve there: a folder holding only a link to the
# system fmt headers goes first on the include path. (LibTorch's own copy lives in another
# inline namespace, fmt::v12, so the two never meet at link time.)
set(_setok_torch_fmt "")
foreach(_dir IN LISTS TORCH_INCLUDE_DIRS)
  if(EXISTS "${_dir}/fmt/core.h")
    set(_setok_torch_fmt "${_dir}")
  endif()
endforeach()
if(_setok_torch_fmt AND TARGET fmt::fmt)
  get_target_property(_setok_fmt_dirs fmt::fmt INTERFACE_INCLUDE_DIRECTORIES)
  find_path(SETOK_SYSTEM_FMT_INCLUDE fmt/core.h HINTS ${_setok_fmt_dirs} NO_CMAKE_PATH
            NO_CMAKE_ENVIRONMENT_PATH)
  if(SETOK_SYSTEM_FMT_INCLUDE AND NOT SETOK_SYSTEM_FMT_INCLUDE STREQUAL _setok_torch_fmt)
    set(_setok_fmt_shim "${CMAKE_BINARY_DIR}/system_fmt")
    file(MAKE_DIRECTORY "${_setok_fmt_shim}")
    file(CREATE_LINK "${SETOK_SYSTEM_FMT_INCLUDE}/fmt" "${_setok_fmt_shim}/fmt" SYMBOLIC)
    include_directories(BEFORE SYSTEM "${_setok_fmt_shim}")
    message(STATUS "LibTorch ships {fmt} headers (${_setok_torch_fmt}/fmt); <fmt/...> resolves "
                   "to the system's (${SETOK_SYSTEM_FMT_INCLUDE}/fmt) that spdlog was built with")
  endif()
endif()
find_package(Threads REQUIRED)
# SentencePiece ships a pkg-config file but no CMake package on Debian / Ubuntu.
find_path(SENTENCEPIECE_INCLUDE_DIR sentencepiece_processor.h REQUIRED)
find_library(SENTENCEPIECE_LIBRARY sentencepiece REQUIRED)
if(SETOK_BUILD_APPS)
  find_package(CLI11 REQUIRED)
endif()
if(SETOK_WITH_OPENCV)
  find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs)
endif()
# zlib: the built-in PNG codec (io/png.cpp), which is how an OpenCV-free build (the GPU machines)
# reads and writes pictures. Optional: without it such a build has no image files at all.
find_package(ZLIB)
