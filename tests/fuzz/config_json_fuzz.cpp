// The JSON files the daemons and the CLI read from disk: localconfig.json, agentconfig.json and
// cloud.json, each read through its loader from a file (as at start-up and on reload). What
// loads must save and load again to the same document: nothing is lost on the next write.
#include "common/config/agent_config.hpp"
#include "common/config/cloud_config.hpp"
#include "common/config/local_config.hpp"
#include "fuzz_support.hpp"

namespace {

using nlohmann::json;

void checkLocalConfig(const std::filesystem::path& file) {
    auto loaded = azcm::config::loadLocalConfig(file);
    if (!loaded) {
        AZCM_FUZZ_CHECK(!loaded.error().message.empty());
        return;
    }
    const json saved = azcm::config::toJson(loaded.value());
    auto again = azcm::config::parseLocalConfig(saved);
    AZCM_FUZZ_CHECK(again);
    AZCM_FUZZ_CHECK(azcm::config::toJson(again.value()) == saved);
}

void checkAgentConfig(const std::filesystem::path& file) {
    auto loaded = azcm::config::loadAgentConfig(file);
    if (!loaded) {
        AZCM_FUZZ_CHECK(!loaded.error().message.empty());
        return;
    }
    const json saved = azcm::config::toJson(loaded.value());
    auto again = azcm::config::parseAgentConfig(saved);
    AZCM_FUZZ_CHECK(again);
    AZCM_FUZZ_CHECK(azcm::config::toJson(again.value()) == saved);
    (void)loaded.value().resourceId();
}

void checkCloudConfig(const std::filesystem::path& file) {
    auto loaded = azcm::config::loadCloudConfig(file);
    if (!loaded) {
        AZCM_FUZZ_CHECK(!loaded.error().message.empty());
        return;
    }
    const json saved = azcm::config::toJson(loaded.value());
    auto again = azcm::config::parseCloudConfig(saved);
    AZCM_FUZZ_CHECK(again);
    AZCM_FUZZ_CHECK(azcm::config::toJson(again.value()) == saved);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    azcm::fuzz::quietLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = azcm::fuzz::asText(data, size);
    checkLocalConfig(azcm::fuzz::writeInput("localconfig.json", text));
    checkAgentConfig(azcm::fuzz::writeInput("agentconfig.json", text));
    checkCloudConfig(azcm::fuzz::writeInput("cloud.json", text));
    return 0;
}
