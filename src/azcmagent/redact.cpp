#include "azcmagent/redact.hpp"

#include "common/http/proxy_url.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace azcm::azcmagent {

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool isSecretLongName(std::string_view name) {
    const auto lowered = lower(name);
    return lowered.find("secret") != std::string::npos ||
           lowered.find("password") != std::string::npos ||
           lowered.find("token") != std::string::npos;
}

// Short options that carry a secret, per command.
bool isSecretShortOption(char option, std::string_view command) {
    return option == 'p' && (command == "connect" || command == "disconnect");
}

} // namespace

std::vector<std::string> redactArguments(const std::vector<std::string>& args) {
    std::vector<std::string> out;
    out.reserve(args.size());
    std::string command;
    bool redact_next = false;
    bool keep_next = false; // the value of a global option, not the command
    bool after_double_dash = false;
    for (const auto& arg : args) {
        if (keep_next) {
            out.push_back(arg);
            keep_next = false;
            continue;
        }
        if (redact_next) {
            out.emplace_back(kRedacted);
            redact_next = false;
            continue;
        }
        if (after_double_dash || arg.size() < 2 || arg[0] != '-') {
            // A positional: the command, or e.g. `proxy.password` whose value follows.
            if (command.empty()) {
                command = arg;
            } else if (lower(arg).find("password") != std::string::npos) {
                redact_next = true;
            }
            // e.g. `config set proxy.url http://user:password@proxy:3128`
            out.push_back(http::redactProxyUrl(arg));
            continue;
        }
        if (arg == "--") {
            after_double_dash = true;
            out.push_back(arg);
            continue;
        }
        if (arg.rfind("--", 0) == 0) {
            const auto equals = arg.find('=');
            const auto name = std::string_view(arg).substr(
                2, equals == std::string::npos ? std::string::npos : equals - 2);
            if (isSecretLongName(name)) {
                if (equals == std::string::npos) {
                    redact_next = true;
                    out.push_back(arg);
                } else {
                    out.push_back(arg.substr(0, equals + 1) + kRedacted);
                }
                continue;
            }
            keep_next = arg == "--config";
            out.push_back(arg);
            continue;
        }
        // Short option(s): "-p", "-pVALUE", "-p=VALUE". Only the last letter of a cluster takes a
        // value, so a secret option anywhere in "-jp..." starts the value right after it.
        bool handled = false;
        for (std::size_t i = 1; i < arg.size(); ++i) {
            if (isSecretShortOption(arg[i], command)) {
                if (i + 1 == arg.size()) {
                    redact_next = true;
                    out.push_back(arg);
                } else {
                    const std::size_t value_start = arg[i + 1] == '=' ? i + 2 : i + 1;
                    out.push_back(arg.substr(0, value_start) + kRedacted);
                }
                handled = true;
                break;
            }
        }
        if (!handled) {
            out.push_back(arg);
        }
    }
    return out;
}

std::string redactedCommandLine(const std::vector<std::string>& args) {
    std::string line;
    for (const auto& arg : redactArguments(args)) {
        if (!line.empty()) {
            line += ' ';
        }
        if (arg.find_first_of(" \t") != std::string::npos || arg.empty()) {
            line += '\'' + arg + '\'';
        } else {
            line += arg;
        }
    }
    return line;
}

std::vector<SecretArgument> secretArguments(const std::vector<std::string>& args) {
    const auto redacted = redactArguments(args);
    std::vector<SecretArgument> secrets;
    for (std::size_t i = 0; i < args.size() && i < redacted.size(); ++i) {
        const auto& arg = args[i];
        if (arg == redacted[i]) {
            continue;
        }
        if (redacted[i] == kRedacted) { // `--opt VALUE`, `-p VALUE`, `proxy.password VALUE`
            if (arg != "-" && i > 0) {
                secrets.push_back({args[i - 1], false});
            }
        } else if (arg.size() > 1 && arg[0] == '-') { // `--opt=VALUE`, `-pVALUE`, `-p=VALUE`
            const auto value_start = redacted[i].size() - std::string_view(kRedacted).size();
            std::string option = arg.substr(0, value_start);
            if (arg.substr(value_start) != "-") {
                if (!option.empty() && option.back() == '=') {
                    option.pop_back();
                }
                secrets.push_back({option, false});
            }
        } else {
            secrets.push_back({std::string(), true});
        }
    }
    return secrets;
}

} // namespace azcm::azcmagent
