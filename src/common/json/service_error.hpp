#pragma once
// The error an Azure service puts in a failed answer: {"error": {"code": "...", "message": "..."}}
// (ARM, the identity service, the agent services, and our daemons' control sockets).
#include <cstddef>
#include <string>
#include <string_view>

namespace azcm::jsondoc {

// "<code>: <message>" (either part may be missing) of such a body, each part at most
// kMaxServiceErrorPart characters; empty when the body is not of that shape. A member of the
// wrong type is named instead of its value: the answer is hostile or broken either way.
std::string serviceErrorText(std::string_view body);

inline constexpr std::size_t kMaxServiceErrorPart = 256;

} // namespace azcm::jsondoc
