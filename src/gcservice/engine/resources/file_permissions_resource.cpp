// "file_permissions": every existing file matching a pattern grants at most a mode and has the
// given owner/group. No match is compliant: it suits files that may not exist yet (the machine
// key before `connect`), which the "file" type would create. The directory is reached without
// following a symlink another account could have made (file_attributes.hpp).
#include "gcservice/engine/file_attributes.hpp"
#include "gcservice/engine/resource_type.hpp"

namespace azcm::gcservice {

namespace {

struct PermissionProperties {
    std::string path; // the last component may hold * ? [ ] wildcards
    AttributeSpec attributes;
};

Result<PermissionProperties> parse(const nlohmann::json& properties) {
    PropertyReader reader(properties);
    PermissionProperties out;
    AZCM_ASSIGN_OR_RETURN(out.path, reader.requiredString("path"));
    BOOST_OUTCOME_TRY(checkAbsolutePath(out.path));
    auto parent = std::filesystem::path(out.path).parent_path().string();
    if (parent.find_first_of("*?[") != std::string::npos) {
        return propertyError("wildcards are only allowed in the last component of path");
    }
    AZCM_ASSIGN_OR_RETURN(out.attributes.mode, reader.optionalMode("mode_max"));
    AZCM_ASSIGN_OR_RETURN(out.attributes.owner, reader.optionalString("owner"));
    AZCM_ASSIGN_OR_RETURN(out.attributes.group, reader.optionalString("group"));
    BOOST_OUTCOME_TRY(reader.rejectUnknown());
    if (out.attributes.empty()) {
        return propertyError("at least one of mode_max, owner, group is required");
    }
    if (out.attributes.owner) {
        BOOST_OUTCOME_TRY(checkSafeName("owner", *out.attributes.owner));
    }
    if (out.attributes.group) {
        BOOST_OUTCOME_TRY(checkSafeName("group", *out.attributes.group));
    }
    return out;
}

// An existing entry matching the pattern, with its attributes.
struct Match {
    std::string name;
    platform::EntryStatus status;
};

// Regular files and directories matching the last component of the path (glob(7), a leading '.'
// only explicitly); symlinks are skipped, never followed. The directory is reached safely.
Result<std::vector<Match>> matches(const Location& at) {
    BOOST_OUTCOME_TRY(names, at.dir.entriesMatching(at.name));
    std::vector<Match> out;
    for (const auto& name : names) {
        BOOST_OUTCOME_TRY(status, at.dir.status(name));
        if (status && status->kind != platform::EntryKind::kSymlink) {
            out.push_back(Match{name, *status});
        }
    }
    return out;
}

class FilePermissionsResource final : public ResourceType {
public:
    std::string_view name() const override { return "file_permissions"; }

    Result<void> validate(const nlohmann::json& properties) const override {
        BOOST_OUTCOME_TRY(parse(properties));
        return ok();
    }

    Result<TestOutcome> test(const nlohmann::json& properties,
                             Backend& backend,
                             const EngineContext& context) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        auto location = locate(context.paths, props.path);
        if (!location) {
            return TestOutcome{false, unreachableReason(props.path, location.error())};
        }
        std::vector<Match> found;
        if (location.value()) {
            AZCM_ASSIGN_OR_RETURN(found, matches(*location.value()));
        }
        std::vector<std::string> drift;
        for (const auto& match : found) {
            BOOST_OUTCOME_TRY(reasons,
                              attributeDrift(match.status, props.attributes, backend, true));
            if (!reasons.empty()) {
                drift.push_back(location.value()->dir.shownPathOf(match.name) + ": " +
                                joinReasons(reasons));
            }
        }
        if (!drift.empty()) {
            return TestOutcome{false, joinReasons(drift)};
        }
        if (found.empty()) {
            return TestOutcome{true, "no file matches " + props.path};
        }
        return TestOutcome{true, std::to_string(found.size()) + " file(s) matching " + props.path +
                                     " are as expected"};
    }

    Result<void> set(const nlohmann::json& properties,
                     Backend& backend,
                     const EngineContext& context,
                     SetEffects& /*effects*/) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        BOOST_OUTCOME_TRY(location, locate(context.paths, props.path));
        if (!location) {
            return ok();
        }
        BOOST_OUTCOME_TRY(found, matches(*location));
        for (const auto& match : found) {
            BOOST_OUTCOME_TRY(
                applyAttributes(location->dir, match.name, props.attributes, backend, true));
        }
        return ok();
    }
};

} // namespace

std::unique_ptr<ResourceType> makeFilePermissionsResource() {
    return std::make_unique<FilePermissionsResource>();
}

} // namespace azcm::gcservice
