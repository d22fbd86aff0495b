#pragma once
// The long-poll both agent goal states share (the extension goal state, docs/protocol.md section
// 3, and the guest configuration assignments, section 4): a request whose answer would be
// `304 Not Modified` is held on the machine's key until something changes or its wait ends.
#include "common/http/http_types.hpp"
#include "emulator/service_context.hpp"
#include "emulator/store.hpp"

#include <functional>

namespace azcm::emulator {

// The goal state's answer for the machine as it is now: 200 with an ETag, or 304 for the
// request's If-None-Match.
using GoalStateAnswer = std::function<http::Response(const http::Request&, const MachineRecord&)>;

// Answers `request` of the authenticated `machine` now, or, when the answer is 304 and the request
// asks for ?waitSeconds=N (N > 0), once the machine's goal state changes (the waiters are notified
// on its key, goalStateKey) or N seconds pass (then the 304). A malformed wait is 400. A machine
// deleted while its request waits is answered 404. `compute` must outlive parked requests (the
// services are the Emulator's members; GoalStateWaiters::cancelAll drops them at shutdown).
void answerNowOrOnChange(const ServiceContext& context,
                         http::Request&& request,
                         MachineRecord machine,
                         http::Respond respond,
                         GoalStateAnswer compute);

} // namespace azcm::emulator
