#pragma once
// The compliance report bodies gcservice sends (docs/protocol.md section 4.2).
#include "gcservice/engine/engine.hpp"
#include "gcservice/gc_state.hpp"

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace azcm::gcservice {

// An evaluation's outcome: complianceStatus, resources [{id, type, compliant, reason,
// remediated, error}], operationType Initial (first evaluation of this assignment version) or
// Consistency, start and end times (RFC 3339).
nlohmann::json evaluatedReport(const AssignmentState& assignment,
                               const EvaluationResult& result,
                               bool initial,
                               std::int64_t started,
                               std::int64_t finished);

// Nothing was evaluated (a local setting, or a package that failed verification): "evaluated":
// false with the reason and its code; the control plane keeps the compliance status.
nlohmann::json notEvaluatedReport(const AssignmentState& assignment,
                                  const std::string& code,
                                  const std::string& reason,
                                  std::int64_t now);

std::string rfc3339Utc(std::int64_t unix_seconds);

} // namespace azcm::gcservice
