#pragma once
// Shared set-up of the extension end-to-end tests: a real arc-emulator, a real himds, a machine
// connected with the real azcmagent, and the real extservice with short intervals. Test handler
// packages are built from tests/integration/handlers/trace_handler.sh with the zip CLI and
// published with `arc-emulator extension publish`; ARM is driven as the bootstrap Owner.
#include "sandbox.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace azcm::test {

inline constexpr const char* kPublisher = "Contoso.Test";
inline constexpr const char* kType = "Trace";
inline constexpr const char* kHandler = "Contoso.Test.Trace";

struct HandlerBehaviour {
    std::string wait_command; // hold this command until the marker file exists
    std::string hang_command; // this command never returns
    std::optional<unsigned> cpu_quota;
};

class ExtensionTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    // Environment of extservice: short poll, long-poll and handler timeouts, own cgroup root.
    std::map<std::string, std::string> extserviceEnv() const;
    void startExtservice(const std::map<std::string, std::string>& extra = {});
    // localconfig.json with `settings` and a CPU cap high enough that handler scripts finish
    // well within the shortened timeouts.
    void writeLocalConfig(nlohmann::json settings = nlohmann::json::object());

    // Builds and publishes a trace handler package; returns the publish output (its "file").
    nlohmann::json publish(const std::string& version, const HandlerBehaviour& behaviour = {});
    nlohmann::json publishZip(const std::filesystem::path& zip,
                              const std::string& publisher,
                              const std::string& type,
                              const std::string& version);
    std::filesystem::path buildTracePackage(const std::string& version,
                                            const HandlerBehaviour& behaviour);

    std::string extensionPath(const std::string& name) const;
    Sandbox::ArmReply putExtension(const std::string& name,
                                   const std::string& version,
                                   const nlohmann::json& settings = nlohmann::json::object(),
                                   const nlohmann::json& protected_settings = nullptr,
                                   const std::string& publisher = kPublisher,
                                   const std::string& type = kType);
    // Polls ARM until the extension's provisioningState is Succeeded or Failed.
    nlohmann::json waitSettled(const std::string& name,
                               std::chrono::seconds timeout = std::chrono::seconds(30));
    // DELETE and wait until ARM no longer has it; false on timeout.
    bool deleteExtension(const std::string& name,
                         std::chrono::seconds timeout = std::chrono::seconds(30));

    std::vector<std::string> traceLines() const;
    // Trace lines without the "waiting" markers: just the commands, "<command> <version>".
    std::vector<std::string> commands() const;
    std::filesystem::path handlerDir(const std::string& version) const;
    std::vector<std::string> handlerDirs() const; // every <Publisher.Type>-<version> on disk
    std::string extserviceLog() const;

    Sandbox sandbox;
    std::filesystem::path work; // packages, trace, marker, digest
    std::filesystem::path trace;
    std::filesystem::path marker;
    std::filesystem::path digest;
    std::string cgroup_root;
    std::string machine = "ext01";
};

} // namespace azcm::test
