// Files an extension writes and extservice (root) reads: status/<seq>.status and heartbeat.log.
// The status parser never fails: whatever the file holds becomes a status in the protocol's
// vocabulary, bounded in size, for the report to the control plane.
#include "extservice/handler/handler_status.hpp"
#include "fuzz_support.hpp"

#include <chrono>

namespace {

bool knownStatus(const std::string& status) {
    return status == "transitioning" || status == "warning" || status == "error" ||
           status == "success";
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    azcm::fuzz::quietLogging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = azcm::fuzz::asText(data, size);
    const auto status = azcm::extservice::parseStatusFile(text);
    AZCM_FUZZ_CHECK(knownStatus(status.status));
    for (const auto& sub : status.substatus) {
        AZCM_FUZZ_CHECK(knownStatus(sub.status));
    }
    const auto file = azcm::fuzz::writeInput("heartbeat.log", text);
    const auto health = azcm::extservice::readHeartbeat(file, std::chrono::hours(1));
    if (health) {
        AZCM_FUZZ_CHECK(health->status == "Ready" || health->status == "NotReady" ||
                        health->status == "Installing" || health->status == "Unresponsive");
    }
    return 0;
}
