#include "common/config/local_config.hpp"

#include "common/config/config_field.hpp"
#include "common/config/config_keys.hpp"
#include "common/config/config_values.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/http/proxy_url.hpp"
#include "common/json/json_document.hpp"
#include "common/paths/paths.hpp"
#include "common/platform/accounts.hpp"

namespace azcm::config {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxSecretFileBytes = 64 << 10;
constexpr std::string_view kRedactedUserInfo = "***";

// The user information of an absolute URL ("user:password" of http://user:password@host), if any.
std::optional<std::string_view> userInfoOf(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return std::nullopt;
    }
    const auto begin = scheme_end + 3;
    const auto authority = url.substr(begin, url.find_first_of("/?#", begin) - begin);
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    return authority.substr(0, at);
}

bool hasCredentialsInClear(const std::string& url) {
    const auto user_info = userInfoOf(url);
    return user_info && *user_info != kRedactedUserInfo;
}

bool isRedacted(const std::string& url) {
    const auto user_info = userInfoOf(url);
    return user_info && *user_info == kRedactedUserInfo;
}

std::filesystem::path backupOf(const std::filesystem::path& path) {
    return path.string() + ".bak";
}

// localconfig.json as it is on disk: proxy.url redacted, or in clear in a file an older version
// wrote.
Result<LocalConfig> readPublicFile(const std::filesystem::path& path) {
    auto text = fs::readFile(path, 1 << 20);
    if (!text) {
        if (text.error().code == exitcode::kConfigFileNotFound) {
            return LocalConfig{};
        }
        return makeError(exitcode::kLocalConfigRead, text.error().message);
    }
    auto document = jsondoc::parse(text.value(), path.string());
    if (!document) {
        return makeError(exitcode::kLocalConfigRead, document.error().message);
    }
    return parseLocalConfig(document.value());
}

// The proxy URL of one secret file; nothing when the file does not exist.
Result<std::optional<std::string>> readSecretProxyUrl(const std::filesystem::path& secret) {
    auto text = fs::readFile(secret, kMaxSecretFileBytes);
    if (!text) {
        if (text.error().code == exitcode::kConfigFileNotFound) {
            return std::optional<std::string>();
        }
        return makeError(exitcode::kLocalConfigRead,
                         "cannot read the proxy credentials (only root and group " +
                             std::string(kProxySecretGroup) + " may): " + text.error().message);
    }
    const auto parsed = jsondoc::parse(text.value(), secret.string());
    if (!parsed) {
        return makeError(exitcode::kLocalConfigRead, parsed.error().message);
    }
    const auto& document = parsed.value();
    if (!document.is_object() || !document.contains("proxy.url") ||
        !document.at("proxy.url").is_string()) {
        return makeError(exitcode::kLocalConfigRead,
                         secret.string() + ": an object with the string proxy.url expected");
    }
    return std::optional<std::string>(document.at("proxy.url").get<std::string>());
}

// The full URL whose redacted form is `shown`: from the secret file, else from its backup (a
// writer stopped between the secret file and localconfig.json leaves the matching one there).
Result<std::string> proxyUrlWithCredentials(const std::filesystem::path& path,
                                            const std::string& shown) {
    const auto secret = Paths::localConfigSecretFor(path);
    for (const auto& candidate : {secret, backupOf(secret)}) {
        BOOST_OUTCOME_TRY(url, readSecretProxyUrl(candidate));
        if (url && http::redactProxyUrl(*url) == shown) {
            return *url;
        }
    }
    return makeError(exitcode::kLocalConfigRead,
                     path.string() + " sets proxy.url " + shown + " but " + secret.string() +
                         " does not hold its credentials; set proxy.url again");
}

Result<void> writeSecretFile(const std::filesystem::path& path,
                             const std::string& proxy_url,
                             const SecretFileAccess& access) {
    const fs::FileMode mode{static_cast<platform::FileMode>(access.group ? 0640 : 0600),
                            access.group};
    const json document = {{"proxy.url", proxy_url}};
    return fs::writeFileAtomic(Paths::localConfigSecretFor(path), document.dump(2) + "\n", mode,
                               true);
}

// The previous localconfig.json becomes `.bak`; one that holds credentials in clear is not kept as
// it is but rewritten redacted. True when `.bak` was written here.
Result<bool> backUpWithoutCredentials(const std::filesystem::path& path) {
    auto previous = readPublicFile(path);
    if (!previous || !hasCredentialsInClear(previous.value().proxy_url)) {
        return false;
    }
    BOOST_OUTCOME_TRY(fs::writeFileAtomic(
        backupOf(path), toPublicJson(previous.value()).dump(2) + "\n", {0644, {}}, false));
    return true;
}

} // namespace

json toJson(const LocalConfig& config) {
    json out = config.unknown.is_object() ? config.unknown : json::object();
    for (const auto& key : configKeys()) {
        out[key.name] = fieldValue(config, key.field);
    }
    return out;
}

json toPublicJson(const LocalConfig& config) {
    json out = config.unknown.is_object() ? config.unknown : json::object();
    for (const auto& key : configKeys()) {
        out[key.name] = publicValue(config, key);
    }
    return out;
}

Result<LocalConfig> parseLocalConfig(const json& document) {
    if (!document.is_object()) {
        return makeError(exitcode::kLocalConfigRead, "localconfig.json: an object expected");
    }
    LocalConfig config;
    for (const auto& [name, value] : document.items()) {
        const auto* key = findStoredKey(name);
        if (key == nullptr) {
            config.unknown[name] = value;
            continue;
        }
        BOOST_OUTCOME_TRY(in_force, key->from_file(key->name, value));
        storeField(config, key->field, in_force);
    }
    return config;
}

Result<LocalConfig> loadLocalConfig(const std::filesystem::path& path,
                                    ProxyCredentials credentials) {
    BOOST_OUTCOME_TRY(config, readPublicFile(path));
    if (credentials == ProxyCredentials::kRedacted) {
        config.proxy_url = http::redactProxyUrl(config.proxy_url);
    } else if (isRedacted(config.proxy_url)) {
        AZCM_ASSIGN_OR_RETURN(config.proxy_url, proxyUrlWithCredentials(path, config.proxy_url));
    }
    return config;
}

SecretFileAccess defaultSecretFileAccess() {
    return {platform::groupId(kProxySecretGroup)};
}

Result<void> saveLocalConfig(const std::filesystem::path& path,
                             const LocalConfig& config,
                             const SecretFileAccess& access) {
    const auto secret = Paths::localConfigSecretFor(path);
    const bool has_credentials = userInfoOf(config.proxy_url).has_value();
    if (isRedacted(config.proxy_url)) {
        // Loaded without its credentials: the stored ones stay, and must be the ones it shows.
        BOOST_OUTCOME_TRY(known, proxyUrlWithCredentials(path, config.proxy_url));
        BOOST_OUTCOME_TRY(writeSecretFile(path, known, access));
    } else if (has_credentials) {
        BOOST_OUTCOME_TRY(writeSecretFile(path, config.proxy_url, access));
    }
    BOOST_OUTCOME_TRY(backed_up, backUpWithoutCredentials(path));
    BOOST_OUTCOME_TRY(
        fs::writeFileAtomic(path, toPublicJson(config).dump(2) + "\n", {0644, {}}, !backed_up));
    // Old credentials are not kept once localconfig.json no longer needs them.
    if (!has_credentials) {
        BOOST_OUTCOME_TRY(fs::removeFile(secret));
    }
    return fs::removeFile(backupOf(secret));
}

} // namespace azcm::config
