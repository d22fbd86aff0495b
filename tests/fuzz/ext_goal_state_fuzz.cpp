// The extension goal state (GET {identity}/machines/extensions/goalstate): the control plane's
// answer, parsed by extservice (root). Names become directory and cgroup names and the package
// reference decides what is downloaded, so what is accepted must be safe to use as such.
#include "extservice/goal_state.hpp"
#include "fuzz_support.hpp"

#include <algorithm>

namespace {

bool lowerHex(const std::string& text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    azcm::fuzz::quietLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto document = azcm::fuzz::parseUntrustedJson(azcm::fuzz::asText(data, size));
    if (document.is_discarded()) {
        return 0;
    }
    auto parsed = azcm::extservice::parseGoalState(document, "\"etag\"");
    if (!parsed) {
        AZCM_FUZZ_CHECK(!parsed.error().message.empty());
        return 0;
    }
    for (const auto& extension : parsed.value().goal.extensions) {
        AZCM_FUZZ_CHECK(azcm::extservice::safeName(extension.name));
        AZCM_FUZZ_CHECK(azcm::extservice::safeName(extension.publisher));
        AZCM_FUZZ_CHECK(azcm::extservice::safeName(extension.type));
        AZCM_FUZZ_CHECK(extension.state == "enabled" || extension.state == "uninstall");
        if (extension.package) {
            AZCM_FUZZ_CHECK(extension.package->url.rfind("https://", 0) == 0);
            AZCM_FUZZ_CHECK(extension.package->sha256.size() == 64);
            AZCM_FUZZ_CHECK(lowerHex(extension.package->sha256));
        }
        (void)extension.installVersion();
        (void)extension.awaitsReport();
    }
    return 0;
}
