# One INTERFACE target carries every compile option of our own code; every target links it PRIVATE.
add_library(azcm_options INTERFACE)
target_compile_features(azcm_options INTERFACE cxx_std_20)
set(CMAKE_CXX_EXTENSIONS OFF)

option(AZCM_WERROR "Treat warnings in our code as errors" ON)
set(AZCM_SANITIZERS "" CACHE STRING "Comma-separated sanitizers, e.g. address,undefined")
# Line tables only (-g1) by default: backtraces and sanitizer reports keep file:line, and a build
# tree needs about a third of the disk of -g (CI machines are small: the default and ASan trees
# together once filled one). 2 gives full debug info for gdb sessions.
set(AZCM_DEBUG_INFO_LEVEL "1" CACHE STRING "GCC -g level (1 = line tables, 2 = full) for Debug and RelWithDebInfo")

target_compile_options(azcm_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wformat=2 -Wimplicit-fallthrough
  $<$<BOOL:${AZCM_WERROR}>:-Werror>)
if(WIN32)
  # Hardening for PE images: stack protector, ASLR with high entropy, DEP; the mingw runtime has no
  # _FORTIFY_SOURCE worth the name and the PE linker has no RELRO.
  target_compile_options(azcm_options INTERFACE -fstack-protector-strong)
  target_link_options(azcm_options INTERFACE -fstack-protector-strong
    -Wl,--dynamicbase -Wl,--nxcompat -Wl,--high-entropy-va)
  # Unicode Win32 entry points (the W functions) only.
  target_compile_definitions(azcm_options INTERFACE UNICODE _UNICODE)
  # GCC 12 at -O2 reports out-of-bounds copies inside std::wstring's small-string buffer when a
  # Result<std::wstring> is moved (libstdc++'s own code, not ours); the Linux build keeps the
  # warning.
  target_compile_options(azcm_options INTERFACE -Wno-array-bounds -Wno-stringop-overflow
    -Wno-stringop-overread)
  # Every function and datum in a section of its own, so the linker drops what a program never
  # reaches: each program links the whole common library statically and uses a part of it.
  target_compile_options(azcm_options INTERFACE -ffunction-sections -fdata-sections)
  target_link_options(azcm_options INTERFACE -Wl,--gc-sections)
else()
  # Hardening: fortify, stack protector, stack-clash, CET, full RELRO.
  target_compile_options(azcm_options INTERFACE
    -fstack-protector-strong -fstack-clash-protection -fcf-protection
    $<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2>)
  target_link_options(azcm_options INTERFACE -Wl,-z,relro,-z,now -Wl,-z,noexecstack)
endif()
# After CMake's own -g in the command line, so this level wins.
target_compile_options(azcm_options INTERFACE
  $<$<CONFIG:Debug,RelWithDebInfo>:-g${AZCM_DEBUG_INFO_LEVEL}>)
# Everything is compiled -fPIC (executables still link as PIE, Debian's default), so one
# precompiled header can be reused by libraries and executables alike. (PE code needs no flag.)
if(NOT WIN32)
  target_compile_options(azcm_options INTERFACE -fPIC)
endif()

# Asio and Beast are compiled once, in src/common/asio_impl.cpp, not in every translation unit.
# <utility> first: Boost 1.74's awaitable.hpp needs std::exchange (docs/toolchain-notes.md).
target_compile_definitions(azcm_options INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION BOOST_ASIO_NO_DEPRECATED)

if(AZCM_SANITIZERS)
  string(REPLACE "," ";" _san_list "${AZCM_SANITIZERS}")
  foreach(_san IN LISTS _san_list)
    target_compile_options(azcm_options INTERFACE -fsanitize=${_san})
    target_link_options(azcm_options INTERFACE -fsanitize=${_san})
  endforeach()
  # GCC 12 instrumentation makes -Wmaybe-uninitialized report false positives inside Beast's
  # parser and std::regex, and (at -O1) -Wmismatched-new-delete inside Asio's coroutine frames,
  # whose operator new/delete pair is its own; the ASan build's job is to find real ones at run
  # time.
  target_compile_options(azcm_options INTERFACE -fno-omit-frame-pointer -fno-sanitize-recover=all
    $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized -Wno-mismatched-new-delete>
    # clang 14 cannot emit UBSan's function-type check for the split functions of a coroutine
    # ("Cannot represent a difference across sections").
    $<$<CXX_COMPILER_ID:Clang>:-fno-sanitize=function>)
  # GCC 12 warns (-Wtsan) that ThreadSanitizer does not model std::atomic_thread_fence, which
  # Asio's fenced blocks use when a handler completes; those handlers' data also pass through the
  # scheduler's mutex, which TSan does see, so the warning is noise here.
  if("thread" IN_LIST _san_list)
    target_compile_options(azcm_options INTERFACE $<$<CXX_COMPILER_ID:GNU>:-Wno-tsan>)
  endif()
endif()

# clang (the fuzz and tidy presets): Boost 1.74's Asio enables co_await for clang only with the
# coroutines TS header <experimental/coroutine>, which libstdc++ 12 lacks; clang 14 has the C++20
# coroutines and libstdc++'s <coroutine> works with them.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  target_compile_definitions(azcm_options INTERFACE BOOST_ASIO_HAS_CO_AWAIT=1)
endif()

# libFuzzer (the fuzz preset, clang only): every library gets the coverage instrumentation the
# fuzzer steers by; the targets in tests/fuzz add the fuzzer's own main at link time.
option(AZCM_FUZZ "Instrument for libFuzzer and build the fuzz targets (clang only)" OFF)
if(AZCM_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "AZCM_FUZZ needs clang (libFuzzer): use the fuzz preset.")
  endif()
  target_compile_options(azcm_options INTERFACE -fsanitize=fuzzer-no-link)
endif()

# The tidy preset (CMAKE_CXX_CLANG_TIDY) builds `azcm_tidy_sources`: every target defined under
# src/, so clang-tidy checks our sources and no test. Created once every directory is processed.
function(azcm_collect_targets dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    azcm_collect_targets(${subdir} sub_targets)
    list(APPEND targets ${sub_targets})
  endforeach()
  set(${out} ${targets} PARENT_SCOPE)
endfunction()
function(azcm_add_tidy_target)
  set(tidy_targets)
  get_property(subdirs DIRECTORY ${PROJECT_SOURCE_DIR} PROPERTY SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    if(subdir MATCHES "^${PROJECT_SOURCE_DIR}/src/")
      azcm_collect_targets(${subdir} found)
      list(APPEND tidy_targets ${found})
    endif()
  endforeach()
  add_custom_target(azcm_tidy_sources)
  add_dependencies(azcm_tidy_sources ${tidy_targets})
endfunction()
if(CMAKE_CXX_CLANG_TIDY)
  cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL azcm_add_tidy_target)
endif()
