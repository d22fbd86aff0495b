// "directory": a directory present (with mode, owner, group) or absent. The path is reached
// without following a symlink another account could have made (file_attributes.hpp).
#include "gcservice/engine/file_attributes.hpp"
#include "gcservice/engine/resource_type.hpp"

namespace azcm::gcservice {

namespace {

struct DirectoryProperties {
    std::string path;
    bool present = true;
    bool recurse = false; // absent: remove a non-empty directory with its content
    AttributeSpec attributes;
};

Result<DirectoryProperties> parse(const nlohmann::json& properties) {
    PropertyReader reader(properties);
    DirectoryProperties out;
    AZCM_ASSIGN_OR_RETURN(out.path, reader.requiredString("path"));
    BOOST_OUTCOME_TRY(checkAbsolutePath(out.path));
    BOOST_OUTCOME_TRY(ensure, reader.choice("ensure", {"present", "absent"}, "present"));
    out.present = ensure == "present";
    BOOST_OUTCOME_TRY(recurse, reader.optionalBool("recurse"));
    out.recurse = recurse.value_or(false);
    AZCM_ASSIGN_OR_RETURN(out.attributes, readAttributes(reader));
    BOOST_OUTCOME_TRY(reader.rejectUnknown());
    if (!out.present && !out.attributes.empty()) {
        return propertyError("mode, owner and group only apply to ensure \"present\"");
    }
    if (out.present && recurse) {
        return propertyError("recurse only applies to ensure \"absent\"");
    }
    return out;
}

class DirectoryResource final : public ResourceType {
public:
    std::string_view name() const override { return "directory"; }

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
        std::optional<platform::EntryStatus> status;
        if (location.value()) {
            AZCM_ASSIGN_OR_RETURN(status, location.value()->dir.status(location.value()->name));
        }
        if (!props.present) {
            if (status) {
                return TestOutcome{false, props.path + " exists, expected absent"};
            }
            return TestOutcome{true, props.path + " is absent"};
        }
        if (!status) {
            return TestOutcome{false, props.path + " does not exist"};
        }
        if (status->kind != platform::EntryKind::kDirectory) {
            return TestOutcome{false, props.path + " is not a directory"};
        }
        BOOST_OUTCOME_TRY(drift, attributeDrift(*status, props.attributes, backend));
        if (!drift.empty()) {
            return TestOutcome{false, props.path + ": " + joinReasons(drift)};
        }
        return TestOutcome{true, props.path + " is as expected"};
    }

    Result<void> set(const nlohmann::json& properties,
                     Backend& backend,
                     const EngineContext& context,
                     SetEffects& /*effects*/) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        if (!props.present) {
            BOOST_OUTCOME_TRY(location, locate(context.paths, props.path));
            if (!location) {
                return ok();
            }
            BOOST_OUTCOME_TRY(status, location->dir.status(location->name));
            if (!status) {
                return ok();
            }
            if (status->kind != platform::EntryKind::kDirectory) {
                return makeError(exitcode::kGeneric, props.path + " is not a directory");
            }
            // Content is removed through descriptors: symlinks inside are removed, never followed.
            auto removed = location->dir.removeDirectory(location->name, props.recurse);
            if (!removed) {
                return makeError(exitcode::kGeneric,
                                 removed.error().message +
                                     (props.recurse ? "" : " (set recurse to remove content)"));
            }
            return ok();
        }
        BOOST_OUTCOME_TRY(at, locateCreating(context.paths, props.path));
        BOOST_OUTCOME_TRY(status, at.dir.status(at.name));
        if (status && status->kind != platform::EntryKind::kDirectory) {
            return makeError(exitcode::kGeneric,
                             props.path + " exists and is not a directory; not replaced");
        }
        if (!status) {
            BOOST_OUTCOME_TRY(ids, resolveIds(props.attributes, backend));
            BOOST_OUTCOME_TRY(at.dir.makeDirectory(
                at.name, platform::NewDirectory{props.attributes.mode.value_or(0755), ids.gid}));
        }
        return applyAttributes(at.dir, at.name, props.attributes, backend);
    }
};

} // namespace

std::unique_ptr<ResourceType> makeDirectoryResource() {
    return std::make_unique<DirectoryResource>();
}

} // namespace azcm::gcservice
