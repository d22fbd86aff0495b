// "file": a regular file present (optionally with exact content, mode, owner, group) or absent.
// The path is reached without following a symlink another account could have made
// (file_attributes.hpp); a refused path is non-compliant with the reason, and never changed.
#include "common/fs/atomic_file.hpp"
#include "gcservice/engine/file_attributes.hpp"
#include "gcservice/engine/resource_type.hpp"

namespace azcm::gcservice {

namespace {

constexpr std::size_t kMaxContent = 16 << 20; // bytes of a file compared with "content"

struct FileProperties {
    std::string path;
    bool present = true;
    std::optional<std::string> content;
    AttributeSpec attributes;
};

Result<FileProperties> parse(const nlohmann::json& properties) {
    PropertyReader reader(properties);
    FileProperties out;
    AZCM_ASSIGN_OR_RETURN(out.path, reader.requiredString("path"));
    BOOST_OUTCOME_TRY(checkAbsolutePath(out.path));
    BOOST_OUTCOME_TRY(ensure, reader.choice("ensure", {"present", "absent"}, "present"));
    out.present = ensure == "present";
    AZCM_ASSIGN_OR_RETURN(out.content, reader.optionalString("content"));
    AZCM_ASSIGN_OR_RETURN(out.attributes, readAttributes(reader));
    BOOST_OUTCOME_TRY(reader.rejectUnknown());
    if (!out.present && (out.content || !out.attributes.empty())) {
        return propertyError("content, mode, owner and group only apply to ensure \"present\"");
    }
    return out;
}

class FileResource final : public ResourceType {
public:
    std::string_view name() const override { return "file"; }

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
        if (status->kind == platform::EntryKind::kSymlink) {
            return TestOutcome{false, props.path + " is a symbolic link, expected a regular file"};
        }
        if (status->kind != platform::EntryKind::kRegular) {
            return TestOutcome{false, props.path + " is not a regular file"};
        }
        const Location& at = *location.value();
        std::vector<std::string> drift;
        if (props.content) {
            BOOST_OUTCOME_TRY(entry, at.dir.openEntry(at.name));
            BOOST_OUTCOME_TRY(actual, entry.read(kMaxContent));
            if (actual != *props.content) {
                drift.push_back("content differs (" + std::to_string(actual.size()) +
                                " bytes, expected " + std::to_string(props.content->size()) +
                                " bytes)");
            }
        }
        BOOST_OUTCOME_TRY(attribute_drift, attributeDrift(*status, props.attributes, backend));
        drift.insert(drift.end(), attribute_drift.begin(), attribute_drift.end());
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
                return ok(); // a parent directory is missing: so is the file
            }
            BOOST_OUTCOME_TRY(status, location->dir.status(location->name));
            if (status && status->kind == platform::EntryKind::kDirectory) {
                return makeError(exitcode::kGeneric, props.path + " is a directory; not removed");
            }
            return location->dir.removeFile(location->name);
        }
        BOOST_OUTCOME_TRY(at, locateCreating(context.paths, props.path));
        BOOST_OUTCOME_TRY(status, at.dir.status(at.name));
        if (status && status->kind == platform::EntryKind::kDirectory) {
            return makeError(exitcode::kGeneric, props.path + " is a directory; not replaced");
        }
        const bool regular = status && status->kind == platform::EntryKind::kRegular;
        // The new file is created with its final mode and group so it is never readable by more
        // than intended; a file that keeps its content keeps its mode unless one is given.
        const mode_t mode = props.attributes.mode
                                ? *props.attributes.mode
                                : (regular ? static_cast<mode_t>(status->mode) : 0644);
        BOOST_OUTCOME_TRY(ids, resolveIds(props.attributes, backend));
        fs::FileMode file_mode{mode, ids.gid};
        if (props.content) {
            bool same = false;
            if (regular) {
                if (auto entry = at.dir.openEntry(at.name)) {
                    auto actual = entry.value().read(kMaxContent);
                    same = actual && actual.value() == *props.content;
                }
            }
            if (!same) {
                BOOST_OUTCOME_TRY(fs::writeFileAtomic(at.dir, at.name, *props.content, file_mode));
            }
        } else if (!regular) {
            // Missing, or a symlink or other non-regular file: replace it by an empty file. The
            // rename replaces a symlink itself, never its target.
            BOOST_OUTCOME_TRY(fs::writeFileAtomic(at.dir, at.name, "", file_mode));
        }
        return applyAttributes(at.dir, at.name, props.attributes, backend);
    }
};

} // namespace

std::unique_ptr<ResourceType> makeFileResource() {
    return std::make_unique<FileResource>();
}

} // namespace azcm::gcservice
