#include "common/platform/core_dumps.hpp"

#include "common/platform/system_error_text.hpp"

#include <cerrno>
#include <string>

#include <sys/prctl.h>
#include <sys/resource.h>

namespace azcm::platform {

// Called at start-up, before any thread exists.
Result<void> forbidCoreDumps() {
    // The limit first: were prctl refused, no core file would be written all the same.
    const rlimit no_core{0, 0};
    if (::setrlimit(RLIMIT_CORE, &no_core) != 0) {
        return makeError(exitcode::kInitFailed,
                         std::string("cannot set the core size limit to 0: ") +
                             systemErrorText(errno));
    }
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        return makeError(exitcode::kInitFailed,
                         std::string("cannot make the process non-dumpable: ") +
                             systemErrorText(errno));
    }
    return ok();
}

bool isDumpable() {
    return ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1;
}

} // namespace azcm::platform
