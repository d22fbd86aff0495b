#include "gcservice/engine/engine.hpp"

namespace azcm::gcservice {

Result<AssignmentType> parseAssignmentType(std::string_view text) {
    // Case-sensitive, as ARM is.
    if (text == "Audit") {
        return AssignmentType::kAudit;
    }
    if (text == "ApplyAndMonitor") {
        return AssignmentType::kApplyAndMonitor;
    }
    if (text == "ApplyAndAutoCorrect") {
        return AssignmentType::kApplyAndAutoCorrect;
    }
    return makeError(exitcode::kInvalidArgument,
                     "assignmentType \"" + std::string(text) +
                         "\" is not one of Audit, ApplyAndMonitor, ApplyAndAutoCorrect");
}

std::string_view formatAssignmentType(AssignmentType type) {
    switch (type) {
    case AssignmentType::kAudit:
        return "Audit";
    case AssignmentType::kApplyAndMonitor:
        return "ApplyAndMonitor";
    case AssignmentType::kApplyAndAutoCorrect:
        return "ApplyAndAutoCorrect";
    }
    return "Audit";
}

} // namespace azcm::gcservice
