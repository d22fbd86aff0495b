#pragma once
// An argument vector as the one command line a Windows process receives. Windows passes a program
// a single string, and the program's runtime splits it again (CommandLineToArgvW, or the MSVC
// runtime before main); quoting each argument by those rules is what makes the vector arrive as it
// was given. No shell is involved: cmd.exe, with rules of its own (%VAR%, &, |, ^), runs only when
// the caller names it as the program.
#include "common/error.hpp"

#include <string>
#include <vector>

namespace azcm::platform::windows {

// One argument after the program name, quoted only when it must be: an argument that is empty or
// holds a space, tab, newline or double quote goes in double quotes, its quotes escaped with a
// backslash and the backslashes before a quote (or before the closing quote) doubled.
std::string quoteArgument(const std::string& argument);

// The command line of `argv` (UTF-8): argv[0], the program name, is split by simpler rules (up to
// the next space unless quoted, backslashes literal), so it is quoted without escapes and may not
// hold a double quote. Fails for an empty vector, a program name with a double quote, or an
// argument with a NUL character (which a command line cannot carry).
Result<std::string> commandLine(const std::vector<std::string>& argv);

// The inverse: `line` split as the C runtime splits a command line (the program name by the
// simpler rules above; then white space separates unless quoted, 2n backslashes before a quote
// are n backslashes and the quote groups, 2n+1 are n backslashes and a literal quote, "" inside
// quotes is a literal quote). Empty for a line of white space only.
std::vector<std::string> splitCommandLine(const std::string& line);

} // namespace azcm::platform::windows
