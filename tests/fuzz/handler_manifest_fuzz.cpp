// HandlerManifest.json of an extension package: written by the extension's publisher, read by
// extservice (root) to learn which commands to run.
#include "extservice/handler/handler_manifest.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    azcm::fuzz::quietLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto manifest = azcm::extservice::parseHandlerManifest(azcm::fuzz::asText(data, size));
    if (!manifest) {
        AZCM_FUZZ_CHECK(!manifest.error().message.empty());
        return 0;
    }
    const auto& value = manifest.value();
    if (value.cpu_quota_percentage) {
        AZCM_FUZZ_CHECK(*value.cpu_quota_percentage >= 1);
    }
    return 0;
}
