# The WasiDl platform (set by wasi-dl.cmake): wasm32-wasip1 programs that load side modules
# with wasi-dl. Shared libraries and modules are side modules (`-fPIC -shared`, LLVM's
# dylink.0), named like ELF ones; executables are `.wasm`; RPATHs become RUNTIME_PATH
# (libraries) and RUNPATH (programs), where `$ORIGIN` works as with glibc.

set(UNIX 1)
set(WASI 1)
set(WASI_DL_PLATFORM 1)

set(CMAKE_EXECUTABLE_SUFFIX ".wasm")
set(CMAKE_SHARED_LIBRARY_PREFIX "lib")
set(CMAKE_SHARED_LIBRARY_SUFFIX ".so")
set(CMAKE_SHARED_MODULE_PREFIX "lib")
set(CMAKE_SHARED_MODULE_SUFFIX ".so")
set(CMAKE_STATIC_LIBRARY_PREFIX "lib")
set(CMAKE_STATIC_LIBRARY_SUFFIX ".a")
set(CMAKE_FIND_LIBRARY_PREFIXES "lib")
set(CMAKE_FIND_LIBRARY_SUFFIXES ".so" ".a")
# dlopen lives in the guest library every program is linked with.
set(CMAKE_DL_LIBS "")

set_property(GLOBAL PROPERTY TARGET_SUPPORTS_SHARED_LIBS TRUE)
# No soname flag: wasm-ld records a side module linked into another by its file name, which
# is what a soname would give. (Without one CMake also never makes versioned symlinks.)
set(CMAKE_SHARED_LIBRARY_RPATH_ORIGIN_TOKEN "\$ORIGIN")
set(CMAKE_PLATFORM_USES_PATH_WHEN_NO_SONAME 0)

foreach(lang C CXX)
  set(CMAKE_SHARED_LIBRARY_${lang}_FLAGS "-fPIC")
  set(CMAKE_SHARED_LIBRARY_CREATE_${lang}_FLAGS "-shared")
  set(CMAKE_SHARED_MODULE_${lang}_FLAGS "-fPIC")
  set(CMAKE_SHARED_MODULE_CREATE_${lang}_FLAGS "-shared")
  # The driver exports what side modules need (-rdynamic is implied).
  set(CMAKE_SHARED_LIBRARY_LINK_${lang}_FLAGS "")
  set(CMAKE_SHARED_LIBRARY_RUNTIME_${lang}_FLAG "-Wl,-rpath,")
  set(CMAKE_SHARED_LIBRARY_RUNTIME_${lang}_FLAG_SEP ":")
  set(CMAKE_EXECUTABLE_RUNTIME_${lang}_FLAG "-Wl,-rpath,")
  set(CMAKE_EXECUTABLE_RUNTIME_${lang}_FLAG_SEP ":")
  set(CMAKE_${lang}_COMPILE_OPTIONS_PIC "-fPIC")
  set(CMAKE_${lang}_COMPILE_OPTIONS_PIE "")
  set(CMAKE_${lang}_LINK_OPTIONS_PIE "")
  set(CMAKE_${lang}_LINK_OPTIONS_NO_PIE "")
endforeach()
