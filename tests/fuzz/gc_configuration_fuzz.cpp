// configuration.json of a guest-configuration package: every resource is validated by its type
// when the package is parsed, before anything is evaluated as root.
#include "fuzz_support.hpp"
#include "gcservice/engine/engine.hpp"

#include <set>

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    azcm::fuzz::quietLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto package = azcm::gcservice::parseConfigurationText(azcm::fuzz::asText(data, size));
    if (!package) {
        AZCM_FUZZ_CHECK(!package.error().message.empty());
        return 0;
    }
    std::set<std::string> ids;
    for (const auto& resource : package.value().resources) {
        AZCM_FUZZ_CHECK(!resource.id.empty());
        AZCM_FUZZ_CHECK(ids.insert(resource.id).second);
    }
    return 0;
}
