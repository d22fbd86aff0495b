#pragma once
// The environment an attacker would give a daemon before it starts a program: a PATH whose first
// entry is empty (the current directory) and whose second is a directory the attacker writes,
// LD_PRELOAD and LD_LIBRARY_PATH, a variable that must stay private, and a current directory
// holding "planted" programs under common names (env, id, sh, systemctl, journalctl, ...), each of
// which leaves a marker file when it runs. Everything is restored on destruction.
#include "temp_dir.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace azcm::test {

class HostileEnvironment {
public:
    HostileEnvironment();
    ~HostileEnvironment();
    HostileEnvironment(const HostileEnvironment&) = delete;
    HostileEnvironment& operator=(const HostileEnvironment&) = delete;
    HostileEnvironment(HostileEnvironment&&) = delete;
    HostileEnvironment& operator=(HostileEnvironment&&) = delete;

    // Whether any planted program ran.
    bool plantedRan() const;
    const std::filesystem::path& plantedDir() const { return dir_.path(); }
    // The variable that must not reach a child, and its value.
    static constexpr const char* kPrivateName = "AZCM_TEST_DAEMON_PRIVATE";
    static constexpr const char* kPrivateValue = "daemon-only-value";

    // Failure text when `env_output` (what `env` printed in the child) shows anything of the
    // hostile environment; empty when clean.
    std::string leaksIn(const std::string& env_output) const;

private:
    TempDir dir_;
    std::filesystem::path old_cwd_;
    std::map<std::string, std::optional<std::string>> saved_;
};

} // namespace azcm::test
