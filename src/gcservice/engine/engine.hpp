#pragma once
// The guest-configuration engine: the package format, and the evaluation
// of a package's resources in one of the three assignment types. It follows osconfig's model
// (docs/guest-configuration.md): per resource validate, test, and, when the assignment type says
// so, set and test again. Evaluation is sequential and synchronous; the daemon runs it off its
// io_context thread. The format and every resource type are described in
// docs/guest-configuration.md.
#include "common/agent_version.hpp"
#include "common/error.hpp"
#include "common/paths/paths.hpp"
#include "gcservice/engine/backend.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::gcservice {

// ARM's assignmentType, case-sensitive as in Azure.
enum class AssignmentType { kAudit, kApplyAndMonitor, kApplyAndAutoCorrect };
Result<AssignmentType> parseAssignmentType(std::string_view text); // exit 23 on anything else
std::string_view formatAssignmentType(AssignmentType type);

// One entry of configuration.json's "resources". Properties are kept as JSON; the resource type
// has already validated them when the package was parsed.
struct ResourceSpec {
    std::string id;   // unique in the package, e.g. "sshd-permit-root-login"
    std::string type; // e.g. "file", "sshd_setting"
    nlohmann::json properties = nlohmann::json::object();
};

struct ConfigurationPackage {
    std::string name;    // e.g. "AzureArcSecurityBaseline"
    std::string version; // e.g. "1.0.0"
    std::vector<ResourceSpec> resources;
};

inline constexpr const char* kConfigurationFileName = "configuration.json";
// As in Azure, a package is at most 100 MB uncompressed.
inline constexpr std::uint64_t kMaxPackageBytes = 100ULL * 1024 * 1024;

// Validates the document and every resource up front (unknown type, duplicate id, missing or
// ill-typed property): the error names the resource id. Exit code 23.
Result<ConfigurationPackage> parseConfiguration(const nlohmann::json& document);
Result<ConfigurationPackage> parseConfigurationText(std::string_view text);
// Reads <extracted_dir>/configuration.json.
Result<ConfigurationPackage> loadPackage(const std::filesystem::path& extracted_dir);

// Extracts a zip into `dir`, which must not exist, with archive::extractZip (src/common/archive):
// only regular files (0600) and directories (0700), no absolute paths, no "..", no links, no
// devices, at most max_bytes in total; on refusal `dir` is removed. Hash and signature are the
// caller's to check before this.
Result<void> extractPackage(const std::filesystem::path& zip,
                            const std::filesystem::path& dir,
                            std::uint64_t max_bytes = kMaxPackageBytes);

struct ResourceResult {
    std::string id;
    std::string type;
    bool compliant = false;
    std::string reason;      // human, e.g. "mode is 0644, expected 0600"; also why it complies
    bool remediated = false; // set ran in this evaluation and the resource now complies
    std::string error;       // test or set failed; the resource counts as non-compliant
};

struct EvaluationResult {
    std::string complianceStatus; // "Compliant" or "NonCompliant"
    std::vector<ResourceResult> resources;
    // An azcmagent_setting resource rewrote localconfig.json: the daemon should ask the other
    // daemons to reload it, as `azcmagent config set` does.
    bool local_config_changed = false;
};

nlohmann::json toJson(const ResourceResult& result);   // {id, type, compliant, reason, ...}
nlohmann::json toJson(const EvaluationResult& result); // {complianceStatus, resources: [...]}

// One agent release the control plane publishes for the machine's platform.
struct AgentRelease {
    AgentVersion version;
    std::chrono::system_clock::time_point released;
};

// The control plane's agent releases for one platform (docs/protocol.md 3.3.1), as agent_support
// needs them. The service fetches them before evaluating a package that checks the support window;
// when they could not be fetched, `unavailable` says why and agent_support cannot decide.
struct AgentReleases {
    std::string platform;               // "deb", "rpm" or "msi"
    std::vector<AgentRelease> releases; // any order
    // Empty when `releases` is the control plane's answer. Not fetched is not "no releases".
    std::string unavailable = "the agent release list was not fetched";
};

// The answer of GET .../machines/packages/agent/{platform}: {"platform", "versions": [{"version",
// "released", ...}]}. Every entry needs a four-part version and a "released" time
// ("2026-03-01T12:00:00Z"); anything else refuses the whole list, which the check must not trust.
Result<AgentReleases> parseAgentReleases(const nlohmann::json& answer, std::string_view platform);

// True when the package has a resource of `type`: the service fetches what that type needs only
// for the packages that use it.
bool usesResourceType(const ConfigurationPackage& package, std::string_view type);

struct EngineContext {
    Paths paths;                  // file-based types resolve absolute paths under paths.root()
    std::string agent_version;    // e.g. "1.0.30000.0"
    AgentReleases agent_releases; // for agent_support
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
    std::chrono::milliseconds default_command_timeout{std::chrono::seconds(60)};
};

// configuration.json of the built-in security baseline "AzureArcSecurityBaseline"
// (src/gcservice/baseline/), compiled into the library.
std::string_view builtinBaselineConfiguration();

// Evaluates every resource in order. Audit never sets; ApplyAndAutoCorrect sets a non-compliant
// resource on every evaluation; ApplyAndMonitor only when first_evaluation is true (the first
// evaluation of this assignment and package version), afterwards it only reports drift.
EvaluationResult evaluate(const ConfigurationPackage& package,
                          AssignmentType type,
                          bool first_evaluation,
                          Backend& backend,
                          const EngineContext& context);

} // namespace azcm::gcservice
