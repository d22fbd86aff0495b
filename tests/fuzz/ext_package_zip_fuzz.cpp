// Extension handler packages: extservice (root) extracts the zip after its signature checked, so
// the bytes are the publisher's. Whatever the zip holds, nothing lands outside the target
// directory, no link or special file is created, and a refused package leaves nothing behind.
#include "extservice/handler/package_extract.hpp"
#include "fuzz_support.hpp"
#include "zip_tree_check.hpp"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    azcm::fuzz::quietLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto zip = azcm::fuzz::writeInput("package.zip", azcm::fuzz::asText(data, size));
    const auto parent = azcm::fuzz::freshDir("handlers");
    const auto target = parent / "Contoso.Test.Trace-1.0.0";
    azcm::extservice::ExtractLimits limits;
    // Small limits keep each input fast; the limit checks are the same code at any size.
    limits.max_entry_bytes = 1 << 20;
    limits.max_total_bytes = 4 << 20;
    limits.max_entries = 1000;
    auto extracted = azcm::extservice::extractPackage(zip, target, limits);
    azcm::fuzz::checkExtractedTree(parent);
    if (!extracted) {
        AZCM_FUZZ_CHECK(!extracted.error().message.empty());
        AZCM_FUZZ_CHECK(std::filesystem::is_empty(parent));
        return 0;
    }
    AZCM_FUZZ_CHECK(std::filesystem::is_regular_file(target / "HandlerManifest.json"));
    for (const auto& entry : std::filesystem::directory_iterator(parent)) {
        AZCM_FUZZ_CHECK(entry.path() == target);
    }
    return 0;
}
