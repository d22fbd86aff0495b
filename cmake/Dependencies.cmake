# Every dependency comes from a Debian 12 package (scripts/install-deps.sh installs them).
# SYSTEM include directories keep third-party warnings out of our warnings-as-errors.
find_package(Boost 1.74 REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(SQLite3 REQUIRED)
# yaml-cpp 0.7 (Debian 12) exports the un-namespaced target `yaml-cpp`.
find_package(yaml-cpp REQUIRED)
find_package(GTest REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
# libarchive: secure zip extraction of extension and guest-configuration packages.
pkg_check_modules(LIBARCHIVE REQUIRED IMPORTED_TARGET libarchive)
