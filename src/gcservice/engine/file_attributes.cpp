#include "gcservice/engine/file_attributes.hpp"

namespace azcm::gcservice {

Result<void> checkAbsolutePath(const std::string& path) {
    std::filesystem::path p(path);
    if (!p.is_absolute()) {
        return propertyError("path \"" + path + "\" must be absolute");
    }
    for (const auto& part : p.relative_path()) {
        if (part == "." || part == "..") {
            return propertyError("path \"" + path + "\" must not contain . or ..");
        }
    }
    if (p.relative_path().empty()) {
        return propertyError("path \"" + path + "\" must not be /");
    }
    return ok();
}

std::filesystem::path resolveUnderRoot(const Paths& paths, const std::string& absolute) {
    return paths.root() / std::filesystem::path(absolute).relative_path();
}

Result<std::optional<Location>> locate(const Paths& paths, const std::string& absolute) {
    BOOST_OUTCOME_TRY(checkAbsolutePath(absolute));
    const std::filesystem::path path(absolute);
    BOOST_OUTCOME_TRY(
        dir, platform::SafeDirectory::open(paths.root(), path.parent_path().relative_path()));
    if (!dir) {
        return std::optional<Location>{};
    }
    return std::optional<Location>{Location{std::move(*dir), path.filename().string()}};
}

Result<Location> locateCreating(const Paths& paths, const std::string& absolute) {
    BOOST_OUTCOME_TRY(checkAbsolutePath(absolute));
    const std::filesystem::path path(absolute);
    BOOST_OUTCOME_TRY(dir, platform::SafeDirectory::openOrCreate(paths.root(),
                                                                 path.parent_path().relative_path(),
                                                                 {0755, {}}, {0755, {}}));
    return Location{std::move(dir), path.filename().string()};
}

std::string unreachableReason(const std::string& absolute, const Error& error) {
    return absolute + " cannot be reached safely: " + error.message;
}

Result<AttributeSpec> readAttributes(PropertyReader& reader) {
    AttributeSpec spec;
    BOOST_OUTCOME_TRY(mode, reader.optionalMode("mode"));
    BOOST_OUTCOME_TRY(owner, reader.optionalString("owner"));
    BOOST_OUTCOME_TRY(group, reader.optionalString("group"));
    if (owner) {
        BOOST_OUTCOME_TRY(checkSafeName("owner", *owner));
    }
    if (group) {
        BOOST_OUTCOME_TRY(checkSafeName("group", *group));
    }
    spec.mode = mode;
    spec.owner = owner;
    spec.group = group;
    return spec;
}

Result<ResolvedIds> resolveIds(const AttributeSpec& spec, Backend& backend) {
    ResolvedIds ids;
    if (spec.owner) {
        BOOST_OUTCOME_TRY(user, backend.findUser(*spec.owner));
        if (!user) {
            return makeError(exitcode::kGeneric, "owner " + *spec.owner + " does not exist");
        }
        ids.uid = static_cast<platform::UserId>(user->uid);
    }
    if (spec.group) {
        BOOST_OUTCOME_TRY(group, backend.findGroup(*spec.group));
        if (!group) {
            return makeError(exitcode::kGeneric, "group " + *spec.group + " does not exist");
        }
        ids.gid = static_cast<platform::GroupId>(group->gid);
    }
    return ids;
}

Result<std::vector<std::string>> attributeDrift(const platform::EntryStatus& status,
                                                const AttributeSpec& spec,
                                                Backend& backend,
                                                bool mode_is_maximum) {
    BOOST_OUTCOME_TRY(ids, resolveIds(spec, backend));
    std::vector<std::string> drift;
    const auto actual = static_cast<platform::FileMode>(status.mode);
    if (spec.mode) {
        bool wrong = mode_is_maximum ? (actual & ~*spec.mode) != 0 : actual != *spec.mode;
        if (wrong) {
            drift.push_back("mode is " + formatMode(actual) +
                            (mode_is_maximum ? ", expected at most " : ", expected ") +
                            formatMode(*spec.mode));
        }
    }
    if (ids.uid && status.uid != *ids.uid) {
        drift.push_back("owner is uid " + std::to_string(status.uid) + ", expected " + *spec.owner +
                        " (uid " + std::to_string(*ids.uid) + ")");
    }
    if (ids.gid && status.gid != *ids.gid) {
        drift.push_back("group is gid " + std::to_string(status.gid) + ", expected " + *spec.group +
                        " (gid " + std::to_string(*ids.gid) + ")");
    }
    return drift;
}

Result<void> applyAttributes(const platform::SafeDirectory& dir,
                             const std::string& name,
                             const AttributeSpec& spec,
                             Backend& backend,
                             bool mode_is_maximum) {
    if (spec.empty()) {
        return ok();
    }
    BOOST_OUTCOME_TRY(ids, resolveIds(spec, backend));
    BOOST_OUTCOME_TRY(entry, dir.openEntry(name));
    const auto& status = entry.status();
    if (status.kind == platform::EntryKind::kRegular && status.links > 1 &&
        dir.writableByOthers()) {
        return makeError(exitcode::kGeneric,
                         dir.shownPathOf(name) + " has " + std::to_string(status.links) +
                             " hard links and lies in a directory another account can write; "
                             "its owner and mode are not changed");
    }
    BOOST_OUTCOME_TRY(entry.setOwner(ids.uid, ids.gid));
    if (spec.mode) {
        const platform::FileMode target =
            mode_is_maximum ? (status.mode & 07777 & *spec.mode) : *spec.mode;
        BOOST_OUTCOME_TRY(entry.setMode(target));
    }
    return ok();
}

std::string joinReasons(const std::vector<std::string>& reasons) {
    std::string out;
    for (const auto& reason : reasons) {
        out += (out.empty() ? "" : "; ") + reason;
    }
    return out;
}

} // namespace azcm::gcservice
