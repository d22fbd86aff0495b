#include "azcmagent/logs_command.hpp"

#include "azcmagent/cli_error.hpp"
#include "azcmagent/redact.hpp"
#include "common/agent_version.hpp"
#include "common/fs/atomic_file.hpp"
#include "common/ipc/ipc_client.hpp"
#include "common/json/json_document.hpp"
#include "common/log/log.hpp"
#include "common/platform/child_environment.hpp"
#include "common/platform/child_process.hpp"
#include "common/platform/regular_file.hpp"
#include "common/utc_time.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

#include <archive.h>
#include <archive_entry.h>
#include <spdlog/spdlog.h>

namespace azcm::azcmagent {

using nlohmann::json;
namespace stdfs = std::filesystem;

namespace {

// Logs are bounded by their rotation budget (10 MB a file); anything bigger is cut to its end,
// the most recent part, so a runaway extension log cannot make the zip unbounded.
constexpr std::size_t kMaxFileBytes = 32U << 20U;
constexpr std::size_t kMaxCommandOutput = 8U << 20U;
constexpr auto kCommandTimeout = std::chrono::seconds(30);
constexpr auto kStatusTimeout = std::chrono::seconds(5);

const std::array<const char*, 4> kUnits = {"himdsd", "gcad", "extd", "arcproxyd"};
// Daemon socket names (Paths::socketFor) whose GET /status goes in the zip.
const std::array<const char*, 4> kDaemons = {"himds", "extservice", "gcservice", "arcproxy"};

std::string lowered(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

bool isSecretKey(const std::string& key) {
    const auto name = lowered(key);
    for (const char* word : {"protectedsettings", "password", "passwd", "secret", "token",
                             "privatekey", "private_key", "credential", "apikey", "sastoken"}) {
        if (name.find(word) != std::string::npos) {
            return true;
        }
    }
    return false;
}

// Key material, identity files and the proxy secret file, by name: never collected even if they
// turn up in a log directory.
bool isKeyMaterial(const stdfs::path& file) {
    const auto extension = lowered(file.extension().string());
    const auto secret_name = Paths::localConfigSecretFor("/").filename().string();
    return extension == ".prv" || extension == ".key" || extension == ".pem" ||
           extension == ".pfx" || extension == ".p12" || extension == ".crt" ||
           extension == ".cer" || file.filename().string().rfind(secret_name, 0) == 0;
}

// A PEM private key ("-----BEGIN RSA PRIVATE KEY-----", "... ENCRYPTED PRIVATE KEY-----").
bool holdsPrivateKey(std::string_view content) {
    return content.find("PRIVATE KEY-----") != std::string_view::npos;
}

// The files that hold secrets, by identity (device and inode), so that a hard link to one under
// a log's name is left out as surely as the file itself: everything in certs/ and tokens/, the
// extension settings certificate and key beside the handlers, and the proxy secret file.
class SecretFiles {
public:
    explicit SecretFiles(const Paths& paths) {
        for (const auto& dir : {paths.certsDir(), paths.tokensDir(), paths.extensionsDir()}) {
            std::error_code ec;
            for (const auto& entry : stdfs::directory_iterator(dir, ec)) {
                add(entry.path());
            }
        }
        const auto secret = paths.localConfigSecret();
        add(secret);
        add(secret.string() + ".bak");
    }

    bool contains(const platform::FileIdentity& file) const { return ids_.count(file) != 0; }

private:
    void add(const stdfs::path& file) {
        if (auto identity = platform::regularFileIdentity(file)) {
            ids_.insert(*identity);
        }
    }

    std::set<platform::FileIdentity> ids_;
};

// spdlog names rotated files <stem>.<n>.log: "himds.1.log".
bool isRotatedLog(const stdfs::path& file) {
    const auto stem = file.stem().string();
    const auto dot = stem.rfind('.');
    if (dot == std::string::npos || dot + 1 == stem.size()) {
        return false;
    }
    return std::all_of(stem.begin() + static_cast<std::ptrdiff_t>(dot) + 1, stem.end(),
                       [](unsigned char c) { return std::isdigit(c) != 0; });
}

// What reading one file gave: its content, or why it is left out.
struct FileContent {
    std::optional<std::string> content;
    std::string skipped_because;
};

// Reads a regular file without following a symlink anywhere in its last component; bigger files
// keep their last kMaxFileBytes. A secret file (or a hard link to one) and a file holding a
// private key are left out.
FileContent readRegularFile(const stdfs::path& path, const SecretFiles& secrets) {
    auto file = platform::RegularFile::open(path);
    if (!file) {
        return {std::nullopt, "missing or not a regular file"};
    }
    if (secrets.contains(file.value().identity())) {
        return {std::nullopt, "a key or secret file, never collected"};
    }
    auto read = file.value().readTail(kMaxFileBytes);
    if (!read) {
        return {std::nullopt, read.error().message};
    }
    std::string content = std::move(read).value();
    if (holdsPrivateKey(content)) {
        return {std::nullopt, "holds a private key, never collected"};
    }
    return {std::move(content), {}};
}

bool isRegularNoFollow(const stdfs::path& path) {
    std::error_code ec;
    return stdfs::symlink_status(path, ec).type() == stdfs::file_type::regular;
}

bool isDirectoryNoFollow(const stdfs::path& path) {
    std::error_code ec;
    return stdfs::symlink_status(path, ec).type() == stdfs::file_type::directory;
}

// Regular files directly in `dir` (no symlinks), sorted for a stable zip.
std::vector<stdfs::path> filesIn(const stdfs::path& dir) {
    std::vector<stdfs::path> files;
    if (!isDirectoryNoFollow(dir)) {
        return files;
    }
    std::error_code ec;
    for (const auto& entry : stdfs::directory_iterator(dir, ec)) {
        if (isRegularNoFollow(entry.path()) && !isKeyMaterial(entry.path())) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

// Regular files anywhere under `dir`; directory symlinks are not followed.
std::vector<stdfs::path> filesUnder(const stdfs::path& dir) {
    std::vector<stdfs::path> files;
    if (!isDirectoryNoFollow(dir)) {
        return files;
    }
    std::error_code ec;
    for (stdfs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (isRegularNoFollow(it->path()) && !isKeyMaterial(it->path())) {
            files.push_back(it->path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

// The zip, written with libarchive into an open descriptor.
class ZipWriter {
public:
    // The zip is built in memory: its entries are in memory already, and the file is then
    // written once, atomically, with its final mode.
    ZipWriter() : archive_(archive_write_new()) {
        ok_ = archive_ != nullptr && archive_write_set_format_zip(archive_) == ARCHIVE_OK &&
              archive_write_zip_set_compression_deflate(archive_) == ARCHIVE_OK &&
              // No padding of the last block: nothing may follow the zip's end record.
              archive_write_set_bytes_in_last_block(archive_, 1) == ARCHIVE_OK &&
              archive_write_open(archive_, &bytes_, nullptr, &ZipWriter::append, nullptr) ==
                  ARCHIVE_OK;
    }
    ~ZipWriter() {
        if (archive_ != nullptr) {
            archive_write_free(archive_);
        }
    }
    ZipWriter(const ZipWriter&) = delete;
    ZipWriter& operator=(const ZipWriter&) = delete;
    ZipWriter(ZipWriter&&) = delete;
    ZipWriter& operator=(ZipWriter&&) = delete;

    Result<void> add(const std::string& name, std::string_view content, std::time_t mtime) {
        if (!ok_) {
            return failure();
        }
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                            archive_entry_free);
        archive_entry_set_pathname(entry.get(), name.c_str());
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), 0600);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(content.size()));
        archive_entry_set_mtime(entry.get(), mtime, 0);
        if (archive_write_header(archive_, entry.get()) != ARCHIVE_OK) {
            return failure();
        }
        if (!content.empty() && archive_write_data(archive_, content.data(), content.size()) !=
                                    static_cast<la_ssize_t>(content.size())) {
            return failure();
        }
        return ok();
    }

    Result<void> close() {
        if (!ok_ || archive_write_close(archive_) != ARCHIVE_OK) {
            return failure();
        }
        return ok();
    }

    const std::string& bytes() const { return bytes_; }

private:
    static la_ssize_t append(::archive* /*unused*/, void* bytes, const void* data, size_t length) {
        static_cast<std::string*>(bytes)->append(static_cast<const char*>(data), length);
        return static_cast<la_ssize_t>(length);
    }

    Result<void> failure() const {
        const char* reason = archive_ != nullptr ? archive_error_string(archive_) : nullptr;
        return makeError(exitcode::kGeneric, std::string("cannot write the zip: ") +
                                                 (reason != nullptr ? reason : "libarchive"));
    }

    ::archive* archive_;
    std::string bytes_;
    bool ok_ = false;
};

// Everything that goes into the zip, gathered before the zip is opened.
struct Bundle {
    struct Entry {
        std::string name;
        std::string content;
    };
    explicit Bundle(const Paths& paths) : secrets(paths) {}

    SecretFiles secrets;
    std::vector<Entry> entries;
    json skipped = json::array();

    void add(std::string name, std::string content) {
        entries.push_back({std::move(name), std::move(content)});
    }
    void skip(const std::string& what, const std::string& why) {
        skipped.push_back({{"item", what}, {"reason", why}});
    }
};

// A log as it is, but for URL credentials and SAS signatures, which it should never hold.
void addFile(Bundle& bundle, const std::string& name, const stdfs::path& file) {
    auto read = readRegularFile(file, bundle.secrets);
    if (read.content) {
        bundle.add(name, redactString(*read.content));
    } else {
        bundle.skip(name, read.skipped_because);
    }
}

// `prefix`/<path relative to base> for every file.
void addFiles(Bundle& bundle,
              const std::string& prefix,
              const stdfs::path& base,
              const std::vector<stdfs::path>& files) {
    for (const auto& file : files) {
        addFile(bundle, prefix + "/" + file.lexically_relative(base).generic_string(), file);
    }
}

void addAgentLogs(Bundle& bundle, const LogsOptions& options, const Paths& paths) {
    // log/ holds root's files and, for himds and arcproxy, links into their own directories:
    // the files themselves are read there (links are never followed) and keep their names.
    std::vector<stdfs::path> directories = {paths.logDir()};
    for (const char* daemon : kDaemons) {
        if (paths.logDirFor(daemon) != paths.logDir()) {
            directories.push_back(paths.logDirFor(daemon));
        }
    }
    for (const auto& directory : directories) {
        auto logs = filesIn(directory);
        if (!options.full) {
            std::erase_if(logs, [](const stdfs::path& file) { return isRotatedLog(file); });
        }
        addFiles(bundle, "logs/azcmagent", directory, logs);
    }

    const auto gc = paths.guestConfigDir();
    for (const auto& log : {paths.guestConfigAgentLog(), paths.extensionManagerLog()}) {
        if (options.full) {
            addFiles(bundle, "logs/GuestConfig", gc, filesIn(log.parent_path()));
        } else if (isRegularNoFollow(log)) {
            addFile(bundle, "logs/GuestConfig/" + log.lexically_relative(gc).generic_string(), log);
        }
    }
    if (options.full) {
        addFiles(bundle, "logs/GuestConfig", gc, filesUnder(paths.extensionLogsDir()));
    }
}

// A JSON file redacted; a file that is not JSON cannot be redacted safely and is left out.
void addRedactedJson(Bundle& bundle, const std::string& name, const stdfs::path& file) {
    auto read = readRegularFile(file, bundle.secrets);
    if (!read.content) {
        bundle.skip(name, read.skipped_because);
        return;
    }
    auto document = jsondoc::parse(*read.content, file.string(), {kMaxFileBytes});
    if (!document) {
        bundle.skip(name, "left out because it could not be redacted: " + document.error().message);
        return;
    }
    bundle.add(name, redactDocument(document.value()).dump(2) + "\n");
}

void addConfiguration(Bundle& bundle, const Paths& paths) {
    addRedactedJson(bundle, "config/agentconfig.json", paths.agentConfig());
    addRedactedJson(bundle, "config/localconfig.json", paths.localConfig());
    // Each handler's <Publisher>.<Type>-<version>/config/<n>.settings (WALinuxAgent layout).
    const auto handlers = paths.extensionsDir();
    if (!isDirectoryNoFollow(handlers)) {
        return;
    }
    std::error_code ec;
    std::vector<stdfs::path> directories;
    for (const auto& entry : stdfs::directory_iterator(handlers, ec)) {
        if (isDirectoryNoFollow(entry.path())) {
            directories.push_back(entry.path());
        }
    }
    std::sort(directories.begin(), directories.end());
    for (const auto& handler : directories) {
        for (const auto& file : filesIn(handler / "config")) {
            if (file.extension() == ".settings") {
                addRedactedJson(bundle,
                                "config/extensions/" + file.lexically_relative(handlers).string(),
                                file);
            }
        }
    }
}

void addDaemonStatus(Bundle& bundle, const Environment& env) {
    for (const char* daemon : kDaemons) {
        const std::string name = std::string("status/") + daemon + ".json";
        const std::string daemon_name = daemon;
        auto response = daemon_name == "himds"
                            ? env.himds(http::Verb::get, "/status", {}, kStatusTimeout)
                            : ipc::call(env.paths.socketFor(daemon), http::Verb::get, "/status", {},
                                        kStatusTimeout);
        json document;
        if (!response) {
            document = {{"error", "not answering on " + env.paths.socketFor(daemon).string() +
                                      ": " + response.error().message}};
        } else {
            auto parsed = jsondoc::parse(response.value().body(), daemon_name + "'s status",
                                         {jsondoc::kNetworkMaxBytes});
            if (parsed) {
                document = std::move(parsed).value();
            } else {
                document = {{"httpStatus", response.value().result_int()},
                            {"error", parsed.error().message}};
            }
        }
        bundle.add(name, redactDocument(document).dump(2) + "\n");
    }
}

std::string commandText(const std::vector<std::string>& argv, const CapturedCommand& result) {
    std::string text = "$";
    for (const auto& arg : argv) {
        text += " " + arg;
    }
    text +=
        "\n# exit code " + std::to_string(result.exit_code) + "\n" + redactString(result.output);
    return text;
}

void addSystemd(Bundle& bundle, const HostTools& tools) {
    if (!tools.systemd_running()) {
        bundle.skip("systemd/systemctl-status.txt", "systemd is not running");
    } else {
        std::vector<std::string> argv = {"systemctl", "status", "--no-pager", "--full"};
        argv.insert(argv.end(), kUnits.begin(), kUnits.end());
        bundle.add("systemd/systemctl-status.txt", commandText(argv, tools.run(argv)));
    }
    if (!tools.journald_running()) {
        bundle.skip("systemd/journal.txt", "journald is not running");
        return;
    }
    std::vector<std::string> argv = {"journalctl", "--no-pager", "-o",
                                     "short-iso",  "--since",    "-24h"};
    for (const char* unit : kUnits) {
        argv.insert(argv.end(), {"-u", unit});
    }
    bundle.add("systemd/journal.txt", commandText(argv, tools.run(argv)));
}

// The literal formats keep -Wformat-nonliteral happy: "compact" for the file name, else ISO 8601.
std::string timestamp(std::chrono::system_clock::time_point when, bool compact) {
    return compact ? compactUtcStamp(when) : rfc3339Seconds(when);
}

// A host name as a file name part: letters, digits, '-', '_' and '.'.
std::string fileNamePart(const std::string& text) {
    std::string part;
    for (char c : text) {
        const bool allowed =
            std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
        part += allowed ? c : '_';
    }
    return part.empty() ? "localhost" : part;
}

Result<stdfs::path> outputPath(const LogsOptions& options, const Environment& env) {
    stdfs::path path = options.output;
    if (path.empty()) {
        path = "azcmagent-" + timestamp(env.now(), true) + "-" + fileNamePart(env.host_name()) +
               ".zip";
    }
    std::error_code ec;
    auto absolute = stdfs::absolute(path, ec);
    if (ec) {
        return makeError(exitcode::kInvalidArgument,
                         "invalid --output " + options.output + ": " + ec.message());
    }
    return absolute.lexically_normal();
}

// Writes the zip atomically with mode 0600 (it holds logs), so a failed run never leaves a
// partial zip under the final name.
Result<void> writeZip(const stdfs::path& path, const Bundle& bundle, std::time_t mtime) {
    ZipWriter zip;
    for (const auto& entry : bundle.entries) {
        BOOST_OUTCOME_TRY(zip.add(entry.name, entry.content, mtime));
    }
    BOOST_OUTCOME_TRY(zip.close());
    if (auto written = fs::writeFileAtomic(path, zip.bytes(), fs::FileMode{0600, {}}); !written) {
        return makeError(exitcode::kGeneric,
                         "cannot create " + path.string() + ": " + written.error().message);
    }
    return ok();
}

CapturedCommand runBounded(const std::vector<std::string>& argv) {
    // The tool from the fixed safe PATH with the allow-listed environment: root's CLI never runs
    // what the caller's PATH or LD_* point at.
    platform::ChildProcessSpec spec;
    spec.argv = argv;
    spec.environment = platform::childEnvironment(platform::processEnvironment());
    spec.timeout = kCommandTimeout;
    spec.output_limit = kMaxCommandOutput;
    spec.kept = platform::KeptOutput::kFirst;
    spec.merge_stderr = true;
    spec.stop_when_full = true;
    CapturedCommand result;
    auto finished = platform::runChildProcess(spec);
    if (!finished) {
        result.output = finished.error().message;
        return result;
    }
    result.output = std::move(finished.value().output);
    if (finished.value().timed_out || finished.value().output_truncated) {
        result.output += "\n# output cut: time or size limit reached\n";
    }
    result.exit_code = finished.value().term_signal != 0 ? 128 + finished.value().term_signal
                                                         : finished.value().exit_code;
    return result;
}

} // namespace

std::string redactString(const std::string& text) {
    // One pass each, so a log of many megabytes costs linear time. Whitespace and quotes end a URL.
    constexpr const char* kUrlEnd = " \t\r\n\"'<>";
    // scheme://user:password@host -> scheme://REDACTED@host
    std::string without_user_info;
    without_user_info.reserve(text.size());
    std::size_t copied = 0;
    for (auto scheme = text.find("://"); scheme != std::string::npos;) {
        const auto start = scheme + 3;
        const auto authority_end =
            std::min(text.find_first_of(std::string("/?#") + kUrlEnd, start), text.size());
        const auto at = std::string_view(text).substr(start, authority_end - start).rfind('@');
        if (at != std::string_view::npos) {
            without_user_info.append(text, copied, start - copied).append(kRedacted);
            copied = start + at;
        }
        scheme = text.find("://", std::max(authority_end, start));
    }
    without_user_info.append(text, copied, std::string::npos);

    // SAS signatures: sig=<value> up to the next '&' or the end of the URL.
    const auto& in = without_user_info;
    const auto in_lowered = lowered(in);
    std::string out;
    out.reserve(in.size());
    copied = 0;
    for (auto sig = in_lowered.find("sig="); sig != std::string::npos;) {
        if (sig == 0 || (in[sig - 1] != '?' && in[sig - 1] != '&')) {
            sig = in_lowered.find("sig=", sig + 4);
            continue;
        }
        const auto start = sig + 4;
        const auto end = std::min(in.find_first_of(std::string("&") + kUrlEnd, start), in.size());
        out.append(in, copied, start - copied).append(kRedacted);
        copied = end;
        sig = in_lowered.find("sig=", end);
    }
    out.append(in, copied, std::string::npos);
    return out;
}

json redactDocument(const json& document) {
    if (document.is_object()) {
        json out = json::object();
        for (const auto& [key, value] : document.items()) {
            out[key] =
                isSecretKey(key) && !value.is_null() ? json(kRedacted) : redactDocument(value);
        }
        return out;
    }
    if (document.is_array()) {
        json out = json::array();
        for (const auto& value : document) {
            out.push_back(redactDocument(value));
        }
        return out;
    }
    if (document.is_string()) {
        return redactString(document.get<std::string>());
    }
    return document;
}

CLI::App* defineLogsCommand(CLI::App& app, LogsOptions& options) {
    auto* logs = app.add_subcommand("logs", "Collect the agent's logs into a zip for support");
    logs->add_flag("-f,--full", options.full,
                   "All logs: rotated files and the extensions' logs too");
    logs->add_option("-o,--output", options.output,
                     "Zip file to write (default ./azcmagent-<timestamp>-<hostname>.zip)");
    return logs;
}

HostTools systemHostTools(const Paths& paths) {
    const bool sandbox = paths.isSandbox();
    HostTools tools;
    tools.systemd_running = [sandbox] {
        std::error_code ignored;
        return !sandbox && stdfs::exists("/run/systemd/system", ignored);
    };
    tools.journald_running = [sandbox] {
        std::error_code ignored;
        return !sandbox && stdfs::exists("/run/systemd/journal/socket", ignored);
    };
    tools.run = runBounded;
    return tools;
}

Result<stdfs::path>
writeLogsBundle(const LogsOptions& options, const Environment& env, const HostTools& tools) {
    if (!env.is_elevated()) {
        return makeError(exitcode::kNotElevated,
                         "azcmagent logs must be run as root: the logs and settings are root's");
    }
    BOOST_OUTCOME_TRY(path, outputPath(options, env));
    const auto now = env.now();
    Bundle bundle(env.paths);
    addAgentLogs(bundle, options, env.paths);
    addConfiguration(bundle, env.paths);
    addDaemonStatus(bundle, env);
    addSystemd(bundle, tools);

    json manifest = {{"agentVersion", azcm::agentVersion()},
                     {"created", timestamp(now, false)},
                     {"hostName", env.host_name()},
                     {"full", options.full},
                     {"files", json::array()},
                     {"skipped", bundle.skipped}};
    for (const auto& entry : bundle.entries) {
        manifest["files"].push_back(entry.name);
    }
    bundle.add("manifest.json", manifest.dump(2) + "\n");
    BOOST_OUTCOME_TRY(writeZip(path, bundle, std::chrono::system_clock::to_time_t(now)));
    spdlog::info("LOGS_WRITTEN path={} files={}", log::sanitize(path.string()),
                 bundle.entries.size());
    return path;
}

Result<void> runLogs(const LogsOptions& options, const Environment& env, const Console& console) {
    BOOST_OUTCOME_TRY(path, writeLogsBundle(options, env, systemHostTools(env.paths)));
    if (console.jsonMode()) {
        console.printJson(json{{"path", path.string()}});
    } else {
        console.line(path.string());
    }
    return ok();
}

} // namespace azcm::azcmagent
