// "directory": a directory present (with mode, owner, group) or absent.
#include "file_attributes.hpp"
#include "fs/atomic_file.hpp"
#include "resource_type.hpp"

#include <system_error>

#include <sys/stat.h>

namespace azcm::gc {

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
        auto path = resolveUnderRoot(context.paths, props.path);
        struct stat st {};
        bool exists = ::lstat(path.c_str(), &st) == 0;
        if (!props.present) {
            if (exists) {
                return TestOutcome{false, props.path + " exists, expected absent"};
            }
            return TestOutcome{true, props.path + " is absent"};
        }
        if (!exists) {
            return TestOutcome{false, props.path + " does not exist"};
        }
        if (!S_ISDIR(st.st_mode)) {
            return TestOutcome{false, props.path + " is not a directory"};
        }
        BOOST_OUTCOME_TRY(drift, attributeDrift(path, props.attributes, backend));
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
        auto path = resolveUnderRoot(context.paths, props.path);
        struct stat st {};
        bool exists = ::lstat(path.c_str(), &st) == 0;
        std::error_code ec;
        if (!props.present) {
            if (!exists) {
                return ok();
            }
            if (!S_ISDIR(st.st_mode)) {
                return makeError(exitcode::kGeneric, props.path + " is not a directory");
            }
            // remove_all removes symlinks inside, never what they point to.
            if (props.recurse) {
                std::filesystem::remove_all(path, ec);
            } else {
                std::filesystem::remove(path, ec);
            }
            if (ec) {
                return makeError(exitcode::kGeneric,
                                 "cannot remove " + props.path + ": " + ec.message() +
                                     (props.recurse ? "" : " (set recurse to remove content)"));
            }
            return ok();
        }
        if (exists && !S_ISDIR(st.st_mode)) {
            return makeError(exitcode::kGeneric,
                             props.path + " exists and is not a directory; not replaced");
        }
        if (!exists) {
            BOOST_OUTCOME_TRY(ids, resolveIds(props.attributes, backend));
            BOOST_OUTCOME_TRY(fs::ensureDirectory(
                path, fs::FileMode{props.attributes.mode.value_or(0755), ids.gid}));
        }
        return applyAttributes(path, props.attributes, backend);
    }
};

} // namespace

std::unique_ptr<ResourceType> makeDirectoryResource() {
    return std::make_unique<DirectoryResource>();
}

} // namespace azcm::gc
