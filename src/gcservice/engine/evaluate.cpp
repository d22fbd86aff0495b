// One evaluation of a package: per resource test, and set + test again when the assignment type
// asks for it. Unlike osconfig, an error in one resource does not stop the others: every resource
// gets a result, so a report always says everything that is wrong.
#include "common/log/log.hpp"
#include "gcservice/engine/engine.hpp"
#include "gcservice/engine/resource_type.hpp"

#include <spdlog/spdlog.h>

namespace azcm::gcservice {

namespace {

bool shouldSet(AssignmentType type, bool first_evaluation) {
    switch (type) {
    case AssignmentType::kAudit:
        return false;
    case AssignmentType::kApplyAndMonitor:
        return first_evaluation;
    case AssignmentType::kApplyAndAutoCorrect:
        return true;
    }
    return false;
}

ResourceResult evaluateOne(const ResourceSpec& spec,
                           bool apply,
                           Backend& backend,
                           const EngineContext& context,
                           SetEffects& effects) {
    ResourceResult result{spec.id, spec.type, false, "", false, ""};
    const ResourceType* type = findResourceType(spec.type);
    if (type == nullptr) { // parseConfiguration refuses these; kept for a hand-built package
        result.error = "unknown resource type " + spec.type;
        result.reason = result.error;
        return result;
    }
    auto tested = type->test(spec.properties, backend, context);
    if (!tested) {
        result.error = "test failed: " + tested.error().message;
        result.reason = result.error;
        return result;
    }
    result.compliant = tested.value().compliant;
    result.reason = tested.value().reason;
    if (result.compliant || !apply) {
        return result;
    }
    spdlog::info("GC_RESOURCE_SET id={} type={} reason={}", log::sanitize(spec.id), spec.type,
                 log::sanitize(result.reason));
    auto set = type->set(spec.properties, backend, context, effects);
    if (!set) {
        result.error = (set.error().code == exitcode::kUnsupported ? "cannot be remediated: "
                                                                   : "set failed: ") +
                       set.error().message;
        return result;
    }
    auto retested = type->test(spec.properties, backend, context);
    if (!retested) {
        result.error = "test after set failed: " + retested.error().message;
        return result;
    }
    result.compliant = retested.value().compliant;
    result.remediated = result.compliant;
    result.reason = result.compliant ? retested.value().reason
                                     : "still non-compliant after set: " + retested.value().reason;
    return result;
}

} // namespace

EvaluationResult evaluate(const ConfigurationPackage& package,
                          AssignmentType type,
                          bool first_evaluation,
                          Backend& backend,
                          const EngineContext& context) {
    EvaluationResult out;
    bool apply = shouldSet(type, first_evaluation);
    bool all_compliant = true;
    for (const auto& spec : package.resources) {
        SetEffects effects;
        auto result = evaluateOne(spec, apply, backend, context, effects);
        out.local_config_changed = out.local_config_changed || effects.local_config_changed;
        all_compliant = all_compliant && result.compliant;
        if (!result.error.empty()) {
            spdlog::warn("GC_RESOURCE_ERROR package={} id={} error={}", log::sanitize(package.name),
                         log::sanitize(spec.id), log::sanitize(result.error));
        }
        out.resources.push_back(std::move(result));
    }
    out.complianceStatus = all_compliant ? "Compliant" : "NonCompliant";
    spdlog::info("GC_EVALUATED package={} version={} type={} status={} resources={}",
                 log::sanitize(package.name), log::sanitize(package.version),
                 formatAssignmentType(type), out.complianceStatus, out.resources.size());
    return out;
}

} // namespace azcm::gcservice
