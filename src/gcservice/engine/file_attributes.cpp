#include "file_attributes.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace azcm::gc {

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
        ids.uid = static_cast<uid_t>(user->uid);
    }
    if (spec.group) {
        BOOST_OUTCOME_TRY(group, backend.findGroup(*spec.group));
        if (!group) {
            return makeError(exitcode::kGeneric, "group " + *spec.group + " does not exist");
        }
        ids.gid = static_cast<gid_t>(group->gid);
    }
    return ids;
}

Result<std::vector<std::string>> attributeDrift(const std::filesystem::path& path,
                                                const AttributeSpec& spec,
                                                Backend& backend,
                                                bool mode_is_maximum) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        return makeError(exitcode::kGeneric,
                         "cannot stat " + path.string() + ": " + std::strerror(errno));
    }
    BOOST_OUTCOME_TRY(ids, resolveIds(spec, backend));
    std::vector<std::string> drift;
    mode_t actual = st.st_mode & 07777;
    if (spec.mode) {
        bool wrong = mode_is_maximum ? (actual & ~*spec.mode) != 0 : actual != *spec.mode;
        if (wrong) {
            drift.push_back("mode is " + formatMode(actual) +
                            (mode_is_maximum ? ", expected at most " : ", expected ") +
                            formatMode(*spec.mode));
        }
    }
    if (ids.uid && st.st_uid != *ids.uid) {
        drift.push_back("owner is uid " + std::to_string(st.st_uid) + ", expected " + *spec.owner +
                        " (uid " + std::to_string(*ids.uid) + ")");
    }
    if (ids.gid && st.st_gid != *ids.gid) {
        drift.push_back("group is gid " + std::to_string(st.st_gid) + ", expected " + *spec.group +
                        " (gid " + std::to_string(*ids.gid) + ")");
    }
    return drift;
}

Result<void> applyAttributes(const std::filesystem::path& path,
                             const AttributeSpec& spec,
                             Backend& backend,
                             bool mode_is_maximum) {
    if (spec.empty()) {
        return ok();
    }
    BOOST_OUTCOME_TRY(ids, resolveIds(spec, backend));
    // O_NONBLOCK: opening a FIFO that a package names must not hang the evaluation.
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        return makeError(exitcode::kGeneric,
                         "cannot open " + path.string() +
                             (errno == ELOOP ? ": it is a symbolic link"
                                             : ": " + std::string(std::strerror(errno))));
    }
    struct stat st {};
    Result<void> result = ok();
    if (::fstat(fd, &st) != 0) {
        result = makeError(exitcode::kGeneric, "cannot stat " + path.string());
    } else if ((ids.uid || ids.gid) && ::fchown(fd, ids.uid ? *ids.uid : static_cast<uid_t>(-1),
                                                ids.gid ? *ids.gid : static_cast<gid_t>(-1)) != 0) {
        result = makeError(exitcode::kGeneric, "cannot change the owner of " + path.string() +
                                                   ": " + std::strerror(errno));
    } else if (spec.mode) {
        mode_t target = mode_is_maximum ? (st.st_mode & 07777 & *spec.mode) : *spec.mode;
        if (::fchmod(fd, target) != 0) {
            result = makeError(exitcode::kGeneric, "cannot change the mode of " + path.string() +
                                                       ": " + std::strerror(errno));
        }
    }
    ::close(fd);
    return result;
}

std::string joinReasons(const std::vector<std::string>& reasons) {
    std::string out;
    for (const auto& reason : reasons) {
        out += (out.empty() ? "" : "; ") + reason;
    }
    return out;
}

} // namespace azcm::gc
