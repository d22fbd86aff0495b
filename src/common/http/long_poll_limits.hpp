#pragma once
// How long the agent lets the control plane hold a goal-state request open (extservice's
// extension goal state, gcservice's assignments; docs/protocol.md). Every answer costs a TLS
// resumption, a token check and a request, so the longer the wait, the less an idle agent wakes.
#include <chrono>

namespace azcm::http {

// Under the four minutes of silence after which many load balancers and NAT gateways drop a
// TCP connection, so an idle long-poll ends with the server's 304, not a reset.
inline constexpr std::chrono::seconds kDefaultLongPollWait{230};
// The longest wait the agent services accept (?waitSeconds=N, N at most this).
inline constexpr std::chrono::seconds kMaxLongPollWait{300};

} // namespace azcm::http
