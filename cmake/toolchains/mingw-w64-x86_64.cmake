# Cross build for 64-bit Windows with Debian's mingw-w64 compilers, the posix-thread variant
# (g++-mingw-w64-x86-64-posix: std::thread, std::mutex and std::condition_variable need it; the
# win32 variant lacks them in GCC 12). Executables link statically (the C++ runtime and winpthread
# included) except for OpenSSL, whose two DLLs the build copies beside them (WindowsDependencies).
#
#   cmake -G Ninja -B build-windows/NAME \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw-w64-x86_64.cmake \
#     -DAZCM_WINDOWS_DEPS=$PWD/build-windows/deps
#
# AZCM_WINDOWS_DEPS (an absolute path) is the prefix scripts/build-windows-deps.sh installs OpenSSL,
# libarchive, yaml-cpp and GoogleTest into; find_package, find_library and find_path look there and
# in the mingw-w64 sysroot (zlib: libz-mingw-w64-dev), never in the host's /usr. pkg-config too
# reads only the .pc files of those two places.
#
# The header-only libraries come from the host's Debian packages without putting /usr/include on
# the include path (its Linux headers would shadow mingw's): the build tree gets directories that
# hold only symlinks to them.
#   AZCM_WINDOWS_BOOST_INCLUDE_DIR        boost -> /usr/include/boost (libboost-dev). For
#                                         find_package(Boost), set Boost_INCLUDE_DIR to it first.
#   AZCM_WINDOWS_HEADER_ONLY_INCLUDE_DIR  nlohmann, spdlog, fmt, CLI -> /usr/include/... (spdlog
#                                         then needs FMT_HEADER_ONLY: Debian's spdlog uses the
#                                         external fmt).
#
# Every target is compiled with WIN32_LEAN_AND_MEAN and _WIN32_WINNT=0x0A00 (Windows 10); nothing
# else is defined globally. CMAKE_CROSSCOMPILING_EMULATOR is wine when it is installed (tests run
# under it); pass -DCMAKE_CROSSCOMPILING_EMULATOR= to run nothing.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_VERSION 10.0)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(AZCM_MINGW_TRIPLET x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${AZCM_MINGW_TRIPLET}-gcc-posix)
set(CMAKE_CXX_COMPILER ${AZCM_MINGW_TRIPLET}-g++-posix)
set(CMAKE_RC_COMPILER ${AZCM_MINGW_TRIPLET}-windres)

set(AZCM_WINDOWS_DEPS "" CACHE PATH
  "Prefix of the Windows libraries built by scripts/build-windows-deps.sh")
# try_compile projects read this file again but see only the variables listed here.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES AZCM_WINDOWS_DEPS)

set(CMAKE_FIND_ROOT_PATH /usr/${AZCM_MINGW_TRIPLET})
if(AZCM_WINDOWS_DEPS)
  list(APPEND CMAKE_FIND_ROOT_PATH ${AZCM_WINDOWS_DEPS})
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# The sysroot holds zlib both ways; libarchive is linked with the static one.
set(ZLIB_USE_STATIC_LIBS ON)
set(ENV{PKG_CONFIG_LIBDIR} /usr/${AZCM_MINGW_TRIPLET}/lib/pkgconfig)
if(AZCM_WINDOWS_DEPS)
  set(ENV{PKG_CONFIG_LIBDIR} "${AZCM_WINDOWS_DEPS}/lib/pkgconfig:$ENV{PKG_CONFIG_LIBDIR}")
endif()

set(CMAKE_C_FLAGS_INIT "-DWIN32_LEAN_AND_MEAN -D_WIN32_WINNT=0x0A00")
set(CMAKE_CXX_FLAGS_INIT "-DWIN32_LEAN_AND_MEAN -D_WIN32_WINNT=0x0A00")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")

if(NOT DEFINED CMAKE_CROSSCOMPILING_EMULATOR)
  find_program(AZCM_WINE_EXECUTABLE NAMES wine wine64)
  if(AZCM_WINE_EXECUTABLE)
    set(CMAKE_CROSSCOMPILING_EMULATOR ${AZCM_WINE_EXECUTABLE})
  endif()
endif()

# The symlink directories, made in the build tree (not in the scratch trees of try_compile).
get_property(_azcm_in_try_compile GLOBAL PROPERTY IN_TRY_COMPILE)
set(AZCM_WINDOWS_BOOST_INCLUDE_DIR ${CMAKE_BINARY_DIR}/windows-headers/boost)
set(AZCM_WINDOWS_HEADER_ONLY_INCLUDE_DIR ${CMAKE_BINARY_DIR}/windows-headers/header-only)
if(NOT _azcm_in_try_compile)
  foreach(_azcm_link IN ITEMS boost/boost header-only/nlohmann header-only/spdlog header-only/fmt
      header-only/CLI)
    get_filename_component(_azcm_name ${_azcm_link} NAME)
    set(_azcm_path ${CMAKE_BINARY_DIR}/windows-headers/${_azcm_link})
    if(IS_DIRECTORY /usr/include/${_azcm_name} AND NOT IS_SYMLINK ${_azcm_path})
      get_filename_component(_azcm_dir ${_azcm_path} DIRECTORY)
      file(MAKE_DIRECTORY ${_azcm_dir})
      file(CREATE_LINK /usr/include/${_azcm_name} ${_azcm_path} SYMBOLIC)
    endif()
  endforeach()
endif()
