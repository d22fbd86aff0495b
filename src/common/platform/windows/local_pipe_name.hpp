#pragma once
// The pipe that stands for a control-channel endpoint on Windows. The daemons and the CLI name
// endpoints by path as on Linux (Paths::socketFor); the pipe namespace is flat, so the name
// carries the daemon (the path's stem) and a digest of the whole path: two sandboxes on one
// machine never share a pipe, and both ends derive the same name.
#include <filesystem>
#include <string>

namespace azcm::platform::windows {

// "azcmagent-himds-1a2b3c4d" for ...\himds.sock.
std::string localPipeName(const std::filesystem::path& endpoint);

} // namespace azcm::platform::windows
