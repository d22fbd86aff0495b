#pragma once
// How this process meets its console and the file system: whether its output goes to a person,
// and the mode its new files start with.

namespace azcm::platform {

// Whether standard output is a terminal a person reads (prompts and colours only then).
bool standardOutputIsTerminal();

// New files and directories start private to this account (umask 077 on POSIX): a daemon never
// creates a readable file by accident, and widens access only where it means to.
void restrictNewFilesToOwner();

} // namespace azcm::platform
