#include "common/platform/process_setup.hpp"

#include <windows.h>

namespace azcm::platform {

// GetConsoleMode succeeds only on a console handle: a pipe, a file or NUL fail it.
bool standardOutputIsTerminal() {
    const HANDLE output = ::GetStdHandle(STD_OUTPUT_HANDLE);
    if (output == nullptr || output == INVALID_HANDLE_VALUE) {
        return false;
    }
    DWORD mode = 0;
    return ::GetConsoleMode(output, &mode) != FALSE;
}

// Nothing to do per process: Windows has no umask. A new file or directory gets the inheritable
// entries of its parent directory's DACL, so privacy comes from the DACL the agent sets on its
// own directories (and the files it creates private get an explicit private DACL).
void restrictNewFilesToOwner() {}

} // namespace azcm::platform
