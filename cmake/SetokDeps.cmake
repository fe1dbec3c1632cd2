# Header/library dependencies other than torch. All come from Debian packages (scripts/setup.sh).
find_package(nlohmann_json 3.9 REQUIRED)
find_package(spdlog REQUIRED)
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
