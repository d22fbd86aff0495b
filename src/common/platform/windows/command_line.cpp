#include "common/platform/windows/command_line.hpp"

#include <cstddef>

namespace azcm::platform::windows {

namespace {

// Characters that end an unquoted argument, or (a quote) change how the rest is read. Both
// parsers split at space and tab only; a newline or vertical tab is quoted as well, so that no
// parser that treats it as white space splits there either.
bool needsQuotes(const std::string& argument) {
    return argument.empty() || argument.find_first_of(" \t\n\v\"") != std::string::npos;
}

} // namespace

std::string quoteArgument(const std::string& argument) {
    if (!needsQuotes(argument)) {
        // Backslashes are literal unless a quote follows them, and none does here.
        return argument;
    }
    std::string quoted = "\"";
    std::size_t backslashes = 0;
    for (const char c : argument) {
        if (c == '\\') {
            ++backslashes;
            continue;
        }
        if (c == '"') {
            // 2n backslashes and \" read back as n backslashes and a literal quote.
            quoted.append(2 * backslashes + 1, '\\');
        } else {
            quoted.append(backslashes, '\\');
        }
        backslashes = 0;
        quoted += c;
    }
    // Before the closing quote, 2n backslashes read back as n.
    quoted.append(2 * backslashes, '\\');
    quoted += '"';
    return quoted;
}

Result<std::string> commandLine(const std::vector<std::string>& argv) {
    if (argv.empty()) {
        return makeError(exitcode::kInvalidArgument, "empty command");
    }
    for (const auto& argument : argv) {
        if (argument.find('\0') != std::string::npos) {
            return makeError(
                exitcode::kInvalidArgument,
                "an argument holds a NUL character, which a command line cannot carry");
        }
    }
    const std::string& program = argv.front();
    if (program.find('"') != std::string::npos) {
        return makeError(exitcode::kInvalidArgument,
                         "a program name cannot hold a double quote: " + program);
    }
    // The program name ends at the first space or tab unless it is quoted; quotes only group.
    std::string line = program.empty() || program.find_first_of(" \t\n\v") != std::string::npos
                           ? "\"" + program + "\""
                           : program;
    for (std::size_t i = 1; i < argv.size(); ++i) {
        line += ' ';
        line += quoteArgument(argv[i]);
    }
    return line;
}

} // namespace azcm::platform::windows
