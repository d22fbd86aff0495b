#pragma once
// The text of an OS error number, safe to call from any thread (strerror shares one buffer
// between threads; the daemons format errors on several).
#include <string>

namespace azcm::platform {

// "No such file or directory" for ENOENT; "Unknown error N" for a number the OS does not know.
std::string systemErrorText(int error_number);

} // namespace azcm::platform
