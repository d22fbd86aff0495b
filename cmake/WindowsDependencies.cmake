# The Windows cross build's dependencies (cmake/toolchains/mingw-w64-x86_64.cmake): OpenSSL,
# libarchive, yaml-cpp and GoogleTest from AZCM_WINDOWS_DEPS (scripts/build-windows-deps.sh), zlib
# from Debian's libz-mingw-w64-dev, and the header-only libraries of the host's Debian packages
# through the toolchain's symlink directories. The targets have the names Dependencies.cmake gives
# on Linux, so the code's CMake lists need no second spelling.
set(_azcm_openssl_dlls ${AZCM_WINDOWS_DEPS}/bin/libcrypto-3-x64.dll
                       ${AZCM_WINDOWS_DEPS}/bin/libssl-3-x64.dll)
foreach(_azcm_needed IN ITEMS ${AZCM_WINDOWS_DEPS}/lib/libcrypto.dll.a ${_azcm_openssl_dlls})
  if(NOT AZCM_WINDOWS_DEPS OR NOT EXISTS ${_azcm_needed})
    message(FATAL_ERROR "The Windows build needs its libraries: run scripts/build-windows-deps.sh "
                        "and pass -DAZCM_WINDOWS_DEPS=<its prefix> (the windows preset does).")
  endif()
endforeach()

set(Boost_INCLUDE_DIR ${AZCM_WINDOWS_BOOST_INCLUDE_DIR})
find_package(Boost 1.74 REQUIRED)
# OpenSSL through its import libraries: one copy of the DLLs serves every program (the static
# libraries beside them would put 4 MB into each). FindOpenSSL names them LIB_EAY and SSL_EAY
# on MinGW.
set(LIB_EAY ${AZCM_WINDOWS_DEPS}/lib/libcrypto.dll.a)
set(SSL_EAY ${AZCM_WINDOWS_DEPS}/lib/libssl.dll.a)
find_package(OpenSSL 3 REQUIRED)
# Windows loads a program's DLLs from the program's own folder first: the programs and tests in
# bin/ find them there, and the MSI puts them beside each installed program.
add_custom_target(openssl_dlls ALL
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_RUNTIME_OUTPUT_DIRECTORY}
  COMMAND ${CMAKE_COMMAND} -E copy_if_different ${_azcm_openssl_dlls}
          ${CMAKE_RUNTIME_OUTPUT_DIRECTORY}
  COMMENT "Copying OpenSSL's DLLs beside the programs")
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)
find_package(GTest REQUIRED CONFIG)
find_package(yaml-cpp REQUIRED CONFIG)

# nlohmann json, spdlog (with fmt header-only: Debian's spdlog uses the external fmt) and CLI11.
foreach(_azcm_target IN ITEMS nlohmann_json::nlohmann_json spdlog::spdlog CLI11::CLI11)
  add_library(${_azcm_target} INTERFACE IMPORTED)
  set_target_properties(${_azcm_target} PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES ${AZCM_WINDOWS_HEADER_ONLY_INCLUDE_DIR})
endforeach()
set_property(TARGET spdlog::spdlog PROPERTY INTERFACE_COMPILE_DEFINITIONS
  SPDLOG_FMT_EXTERNAL FMT_HEADER_ONLY)

# libarchive, static: zlib must be named, and its headers told not to expect a DLL.
find_library(AZCM_WINDOWS_LIBARCHIVE NAMES libarchive.a REQUIRED)
add_library(azcm_libarchive STATIC IMPORTED)
set_target_properties(azcm_libarchive PROPERTIES
  IMPORTED_LOCATION ${AZCM_WINDOWS_LIBARCHIVE}
  INTERFACE_INCLUDE_DIRECTORIES ${AZCM_WINDOWS_DEPS}/include
  INTERFACE_LINK_LIBRARIES ZLIB::ZLIB)
# On every target of ours (not only those linking libarchive): the precompiled header of
# azcm_common is reused by the tests, and it is refused where the definitions differ.
target_compile_definitions(azcm_options INTERFACE LIBARCHIVE_STATIC)
add_library(PkgConfig::LIBARCHIVE ALIAS azcm_libarchive)

# What Win32 libraries the code calls: sockets (Asio), the security and service APIs.
set(AZCM_WINDOWS_SYSTEM_LIBRARIES ws2_32 mswsock iphlpapi advapi32 userenv shell32 ole32 crypt32 netapi32 user32 ntdll)
