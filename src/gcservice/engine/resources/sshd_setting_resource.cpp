// "sshd_setting": a keyword of sshd_config has a value. sshd takes the first value it reads for a
// keyword, so the test follows the file the way sshd does: Include directives are expanded in
// place (globs sorted, relative paths under /etc/ssh), and reading stops at the first Match block,
// whose settings are conditional. sshd itself is not reloaded: see docs/guest-configuration.md.
#include "common/fs/atomic_file.hpp"
#include "common/platform/path_patterns.hpp"
#include "common/platform/safe_path.hpp"
#include "gcservice/engine/file_attributes.hpp"
#include "gcservice/engine/resource_type.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace azcm::gcservice {

namespace {

constexpr const char* kDefaultConfig = "/etc/ssh/sshd_config";
constexpr int kMaxIncludeDepth = 16; // sshd's own limit

struct SshdProperties {
    std::string key;
    std::string value;
    std::string config_path = kDefaultConfig;
};

Result<SshdProperties> parse(const nlohmann::json& properties) {
    PropertyReader reader(properties);
    SshdProperties out;
    AZCM_ASSIGN_OR_RETURN(out.key, reader.requiredString("key"));
    AZCM_ASSIGN_OR_RETURN(out.value, reader.requiredString("value"));
    BOOST_OUTCOME_TRY(config_path, reader.optionalString("config_path"));
    BOOST_OUTCOME_TRY(reader.rejectUnknown());
    if (config_path) {
        out.config_path = *config_path;
    }
    BOOST_OUTCOME_TRY(checkAbsolutePath(out.config_path));
    for (char c : out.key) {
        if (!std::isalnum(static_cast<unsigned char>(c))) {
            return propertyError("key \"" + out.key + "\" is not an sshd keyword");
        }
    }
    if (out.value.find_first_of("\r\n") != std::string::npos) {
        return propertyError("value must be a single line");
    }
    return out;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// sshd compares yes/no style arguments without regard to case; extra blanks do not matter.
std::string normalizeValue(const std::string& value) {
    std::istringstream in(value);
    std::string word;
    std::string out;
    while (in >> word) {
        out += (out.empty() ? "" : " ") + word;
    }
    return lower(out);
}

struct ConfigLine {
    std::string keyword; // lower case
    std::string argument;
};

// "Keyword argument" or "Keyword=argument"; comments and blank lines give an empty keyword.
ConfigLine splitLine(const std::string& line) {
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') {
        return {};
    }
    size_t end = line.find_first_of(" \t=", start);
    ConfigLine out;
    out.keyword = lower(line.substr(start, end == std::string::npos ? end : end - start));
    if (end != std::string::npos) {
        size_t arg = line.find_first_not_of(" \t", end);
        if (arg != std::string::npos && line[arg] == '=') {
            arg = line.find_first_not_of(" \t", arg + 1);
        }
        if (arg != std::string::npos) {
            out.argument = line.substr(arg);
            while (!out.argument.empty() &&
                   (out.argument.back() == ' ' || out.argument.back() == '\t' ||
                    out.argument.back() == '\r')) {
                out.argument.pop_back();
            }
        }
    }
    return out;
}

std::vector<std::string> splitLines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        lines.push_back(line);
    }
    return lines;
}

struct Occurrence {
    std::filesystem::path file; // resolved
    size_t line = 0;            // 0-based
    std::string value;
};

struct SearchState {
    const Paths& paths;
    std::string keyword;  // lower case
    bool stopped = false; // a Match block was reached
};

