#include "azcmagent/console.hpp"

#include "azcmagent/cli_error.hpp"

#include <ostream>

namespace azcm::azcmagent {

Console::Console(const Environment& env, const GlobalOptions& options)
    : env_(env), options_(options) {
    const bool no_color_env = env_.get_env && env_.get_env("NO_COLOR").has_value();
    color_ = env_.interactive && !options_.no_color && !no_color_env;
}

std::ostream& Console::errorStream() const {
    return options_.log_stderr ? *env_.err : *env_.out;
}

void Console::line(std::string_view text) const {
    if (!options_.json) {
        *env_.out << text << '\n' << std::flush;
    }
}

void Console::printJson(const nlohmann::json& document) const {
    *env_.out << document.dump(2) << '\n' << std::flush;
}

void Console::progress(int step, int total, std::string_view text) const {
    if (options_.json || !env_.interactive) {
        return;
    }
    std::string counter = "[" + std::to_string(step) + "/" + std::to_string(total) + "]";
    if (color_) {
        counter = "\x1b[36m" + counter + "\x1b[0m";
    }
    *env_.out << "  " << counter << ' ' << text << '\n' << std::flush;
}

void Console::warning(std::string_view text) const {
    if (options_.json) {
        *env_.err << "WARNING " << text << '\n' << std::flush;
        return;
    }
    errorStream() << (color_ ? "\x1b[33mWARNING\x1b[0m " : "WARNING ") << text << '\n'
                  << std::flush;
}

void Console::printError(const Error& error) const {
    if (options_.json) {
        errorStream() << formatErrorJson(error).dump(2) << '\n' << std::flush;
        return;
    }
    const auto text = formatErrorText(error);
    errorStream() << (color_ ? "\x1b[31m" + text + "\x1b[0m" : text) << '\n' << std::flush;
}

std::string Console::success(std::string_view text) const {
    return color_ ? "\x1b[32m" + std::string(text) + "\x1b[0m" : std::string(text);
}

} // namespace azcm::azcmagent
