// "file": a regular file present (optionally with exact content, mode, owner, group) or absent.
#include "file_attributes.hpp"
#include "fs/atomic_file.hpp"
#include "resource_type.hpp"

#include <sys/stat.h>

namespace azcm::gc {

namespace {

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
        if (S_ISLNK(st.st_mode)) {
            return TestOutcome{false, props.path + " is a symbolic link, expected a regular file"};
        }
        if (!S_ISREG(st.st_mode)) {
            return TestOutcome{false, props.path + " is not a regular file"};
        }
        std::vector<std::string> drift;
        if (props.content) {
            BOOST_OUTCOME_TRY(actual, fs::readFile(path));
            if (actual != *props.content) {
                drift.push_back("content differs (" + std::to_string(actual.size()) +
                                " bytes, expected " + std::to_string(props.content->size()) +
                                " bytes)");
            }
        }
        BOOST_OUTCOME_TRY(attribute_drift, attributeDrift(path, props.attributes, backend));
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
        auto path = resolveUnderRoot(context.paths, props.path);
        struct stat st {};
        bool exists = ::lstat(path.c_str(), &st) == 0;
        if (!props.present) {
            if (exists && S_ISDIR(st.st_mode)) {
                return makeError(exitcode::kGeneric, props.path + " is a directory; not removed");
            }
            return fs::removeFile(path);
        }
        if (exists && S_ISDIR(st.st_mode)) {
            return makeError(exitcode::kGeneric, props.path + " is a directory; not replaced");
        }
        bool regular = exists && S_ISREG(st.st_mode);
        // The new file is created with its final mode and group so it is never readable by more
        // than intended; a file that keeps its content keeps its mode unless one is given.
        mode_t mode = props.attributes.mode ? *props.attributes.mode
                                            : (regular ? (st.st_mode & 07777) : 0644);
        BOOST_OUTCOME_TRY(ids, resolveIds(props.attributes, backend));
        BOOST_OUTCOME_TRY(fs::ensureDirectory(path.parent_path()));
        fs::FileMode file_mode{mode, ids.gid};
        if (props.content) {
            bool same = false;
            if (regular) {
                auto actual = fs::readFile(path);
                same = actual && actual.value() == *props.content;
            }
            if (!same) {
                BOOST_OUTCOME_TRY(fs::writeFileAtomic(path, *props.content, file_mode));
            }
        } else if (!regular) {
            // Missing, or a symlink or other non-regular file: replace it by an empty file. The
            // rename replaces a symlink itself, never its target.
            BOOST_OUTCOME_TRY(fs::writeFileAtomic(path, "", file_mode));
        }
        return applyAttributes(path, props.attributes, backend);
    }
};

} // namespace

std::unique_ptr<ResourceType> makeFileResource() {
    return std::make_unique<FileResource>();
}

} // namespace azcm::gc
