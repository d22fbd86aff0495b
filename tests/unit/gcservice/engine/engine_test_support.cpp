#include "engine_test_support.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace azcm::gcservice::test {

Sandbox::Sandbox() : context{Paths(dir.path()), "1.50.0.0", {}, std::chrono::system_clock::now()} {
    // The running version, published a month ago: within the support window.
    context.agent_releases = publishedReleases({{"1.50.0.0", context.now - std::chrono::days(30)}});
}

AgentReleases publishedReleases(
    const std::vector<std::pair<std::string, std::chrono::system_clock::time_point>>& versions) {
    AgentReleases feed;
    feed.platform = "deb";
    feed.unavailable.clear();
    for (const auto& [version, released] : versions) {
        feed.releases.push_back(AgentRelease{*parseAgentVersion(version), released});
    }
    return feed;
}

std::filesystem::path Sandbox::at(const std::string& absolute) const {
    return root() / std::filesystem::path(absolute).relative_path();
}

std::filesystem::path
Sandbox::write(const std::string& absolute, const std::string& content, mode_t mode) {
    auto path = at(absolute);
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    ::chmod(path.c_str(), mode);
    return path;
}

std::filesystem::path Sandbox::mkdir(const std::string& absolute, mode_t mode) {
    auto path = at(absolute);
    std::filesystem::create_directories(path);
    ::chmod(path.c_str(), mode);
    return path;
}

std::string Sandbox::read(const std::string& absolute) const {
    std::ifstream in(at(absolute), std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

mode_t modeOf(const std::filesystem::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        return 0;
    }
    return st.st_mode & 07777;
}

ConfigurationPackage onePackage(const std::string& type, const nlohmann::json& properties) {
    nlohmann::json document = {
        {"name", "Test"},
        {"version", "1.0.0"},
        {"resources", {{{"id", "r1"}, {"type", type}, {"properties", properties}}}}};
    auto package = parseConfiguration(document);
    EXPECT_TRUE(package) << (package ? "" : package.error().message);
    return package ? package.value() : ConfigurationPackage{};
}

ResourceResult evaluateOne(const std::string& type,
                           const nlohmann::json& properties,
                           AssignmentType assignment,
                           Backend& backend,
                           const EngineContext& context,
                           bool first_evaluation) {
    auto result =
        evaluate(onePackage(type, properties), assignment, first_evaluation, backend, context);
    EXPECT_EQ(result.resources.size(), 1U);
    if (result.resources.empty()) {
        return {};
    }
    EXPECT_EQ(result.complianceStatus,
              result.resources[0].compliant ? "Compliant" : "NonCompliant");
    return result.resources[0];
}

} // namespace azcm::gcservice::test
