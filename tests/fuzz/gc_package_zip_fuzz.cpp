// Guest-configuration packages: gcservice (root) extracts the zip after its signature checked and
// then reads configuration.json from it. Nothing lands outside the package directory and no link
// or special file is created, whatever the zip holds.
#include "fuzz_support.hpp"
#include "gcservice/engine/engine.hpp"
#include "zip_tree_check.hpp"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    azcm::fuzz::quietLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto zip = azcm::fuzz::writeInput("package.zip", azcm::fuzz::asText(data, size));
    const auto parent = azcm::fuzz::freshDir("packages");
    const auto dir = parent / "0123abcd.partial";
    // A small limit keeps each input fast; the check is the same code at any size.
    auto extracted = azcm::gcservice::extractPackage(zip, dir, 4 << 20);
    azcm::fuzz::checkExtractedTree(parent);
    for (const auto& entry : std::filesystem::directory_iterator(parent)) {
        AZCM_FUZZ_CHECK(entry.path() == dir);
    }
    if (!extracted) {
        AZCM_FUZZ_CHECK(!extracted.error().message.empty());
        return 0;
    }
    (void)azcm::gcservice::loadPackage(dir);
    return 0;
}