Result<std::optional<Occurrence>>
search(SearchState& state, const std::filesystem::path& file, int depth) {
    if (depth > kMaxIncludeDepth) {
        return makeError(exitcode::kGeneric, "sshd_config includes nest too deeply");
    }
    auto text = fs::readFile(file, 1 << 20);
    if (!text) {
        if (depth > 0 && text.error().code == exitcode::kConfigFileNotFound) {
            return std::optional<Occurrence>{}; // sshd ignores an Include that matches nothing
        }
        return text.error();
    }
    auto lines = splitLines(text.value());
    for (size_t i = 0; i < lines.size() && !state.stopped; ++i) {
        auto parsed = splitLine(lines[i]);
        if (parsed.keyword == "match") {
            state.stopped = true;
            break;
        }
        if (parsed.keyword == "include") {
            std::istringstream args(parsed.argument);
            std::string pattern;
            while (args >> pattern) {
                std::string absolute = pattern.front() == '/' ? pattern : "/etc/ssh/" + pattern;
                auto resolved = resolveUnderRoot(state.paths, absolute);
                BOOST_OUTCOME_TRY(matches, platform::pathsMatching(resolved.string()));
                for (const auto& match : matches) {
                    if (state.stopped) {
                        break;
                    }
                    BOOST_OUTCOME_TRY(hit, search(state, match, depth + 1));
                    if (hit) {
                        return hit;
                    }
                }
            }
            continue;
        }
        if (parsed.keyword == state.keyword) {
            return std::optional<Occurrence>{Occurrence{file, i, parsed.argument}};
        }
    }
    return std::optional<Occurrence>{};
}

std::string display(const Paths& paths, const std::filesystem::path& file) {
    return "/" + file.lexically_relative(paths.root()).string();
}

class SshdSettingResource final : public ResourceType {
public:
    std::string_view name() const override { return "sshd_setting"; }

    Result<void> validate(const nlohmann::json& properties) const override {
        BOOST_OUTCOME_TRY(parse(properties));
        return ok();
    }

    Result<TestOutcome> test(const nlohmann::json& properties,
                             Backend& /*backend*/,
                             const EngineContext& context) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        SearchState state{context.paths, lower(props.key)};
        BOOST_OUTCOME_TRY(hit,
                          search(state, resolveUnderRoot(context.paths, props.config_path), 0));
        if (!hit) {
            return TestOutcome{
                false, props.key + " is not set (sshd's default applies), expected " + props.value};
        }
        std::string where = " (" + display(context.paths, hit->file) + " line " +
                            std::to_string(hit->line + 1) + ")";
        if (normalizeValue(hit->value) == normalizeValue(props.value)) {
            return TestOutcome{true, props.key + " is " + hit->value + where};
        }
        return TestOutcome{false,
                           props.key + " is " + hit->value + where + ", expected " + props.value};
    }

    // Rewrites the first effective line when it is in the main file; otherwise puts the setting
    // at the top of the main file, before any Include, so that it is the first one sshd reads.
    Result<void> set(const nlohmann::json& properties,
                     Backend& /*backend*/,
                     const EngineContext& context,
                     SetEffects& /*effects*/) const override {
        BOOST_OUTCOME_TRY(props, parse(properties));
        auto main_file = resolveUnderRoot(context.paths, props.config_path);
        SearchState state{context.paths, lower(props.key)};
        BOOST_OUTCOME_TRY(hit, search(state, main_file, 0));
        BOOST_OUTCOME_TRY(text, fs::readFile(main_file, 1 << 20));
        auto lines = splitLines(text);
        std::string setting = props.key + " " + props.value;
        if (hit && hit->file == main_file) {
            lines[hit->line] = setting;
        } else {
            lines.insert(lines.begin(), setting);
        }
        std::string out;
        for (const auto& line : lines) {
            out += line + "\n";
        }
        BOOST_OUTCOME_TRY(status, platform::pathStatus(main_file));
        if (!status) {
            return makeError(exitcode::kGeneric, "cannot stat " + props.config_path);
        }
        // Same mode and group as before: sshd refuses a config others can write.
        return fs::writeFileAtomic(main_file, out, fs::FileMode{status->mode, status->gid});
    }
};

} // namespace

std::unique_ptr<ResourceType> makeSshdSettingResource() {
    return std::make_unique<SshdSettingResource>();
}

} // namespace azcm::gcservice
