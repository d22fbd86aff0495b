#pragma once
// Where the CLI's words go. Default: everything to stdout, as in the real agent; --log-stderr sends
// errors and warnings to stderr. Progress lines only on a terminal and never with --json.
#include "azcmagent/environment.hpp"
#include "common/error.hpp"

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace azcm::azcmagent {

struct GlobalOptions {
    std::string config_file;
    bool json = false;
    bool log_stderr = false;
    bool no_color = false;
    bool verbose = false;
};

class Console {
public:
    Console(const Environment& env, const GlobalOptions& options);

    bool jsonMode() const { return options_.json; }
    // A line of normal output (text mode only; JSON output goes through printJson).
    void line(std::string_view text) const;
    void printJson(const nlohmann::json& document) const;
    // "  [2/6] Authenticating..." on a terminal in text mode; nothing otherwise.
    void progress(int step, int total, std::string_view text) const;
    void warning(std::string_view text) const;
    void printError(const Error& error) const;
    // ANSI green/red when colour is on (a terminal, no --no-color, no NO_COLOR).
    std::string success(std::string_view text) const;

private:
    std::ostream& errorStream() const;

    const Environment& env_;
    GlobalOptions options_;
    bool color_ = false;
};

} // namespace azcm::azcmagent
