// Guest-configuration assignments (GET {guestConfiguration}/machines/assignments), parsed and
// merged into gcservice's (root) state, and gcservice's own state.json as it reads it back at
// start: what the state holds saves and loads again unchanged.
#include "fuzz_support.hpp"
#include "gcservice/gc_state.hpp"

namespace {

using nlohmann::json;

void checkRoundTrip(const azcm::gcservice::GcState& state) {
    const json saved = azcm::gcservice::toJson(state);
    auto again = azcm::gcservice::parseGcState(saved);
    AZCM_FUZZ_CHECK(again);
    AZCM_FUZZ_CHECK(azcm::gcservice::toJson(again.value()) == saved);
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
    auto incoming = azcm::gcservice::parseGoalState(document);
    if (incoming) {
        azcm::gcservice::GcState state;
        azcm::gcservice::mergeGoalState(state, incoming.value(), 1000);
        for (const auto& assignment : state.assignments) {
            AZCM_FUZZ_CHECK(!assignment.name.empty());
            (void)azcm::gcservice::appliedKey(assignment);
            (void)azcm::gcservice::isDue(assignment, 2000, std::chrono::seconds(900));
        }
        checkRoundTrip(state);
    }
    auto stored = azcm::gcservice::parseGcState(document);
    if (stored) {
        (void)azcm::gcservice::dropExpiredAssignments(stored.value(), 2000,
                                                      std::chrono::seconds(60));
        checkRoundTrip(stored.value());
    }
    return 0;
}
