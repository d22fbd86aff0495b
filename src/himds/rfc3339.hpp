#pragma once
#include <chrono>
#include <string>

namespace azcm::himds {

// "2026-11-28T13:45:00Z": whole seconds, UTC, as docs/protocol.md spells every time.
std::string formatRfc3339(std::chrono::system_clock::time_point time);

} // namespace azcm::himds
