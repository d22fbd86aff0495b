// Which cgroup hierarchies carry the cpu and cpuacct controllers for this process, from
// /proc/<pid>/cgroup and /proc/<pid>/mountinfo (cgroups(7), proc(5)).
#include "common/platform/linux/cgroup_layout.hpp"

#include "common/crypto/encoding.hpp"
#include "common/platform/linux/cgroup_files.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>

namespace azcm::platform {

namespace {

namespace stdfs = std::filesystem;

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = text.find(separator, start);
        const auto stop = end == std::string_view::npos ? text.size() : end;
        parts.emplace_back(text.substr(start, stop - start));
        if (end == std::string_view::npos) {
            break;
        }
        start = end + 1;
    }
    return parts;
}

bool contains(const std::vector<std::string>& items, std::string_view item) {
    return std::find(items.begin(), items.end(), item) != items.end();
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string decodeOctalEscapes(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 3 < text.size()) {
            int value = 0;
            const auto [ptr, ec] =
                std::from_chars(text.data() + i + 1, text.data() + i + 4, value, 8);
            if (ec == std::errc() && ptr == text.data() + i + 4) {
                out.push_back(static_cast<char>(value));
                i += 3;
                continue;
            }
        }
        out.push_back(text[i]);
    }
    return out;
}

// Whether a mount whose root is `mount_root` shows the group at `path` (a bind mount of another
// subtree, as in some containers, does not).
bool showsPath(const std::string& mount_root, const std::string& path) {
    if (mount_root == "/") {
        return true;
    }
    return path == mount_root || path.rfind(mount_root + "/", 0) == 0;
}

std::optional<CgroupHierarchy> findV1(const std::vector<MountInfoEntry>& mounts,
                                      const std::vector<ProcCgroupEntry>& groups,
                                      const stdfs::path& root,
                                      std::string_view controller) {
    for (const auto& group : groups) {
        if (group.hierarchy_id == 0 || !contains(group.controllers, controller)) {
            continue;
        }
        for (const auto& mount : mounts) {
            if (mount.fs_type != "cgroup" || !contains(mount.super_options, controller) ||
                !showsPath(mount.root, group.path)) {
                continue;
            }
            CgroupHierarchy hierarchy;
            hierarchy.version = CgroupVersion::kV1;
            hierarchy.mount_dir = root / stdfs::path(mount.mount_point).relative_path();
            hierarchy.mount_root = mount.root;
            hierarchy.process_path = group.path;
            return hierarchy;
        }
    }
    return std::nullopt;
}

} // namespace

std::filesystem::path CgroupHierarchy::dirOf(std::string_view hierarchy_path) const {
    std::string_view rest = hierarchy_path;
    if (mount_root != "/" && rest.rfind(mount_root, 0) == 0) {
        rest.remove_prefix(mount_root.size());
    }
    return mount_dir / stdfs::path(rest).relative_path();
}

std::vector<ProcCgroupEntry> parseProcCgroup(std::string_view text) {
    std::vector<ProcCgroupEntry> entries;
    for (const auto& line : split(text, '\n')) {
        const auto first = line.find(':');
        const auto second = first == std::string::npos ? first : line.find(':', first + 1);
        if (second == std::string::npos) {
            continue;
        }
        ProcCgroupEntry entry;
        const auto id_text = std::string_view(line).substr(0, first);
        const auto [ptr, ec] =
            std::from_chars(id_text.data(), id_text.data() + id_text.size(), entry.hierarchy_id);
        if (ec != std::errc() || ptr != id_text.data() + id_text.size()) {
            continue;
        }
        const auto controllers = line.substr(first + 1, second - first - 1);
        if (!controllers.empty()) {
            entry.controllers = split(controllers, ',');
        }
        entry.path = line.substr(second + 1); // may contain ':'
        entries.push_back(std::move(entry));
    }
    return entries;
}

