#include "common/platform/process_setup.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace azcm::platform {

bool standardOutputIsTerminal() {
    return ::isatty(STDOUT_FILENO) == 1;
}

void restrictNewFilesToOwner() {
    ::umask(077);
}

} // namespace azcm::platform
