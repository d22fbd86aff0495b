#pragma once
// What the crash harness checks after every kill -9 and on a full disk: the agent's state files
// parse, no temporary file or half-made directory is left once the killed program has started
// again, and a small tmpfs to fill.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace azcm::test {

// Leftovers of interrupted writes: crash-safe writes' temporary files (".<name>.tmp-*"),
// extraction directories (".extract-*", "*.partial"). Paths below `dir`, sorted.
std::vector<std::string> litterUnder(const std::filesystem::path& dir);

// Files below `dir` for which `parses` is false (with the reason), skipping litter and anything
// `skip` says yes to (files written by third-party handlers, logs).
struct FileCheck {
    std::function<bool(const std::filesystem::path&)> skip;
    // Empty string: the file is fine; else what is wrong with it.
    std::function<std::string(const std::filesystem::path&, const std::string& content)> check;
};
std::vector<std::string> badFilesUnder(const std::filesystem::path& dir, const FileCheck& check);

// The JSON check of the agent's state files: .json, .settings and .status files parse as JSON,
// .crt/.prv/.pem files are PEM; anything else only has to be readable.
std::string agentFileProblem(const std::filesystem::path& path, const std::string& content);

std::string readWholeFile(const std::filesystem::path& path);

// Kill moments for one scenario: uniform in [0, span], from a seed printed with the results
// (AZCM_CRASH_SEED replays a run).
class KillClock {
public:
    explicit KillClock(std::chrono::microseconds span);
    std::chrono::microseconds next();
    std::uint32_t seed() const { return seed_; }

private:
    std::uint32_t seed_;
    std::mt19937 random_;
    std::uniform_int_distribution<std::int64_t> delay_;
};

// The number of kills a scenario makes: its share of the harness's 1000, scaled by
// AZCM_CRASH_SCALE (a float, default 1) for longer or shorter local runs.
int killCount(int share);

// A tmpfs of `size` mounted over `where` (created if missing) for the object's lifetime; root only.
class TmpfsMount {
public:
    TmpfsMount(std::filesystem::path where, const std::string& size);
    ~TmpfsMount();
    TmpfsMount(const TmpfsMount&) = delete;
    TmpfsMount& operator=(const TmpfsMount&) = delete;
    TmpfsMount(TmpfsMount&&) = delete;
    TmpfsMount& operator=(TmpfsMount&&) = delete;
    bool mounted() const { return mounted_; }
    // Writes a filler file until the file system is full; returns its path.
    std::filesystem::path fill() const;

private:
    std::filesystem::path where_;
    bool mounted_ = false;
};

} // namespace azcm::test
