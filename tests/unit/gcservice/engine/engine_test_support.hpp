#pragma once
// Helpers for the engine tests: a sandbox root, a context pointing at it, and one-resource
// evaluations in each assignment type.
#include "gcservice/engine/engine.hpp"
#include "gcservice/engine/fake_backend.hpp"
#include "temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::gcservice::test {

inline constexpr auto kAudit = AssignmentType::kAudit;
inline constexpr auto kAutoCorrect = AssignmentType::kApplyAndAutoCorrect;

// A feed that answered with these (version, released) pairs.
AgentReleases publishedReleases(
    const std::vector<std::pair<std::string, std::chrono::system_clock::time_point>>& versions);

struct Sandbox {
    azcm::test::TempDir dir;
    EngineContext context;

    Sandbox();
    const std::filesystem::path& root() const { return dir.path(); }
    // `absolute` is a path of the package ("/etc/ssh/sshd_config"), created under the root.
    std::filesystem::path
    write(const std::string& absolute, const std::string& content, mode_t mode = 0644);
    std::filesystem::path mkdir(const std::string& absolute, mode_t mode = 0755);
    std::filesystem::path at(const std::string& absolute) const;
    std::string read(const std::string& absolute) const;
};

mode_t modeOf(const std::filesystem::path& path);

ConfigurationPackage onePackage(const std::string& type, const nlohmann::json& properties);

// Evaluates a one-resource package and returns that resource's result.
ResourceResult evaluateOne(const std::string& type,
                           const nlohmann::json& properties,
                           AssignmentType assignment,
                           Backend& backend,
                           const EngineContext& context,
                           bool first_evaluation = true);

} // namespace azcm::gcservice::test
