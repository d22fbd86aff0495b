// The process environment and the program lookup of child_environment.hpp on POSIX.
#include "common/platform/child_environment.hpp"

#include <cstdlib>

#include <sys/stat.h>
#include <unistd.h>

extern char** environ; // NOLINT(readability-redundant-declaration): POSIX names it only here

namespace azcm::platform {

namespace {

namespace stdfs = std::filesystem;

bool isExecutableFile(const stdfs::path& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

} // namespace

EnvironmentMap processEnvironment() {
    EnvironmentMap environment;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto equals = text.find('=');
        if (equals != std::string_view::npos && equals > 0) {
            environment.emplace(std::string(text.substr(0, equals)),
                                std::string(text.substr(equals + 1)));
        }
    }
    return environment;
}

std::optional<std::string> environmentVariable(const std::string& name) {
    // getenv races only with setenv/putenv, which nothing in the suite calls.
    const char* value = std::getenv(name.c_str()); // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr) {
        return std::nullopt;
    }
    return std::string(value);
}

Result<stdfs::path> resolveProgram(std::string_view program) {
    const stdfs::path given(program);
    if (given.is_absolute()) {
        if (!isExecutableFile(given)) {
            return makeError(exitcode::kGeneric,
                             "cannot run " + given.string() + ": not an executable file");
        }
        return given;
    }
    if (program.empty()) {
        return makeError(exitcode::kGeneric, "cannot run a program without a name");
    }
    if (program.find('/') != std::string_view::npos) {
        return makeError(exitcode::kGeneric,
                         "cannot run " + std::string(program) +
                             ": a program is an absolute path or a bare name looked up in " +
                             std::string(kSafePath));
    }
    std::string_view dirs = kSafePath;
    while (!dirs.empty()) {
        const auto colon = dirs.find(':');
        const auto dir = dirs.substr(0, colon);
        dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
        auto candidate = stdfs::path(dir) / given;
        if (isExecutableFile(candidate)) {
            return candidate;
        }
    }
    return makeError(exitcode::kGeneric, "cannot run " + std::string(program) + ": not found in " +
                                             std::string(kSafePath));
}

} // namespace azcm::platform
