#include "common/platform/path_patterns.hpp"

#include <glob.h>

namespace azcm::platform {

Result<std::vector<std::filesystem::path>> pathsMatching(const std::string& pattern) {
    glob_t found{};
    // Without GLOB_TILDE, glob(3) reads no environment and no user database (the parts glibc marks
    // thread-unsafe): only its own directory streams and the caller's glob_t.
    // NOLINTNEXTLINE(concurrency-mt-unsafe): flags 0 leave out tilde expansion, see above
    const int status = ::glob(pattern.c_str(), 0, nullptr, &found);
    std::vector<std::filesystem::path> paths;
    if (status == 0) {
        paths.reserve(found.gl_pathc);
        for (std::size_t i = 0; i < found.gl_pathc; ++i) {
            paths.emplace_back(found.gl_pathv[i]);
        }
    }
    ::globfree(&found);
    if (status == 0 || status == GLOB_NOMATCH) {
        return paths; // glob(3) sorts its matches
    }
    return makeError(exitcode::kGeneric, status == GLOB_NOSPACE
                                             ? "too many paths match " + pattern
                                             : "cannot read the directories of " + pattern);
}

} // namespace azcm::platform
