#include "azcmagent/agent_release.hpp"

#include "common/crypto/encoding.hpp"
#include "common/crypto/package_signature.hpp"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

namespace {

using nlohmann::json;

Error badList(const std::string& why) {
    return makeError(exitcode::kNetwork,
                     "the control plane's agent version list is invalid: " + why);
}

bool isLowerHex(std::string_view text, std::size_t length) {
    return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

Result<AgentRelease> parseRelease(const json& entry) {
    if (!entry.is_object()) {
        return badList("an entry is not an object");
    }
    const auto text = [&](const char* name) {
        const auto it = entry.find(name);
        return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    AgentRelease release;
    const auto version = parseAgentVersion(text("version"));
    if (!version) {
        return badList("version '" + text("version") + "' is not MAJOR.MINOR.BUILD.REVISION");
    }
    release.version = *version;
    release.url = text("url");
    if (release.url.rfind("https://", 0) != 0) {
        return badList("the URL of " + version->text() + " is not https");
    }
    const auto size = entry.find("size");
    // A parsed positive number is unsigned; one built in code may be a signed integer.
    const bool positive = size != entry.end() && size->is_number_integer() &&
                          (size->is_number_unsigned() || size->get<std::int64_t>() > 0) &&
                          size->get<std::uint64_t>() > 0;
    if (!positive) {
        return badList("the size of " + version->text() + " is not a positive number");
    }
    release.size = size->get<std::uint64_t>();
    release.sha256 = text("sha256");
    if (!isLowerHex(release.sha256, 64)) {
        return badList("the sha256 of " + version->text() + " is not 64 lower-case hex digits");
    }
    release.signature = text("signature");
    if (release.signature.empty()) {
        return badList(version->text() + " has no signature");
    }
    return release;
}

std::optional<std::uint16_t> parseField(std::string_view text) {
    unsigned value = 0;
    const auto* end = text.data() + text.size();
    const auto [at, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || text.size() > 5 || (text.size() > 1 && text.front() == '0') ||
        error != std::errc() || at != end || value > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

bool matches(const AgentVersion& version, const ReleaseRequest& request) {
    if (request.exact) {
        return version == *request.exact;
    }
    if (request.line) {
        return version.major == request.line->first && version.minor == request.line->second;
    }
    return true;
}

std::string describe(const ReleaseRequest& request) {
    if (request.exact) {
        return "version " + request.exact->text();
    }
    if (request.line) {
        return "version " + std::to_string(request.line->first) + "." +
               std::to_string(request.line->second);
    }
    return "any version";
}

} // namespace

Result<std::vector<AgentRelease>> parseAgentReleases(const json& answer,
                                                     crypto::AgentPlatform platform) {
    if (!answer.is_object()) {
        return badList("not a JSON object");
    }
    const auto named = answer.find("platform");
    if (named == answer.end() || !named->is_string() ||
        named->get<std::string>() != crypto::agentPlatformName(platform)) {
        return badList("it is not the list for " +
                       std::string(crypto::agentPlatformName(platform)));
    }
    const auto versions = answer.find("versions");
    if (versions == answer.end() || !versions->is_array()) {
        return badList("\"versions\" is not an array");
    }
    std::vector<AgentRelease> releases;
    for (const auto& entry : *versions) {
        auto release = parseRelease(entry);
        if (!release) {
            return release.error();
        }
        releases.push_back(std::move(release).value());
    }
    std::sort(releases.begin(), releases.end(),
              [](const auto& left, const auto& right) { return left.version > right.version; });
    return releases;
}

Result<ReleaseRequest> parseReleaseRequest(std::string_view text) {
    ReleaseRequest request;
    if (text.empty()) {
        return request;
    }
    if (auto exact = parseAgentVersion(text)) {
        request.exact = *exact;
        return request;
    }
    const auto dot = text.find('.');
    if (dot != std::string_view::npos) {
        const auto major = parseField(text.substr(0, dot));
        const auto minor = parseField(text.substr(dot + 1));
        if (major && minor) {
            request.line = std::pair{*major, *minor};
            return request;
        }
    }
    return makeError(exitcode::kInvalidArgument,
                     "--version '" + std::string(text) +
                         "' is neither MAJOR.MINOR nor MAJOR.MINOR.BUILD.REVISION (each field "
                         "0-65535)");
}

Result<AgentRelease> chooseRelease(const std::vector<AgentRelease>& releases,
                                   const ReleaseRequest& request,
                                   const AgentVersion& installed) {
    if (releases.empty()) {
        return makeError(exitcode::kGeneric, "the control plane publishes no agent version for "
                                             "this platform");
    }
    const auto newest = std::find_if(releases.begin(), releases.end(), [&](const auto& release) {
        return matches(release.version, request);
    });
    if (newest == releases.end()) {
        return makeError(exitcode::kGeneric,
                         "no published agent release matches " + describe(request) +
                             " (newest published: " + releases.front().version.text() + ")");
    }
    if (newest->version < installed && request.any()) {
        return makeError(exitcode::kGeneric,
                         "the newest published agent version " + newest->version.text() +
                             " is older than the installed " + installed.text() +
                             "; name it with --version to downgrade");
    }
    return *newest;
}

Result<void> verifyAgentPackage(std::string_view bytes,
                                const AgentRelease& release,
                                crypto::AgentPlatform platform,
                                std::string_view signing_root_pem) {
    const std::string name = "the package of " + release.version.text();
    if (bytes.size() != release.size) {
        return makeError(exitcode::kGeneric, name + " has " + std::to_string(bytes.size()) +
                                                 " bytes; the list says " +
                                                 std::to_string(release.size));
    }
    if (crypto::hexEncode(crypto::sha256(bytes)) != release.sha256) {
        return makeError(exitcode::kGeneric,
                         name + " does not have the SHA-256 the list gives: damaged or replaced");
    }
    const auto detected = crypto::detectAgentPlatform(bytes);
    if (detected != platform) {
        return makeError(
            exitcode::kGeneric,
            name + " is " +
                (detected ? "a " + std::string(crypto::agentPlatformName(*detected)) + " package"
                          : std::string("no installable package")) +
                "; this machine installs " + std::string(crypto::agentPlatformName(platform)) +
                " packages");
    }
    if (signing_root_pem.empty()) {
        return makeError(exitcode::kGeneric, "no package-signing root is configured "
                                             "(packageSigningRootPath of the cloud): agent "
                                             "packages cannot be verified");
    }
    auto signature = crypto::base64Decode(release.signature);
    if (!signature) {
        return makeError(exitcode::kGeneric, name + ": the signature is not base64");
    }
    auto signed_package =
        crypto::verifyPackageSignature(bytes, signature.value(), signing_root_pem);
    if (!signed_package) {
        return makeError(exitcode::kGeneric, name + ": the signature does not verify: " +
                                                 signed_package.error().message);
    }
    const auto expected = crypto::agentPackageIdentity(platform, release.version.text());
    const auto& identity = signed_package.value().identity;
    if (identity != expected) {
        return makeError(exitcode::kGeneric, name + " is signed as " + identity.kind + " '" +
                                                 identity.name + "' " + identity.version +
                                                 ", not as the " +
                                                 std::string(crypto::agentPlatformName(platform)) +
                                                 " agent package " + release.version.text());
    }
    return ok();
}

} // namespace azcm::azcmagent
