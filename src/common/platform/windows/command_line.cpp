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

std::vector<std::string> splitCommandLine(const std::string& line) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v'; };
    std::vector<std::string> argv;
    std::size_t i = 0;
    while (i < line.size() && is_space(line[i])) {
        ++i;
    }
    if (i == line.size()) {
        return argv;
    }
    // The program name: up to white space, quotes only group.
    std::string program;
    bool quoted = false;
    for (; i < line.size() && (quoted || !is_space(line[i])); ++i) {
        if (line[i] == '"') {
            quoted = !quoted;
        } else {
            program += line[i];
        }
    }
    argv.push_back(std::move(program));
    for (;;) {
        while (i < line.size() && is_space(line[i])) {
            ++i;
        }
        if (i == line.size()) {
            return argv;
        }
        std::string argument;
        quoted = false;
        while (i < line.size() && (quoted || !is_space(line[i]))) {
            if (line[i] == '\\') {
                std::size_t backslashes = 0;
                while (i < line.size() && line[i] == '\\') {
                    ++backslashes;
                    ++i;
                }
                if (i < line.size() && line[i] == '"') {
                    argument.append(backslashes / 2, '\\');
                    if (backslashes % 2 == 1) {
                        argument += '"';
                        ++i;
                    }
                } else {
                    argument.append(backslashes, '\\');
                }
                continue;
            }
            if (line[i] == '"') {
                if (quoted && i + 1 < line.size() && line[i + 1] == '"') {
                    argument += '"';
                    i += 2;
                    continue;
                }
                quoted = !quoted;
                ++i;
                continue;
            }
            argument += line[i++];
        }
        argv.push_back(std::move(argument));
    }
}

} // namespace azcm::platform::windows
