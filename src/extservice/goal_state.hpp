#pragma once
// The extension goal state the control plane sends (docs/protocol.md 3.1), parsed and checked.
// Everything in it is untrusted input: names become directory names and cgroup names, so they
// are validated here once.
#include "common/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::extservice {

struct PackageRef {
    std::string url;
    std::uint64_t size = 0;
    std::string sha256;           // lower-case hex
    std::string signature_base64; // detached CMS (DER), base64
    // The handler version inside: "version" when given, else the URL's last segment when it is a
    // dotted number (docs/protocol.md 3.3 names the exact version there).
    std::string version;
};

struct GoalExtension {
    std::string name;
    std::string state; // "enabled" or "uninstall"
    std::int64_t sequence_number = 0;
    std::string provisioning_state; // Creating, Updating, Deleting, Succeeded, Failed
    std::string publisher;
    std::string type;
    std::string version; // typeHandlerVersion
    // ARM's upgrade flags: either lets a later minor version of the same major satisfy
    // typeHandlerVersion (docs/extensions.md, "Versions").
    bool auto_upgrade_minor_version = false;
    bool enable_automatic_upgrade = false;
    nlohmann::json settings = nlohmann::json::object();
    std::optional<std::string> protected_settings; // base64 CMS EnvelopedData
    std::string protected_settings_thumbprint;
    bool protected_settings_pending = false; // no settings certificate registered yet
    std::optional<PackageRef> package;

    // "<Publisher>.<Type>": the handler name of WALinuxAgent (directory, cgroup, manifest).
    std::string handlerName() const { return publisher + "." + type; }
    // The version to install: the package's own when given, else typeHandlerVersion.
    std::string installVersion() const {
        return package && !package->version.empty() ? package->version : version;
    }
    bool newerMinorAllowed() const {
        return auto_upgrade_minor_version || enable_automatic_upgrade;
    }
    bool uninstall() const { return state == "uninstall"; }
    // Creating, Updating and Deleting wait for a report.
    bool awaitsReport() const;
};

struct GoalState {
    std::string etag;
    std::vector<GoalExtension> extensions;
};

// Publisher, type and extension names: [A-Za-z0-9._-], 1-128 characters, not "." or "..".
bool safeName(std::string_view name);

// Entries that are malformed are skipped (and named in `rejected`), so one bad entry cannot stop
// the others.
struct ParsedGoalState {
    GoalState goal;
    std::vector<std::string> rejected;
};
Result<ParsedGoalState> parseGoalState(const nlohmann::json& document, std::string etag);

} // namespace azcm::extservice