std::vector<MountInfoEntry> parseMountInfo(std::string_view text) {
    std::vector<MountInfoEntry> entries;
    for (const auto& line : split(text, '\n')) {
        std::istringstream fields(line);
        std::vector<std::string> words;
        for (std::string word; fields >> word;) {
            words.push_back(word);
        }
        // id parent major:minor root mount-point options [optional...] - type source super-options
        const auto dash = std::find(words.begin(), words.end(), "-");
        if (dash == words.end() || dash - words.begin() < 6 || words.end() - dash < 2) {
            continue;
        }
        MountInfoEntry entry;
        entry.root = decodeOctalEscapes(words[3]);
        entry.mount_point = decodeOctalEscapes(words[4]);
        entry.fs_type = *(dash + 1);
        if (words.end() - dash >= 4) {
            entry.super_options = split(*(dash + 3), ',');
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

std::string defaultCgroupBaseName(const std::filesystem::path& agent_root) {
    auto root = agent_root.lexically_normal();
    if (!root.has_filename() && root != root.root_path()) {
        root = root.parent_path(); // "/tmp/sandbox/" names the same root as "/tmp/sandbox"
    }
    if (root == root.root_path()) {
        return "azcmagent";
    }
    constexpr std::size_t kHashBytes = 5; // 10 hex digits: collisions need ~10^6 sandboxes
    return "azcmagent-" + crypto::hexEncode(crypto::sha256(root.string()).substr(0, kHashBytes));
}

bool CgroupLayout::separateAccounting() const {
    return cpu && cpuacct && cpu->mount_dir != cpuacct->mount_dir;
}

std::string CgroupLayout::describe() const {
    if (!cpu) {
        return "no usable cpu controller: " + problem;
    }
    if (cpu->version == CgroupVersion::kV2) {
        return "cgroup v2 (" + cpu->mount_dir.string() + ")";
    }
    std::string text = unified_mounted ? "cgroup v1 hybrid (cpu at " : "cgroup v1 (cpu at ";
    text += cpu->mount_dir.string();
    if (!cpuacct) {
        text += ", no cpuacct";
    } else if (separateAccounting()) {
        text += ", cpuacct at " + cpuacct->mount_dir.string();
    } else {
        text += ", with cpuacct";
    }
    return text + ")";
}

CgroupLayout detectCgroupLayout(const std::filesystem::path& root, const std::string& pid) {
    CgroupLayout layout;
    const auto proc = root / "proc" / pid;
    const auto groups_text = cgroupfs::readText(proc / "cgroup");
    const auto mounts_text = cgroupfs::readText(proc / "mountinfo");
    if (!groups_text || !mounts_text) {
        layout.problem = "cannot read " + (proc / (groups_text ? "mountinfo" : "cgroup")).string();
        return layout;
    }
    const auto groups = parseProcCgroup(groups_text.value());
    const auto mounts = parseMountInfo(mounts_text.value());

    layout.unified_mounted = std::any_of(
        mounts.begin(), mounts.end(), [](const auto& mount) { return mount.fs_type == "cgroup2"; });
    layout.cpu = findV1(mounts, groups, root, "cpu");
    if (layout.cpu) {
        layout.cpuacct = findV1(mounts, groups, root, "cpuacct");
        return layout;
    }

    // No v1 cpu controller: cgroup v2, if its hierarchy offers the cpu controller.
    const auto unified = std::find_if(groups.begin(), groups.end(), [](const auto& group) {
        return group.hierarchy_id == 0 && group.controllers.empty();
    });
    for (const auto& mount : mounts) {
        if (mount.fs_type != "cgroup2" || unified == groups.end() ||
            !showsPath(mount.root, unified->path)) {
            continue;
        }
        CgroupHierarchy hierarchy;
        hierarchy.version = CgroupVersion::kV2;
        hierarchy.mount_dir = root / stdfs::path(mount.mount_point).relative_path();
        hierarchy.mount_root = mount.root;
        hierarchy.process_path = unified->path;
        const auto available = cgroupfs::readText(hierarchy.mount_dir / "cgroup.controllers");
        const auto controllers =
            available ? split(available.value(), ' ') : std::vector<std::string>{};
        std::vector<std::string> names;
        for (const auto& name : controllers) {
            const auto end = name.find_last_not_of(" \n");
            if (end != std::string::npos) {
                names.push_back(name.substr(0, end + 1));
            }
        }
        if (!contains(names, "cpu")) {
            layout.problem = "the cgroup v2 hierarchy at " + hierarchy.mount_dir.string() +
                             " does not offer the cpu controller";
            continue;
        }
        layout.cpu = hierarchy;
        layout.cpuacct = hierarchy;
        return layout;
    }
    if (layout.problem.empty()) {
        layout.problem = "no cgroup hierarchy with the cpu controller is mounted";
    }
    return layout;
}

} // namespace azcm::platform
