#pragma once
// Shared by the libFuzzer targets of tests/fuzz: a private scratch directory for parsers that read
// files, the JSON entry point the agent uses for untrusted documents, and a check that turns a
// broken invariant into a finding (an abort, reported by libFuzzer like a crash).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include <nlohmann/json.hpp>

namespace azcm::fuzz {

// Quiets the process-wide logger (parsers log warnings; the fuzzer runs millions of inputs).
void quietLogging();

std::string_view asText(const std::uint8_t* data, std::size_t size);

// A directory private to this process, created on first use and removed at exit.
const std::filesystem::path& scratchDir();
// Writes the input to <scratch>/<name> (replacing it) and returns the path.
std::filesystem::path writeInput(std::string_view name, std::string_view content);
// Empties a directory below the scratch directory (created when missing).
std::filesystem::path freshDir(std::string_view name);

// JSON as the agent parses documents that come from outside the process: no exceptions, a
// discarded value for anything that is not JSON.
nlohmann::json parseUntrustedJson(std::string_view text);

[[noreturn]] void failInvariant(const char* expression, const char* file, int line);

} // namespace azcm::fuzz

// Like assert(), also in release builds: a false invariant is a finding.
#define AZCM_FUZZ_CHECK(expression)                                                                \
    do {                                                                                           \
        if (!(expression)) {                                                                       \
            ::azcm::fuzz::failInvariant(#expression, __FILE__, __LINE__);                          \
        }                                                                                          \
    } while (false)
