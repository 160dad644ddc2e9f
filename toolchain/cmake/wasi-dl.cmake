# CMake toolchain file for wasi-dl: cross-builds C and C++ for wasm32-wasip1 with `wasi-dl cc`
# and `wasi-dl c++`, where `add_library(x SHARED ...)` and `add_library(x MODULE ...)` make
# side modules (libx.so) and `add_executable(app ...)` a program that can dlopen them (app.wasm).
#
#   cmake -S . -B build -DCMAKE_TOOLCHAIN_FILE=/path/to/wasi-dl/toolchain/cmake/wasi-dl.cmake
#   cmake --build build
#   cd build && wasi-dl run --dir . app.wasm
#
# Build-tree RPATHs are relative to the binary ($ORIGIN, CMAKE_BUILD_RPATH_USE_ORIGIN): CMake's
# default absolute build directory means nothing to the guest, which sees only its grants.
#
# The wasi-dl command is, in this order: -DWASI_DL_EXECUTABLE=PATH, $WASI_DL, `wasi-dl` on
# PATH, or the one this repository built (target/release, then target/debug).

# A compiler given as a list (`wasi-dl;cc`) needs CMake 3.19. (Not cmake_minimum_required: in
# a toolchain file it would reset the project's own policy settings.)
if(CMAKE_VERSION VERSION_LESS 3.19)
  message(FATAL_ERROR "the wasi-dl toolchain file needs CMake 3.19 or later (this is ${CMAKE_VERSION})")
endif()

set(CMAKE_SYSTEM_NAME WasiDl)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
set(CMAKE_SYSTEM_VERSION 1)
# Platform/WasiDl.cmake: how shared libraries, modules and executables are made.
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")

if(NOT WASI_DL_EXECUTABLE)
  if(DEFINED ENV{WASI_DL} AND NOT "$ENV{WASI_DL}" STREQUAL "")
    set(WASI_DL_EXECUTABLE "$ENV{WASI_DL}")
  else()
    find_program(WASI_DL_EXECUTABLE wasi-dl
      HINTS "${CMAKE_CURRENT_LIST_DIR}/../../target/release"
            "${CMAKE_CURRENT_LIST_DIR}/../../target/debug"
      NO_CMAKE_FIND_ROOT_PATH)
  endif()
endif()
if(NOT WASI_DL_EXECUTABLE)
  message(FATAL_ERROR "wasi-dl not found: put it on PATH, set WASI_DL, or pass -DWASI_DL_EXECUTABLE=PATH")
endif()
# try_compile projects and sub-builds read the toolchain file again: hand them the choice.
set(WASI_DL_EXECUTABLE "${WASI_DL_EXECUTABLE}" CACHE FILEPATH "the wasi-dl command")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES WASI_DL_EXECUTABLE)

set(CMAKE_C_COMPILER "${WASI_DL_EXECUTABLE}" cc)
set(CMAKE_CXX_COMPILER "${WASI_DL_EXECUTABLE}" c++)
# try_compile links real programs (no CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY): a
# function check such as check_function_exists(fork ...) must fail when wasi-libc lacks it.

# The wasm archiver and friends, as the driver names them (not the host's binutils).
foreach(tool ar ranlib nm)
  string(TOUPPER "${tool}" var)
  if(NOT CMAKE_${var})
    execute_process(COMMAND "${WASI_DL_EXECUTABLE}" cc "-print-prog-name=${tool}"
      OUTPUT_VARIABLE found OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE failed)
    if(NOT failed AND EXISTS "${found}")
      set(CMAKE_${var} "${found}" CACHE FILEPATH "the wasm ${tool}")
    endif()
  endif()
endforeach()

# Never link against the host's libraries or include its headers through find_*: the
# programs find_program finds still run on the host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Build trees run under `wasi-dl run --dir .`: RPATHs relative to each binary.
set(CMAKE_BUILD_RPATH_USE_ORIGIN ON)
