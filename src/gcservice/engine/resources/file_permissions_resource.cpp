// "file_permissions": every existing file matching a pattern grants at most a mode and has the
// given owner/group. No match is compliant: it suits files that may not exist yet (the machine
// key before `connect`), which the "file" type would create.
#include "file_attributes.hpp"
#include "resource_type.hpp"

#include <glob.h>
#include <sys/stat.h>

namespace azcm::gc {

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

// The root and parent directories are literal: their wildcard characters are escaped for glob(3).
std::string globPattern(const std::filesystem::path& resolved) {
    std::string pattern;
    for (char c : resolved.parent_path().string()) {
        if (c == '*' || c == '?' || c == '[' || c == '\\') {
            pattern += '\\';
        }
        pattern += c;
    }
    return pattern + "/" + resolved.filename().string();
}

// Regular files and directories that match; symlinks are skipped, never followed.
std::vector<std::filesystem::path> matches(const std::filesystem::path& resolved) {
    std::vector<std::filesystem::path> out;
    auto pattern = globPattern(resolved);
    glob_t found{};
    if (::glob(pattern.c_str(), 0, nullptr, &found) == 0) {
        for (size_t i = 0; i < found.gl_pathc; ++i) {
            struct stat st {};
            if (::lstat(found.gl_pathv[i], &st) == 0 && !S_ISLNK(st.st_mode)) {
                out.emplace_back(found.gl_pathv[i]);
            }
        }
    }
    ::globfree(&found);
    return out;
}

std::string displayName(const Paths& paths, const std::filesystem::path& path) {
    return "/" + path.lexically_relative(paths.root()).string();
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
        auto found = matches(resolveUnderRoot(context.paths, props.path));
        std::vector<std::string> drift;
        for (const auto& path : found) {
            BOOST_OUTCOME_TRY(reasons, attributeDrift(path, props.attributes, backend, true));
            if (!reasons.empty()) {
                drift.push_back(displayName(context.paths, path) + ": " + joinReasons(reasons));
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
        for (const auto& path : matches(resolveUnderRoot(context.paths, props.path))) {
            BOOST_OUTCOME_TRY(applyAttributes(path, props.attributes, backend, true));
        }
        return ok();
    }
};

} // namespace

std::unique_ptr<ResourceType> makeFilePermissionsResource() {
    return std::make_unique<FilePermissionsResource>();
}

} // namespace azcm::gc
