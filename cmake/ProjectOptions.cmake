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
  $<$<BOOL:${AZCM_WERROR}>:-Werror>
  # Hardening (perf-reliability G29).
  -fstack-protector-strong -fstack-clash-protection -fcf-protection
  $<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2>)
target_link_options(azcm_options INTERFACE -Wl,-z,relro,-z,now -Wl,-z,noexecstack)
# After CMake's own -g in the command line, so this level wins.
target_compile_options(azcm_options INTERFACE
  $<$<CONFIG:Debug,RelWithDebInfo>:-g${AZCM_DEBUG_INFO_LEVEL}>)
# Everything is compiled -fPIC (executables still link as PIE, Debian's default), so one
# precompiled header can be reused by libraries and executables alike.
target_compile_options(azcm_options INTERFACE -fPIC)

# Asio and Beast are compiled once, in src/common/asio_impl.cpp, not in every translation unit.
# <utility> first: Boost 1.74's awaitable.hpp needs std::exchange (TOOLCHAIN-NOTES).
target_compile_definitions(azcm_options INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION BOOST_ASIO_NO_DEPRECATED
  AZCM_AGENT_VERSION="${AZCM_AGENT_VERSION}")

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
    -Wno-maybe-uninitialized -Wno-mismatched-new-delete)
endif()
