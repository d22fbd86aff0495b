// The child program of child_process_windows_test: does what its first argument says, with the
// MSVC runtime's own splitting of its command line (wmain), and writes with WriteFile so that no
// text-mode translation changes a byte.
//   args ARG...          each ARG, hex-encoded UTF-8, one per line
//   env                  its environment, one NAME=value per line
//   exit N               exits with N
//   write OUT ERR        OUT bytes to stdout, ERR to stderr ('a' + i % 26)
//   forever              writes to stdout without end
//   interleave           "o1" to stdout, "e1" to stderr, "o2" to stdout
//   sleep MS             sleeps
//   spawn MS WAIT        starts "sleep MS" holding its stdout and stderr, prints its pid, sleeps
//   WAIT handle H             reads the handle with value H: prints what it read and exits 0, or
//                        prints "no-handle" and exits 3
//   stdin                prints "eof" when stdin is at its end at once
//   cwd                  prints its working directory
#include <cstdio>
#include <cstdlib>
#include <string>

#include <windows.h>

namespace {

std::string utf8(const std::wstring& text) {
    if (text.empty()) {
        return {};
    }
    const int size = ::WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()),
                                           nullptr, 0, nullptr, nullptr);
    std::string narrow(static_cast<std::size_t>(size), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), narrow.data(),
                          size, nullptr, nullptr);
    return narrow;
}

void put(DWORD stream, const std::string& text) {
    DWORD written = 0;
    ::WriteFile(::GetStdHandle(stream), text.data(), static_cast<DWORD>(text.size()), &written,
                nullptr);
}

std::string hex(const std::string& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string text;
    for (const unsigned char c : bytes) {
        text += digits[c >> 4];
        text += digits[c & 15];
    }
    return text;
}

std::string pattern(std::size_t size) {
    std::string text(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        text[i] = static_cast<char>('a' + i % 26);
    }
    return text;
}

int spawnSleeper(const std::wstring& millis, DWORD wait) {
    wchar_t self[MAX_PATH] = {};
    ::GetModuleFileNameW(nullptr, self, MAX_PATH);
    std::wstring command = L"probe sleep " + millis;
    STARTUPINFOW startup{};
    startup.cb = sizeof startup;
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdInput = ::GetStdHandle(STD_INPUT_HANDLE);
    startup.hStdOutput = ::GetStdHandle(STD_OUTPUT_HANDLE);
    startup.hStdError = ::GetStdHandle(STD_ERROR_HANDLE);
    PROCESS_INFORMATION created{};
    if (!::CreateProcessW(self, command.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr,
                          &startup, &created)) {
        put(STD_ERROR_HANDLE, "cannot spawn\n");
        return 2;
    }
    ::CloseHandle(created.hThread);
    ::CloseHandle(created.hProcess);
    put(STD_OUTPUT_HANDLE, "grandchild " + std::to_string(created.dwProcessId) + "\n");
    ::Sleep(wait);
    return 0;
}

} // namespace

int wmain(int argc, wchar_t** argv) {
    const std::wstring mode = argc > 1 ? argv[1] : L"";
    if (mode == L"args") {
        for (int i = 2; i < argc; ++i) {
            put(STD_OUTPUT_HANDLE, hex(utf8(argv[i])) + "\n");
        }
    } else if (mode == L"env") {
        wchar_t* block = ::GetEnvironmentStringsW();
        for (const wchar_t* entry = block; *entry != L'\0'; entry += wcslen(entry) + 1) {
            put(STD_OUTPUT_HANDLE, utf8(entry) + "\n");
        }
        ::FreeEnvironmentStringsW(block);
    } else if (mode == L"exit" && argc > 2) {
        return static_cast<int>(std::wcstoul(argv[2], nullptr, 10));
    } else if (mode == L"write" && argc > 3) {
        put(STD_OUTPUT_HANDLE, pattern(std::wcstoul(argv[2], nullptr, 10)));
        put(STD_ERROR_HANDLE, pattern(std::wcstoul(argv[3], nullptr, 10)));
    } else if (mode == L"forever") {
        const std::string chunk = pattern(4096);
        for (;;) {
            put(STD_OUTPUT_HANDLE, chunk);
        }
    } else if (mode == L"interleave") {
        put(STD_OUTPUT_HANDLE, "o1");
        ::Sleep(50);
        put(STD_ERROR_HANDLE, "e1");
        ::Sleep(50);
        put(STD_OUTPUT_HANDLE, "o2");
    } else if (mode == L"sleep" && argc > 2) {
        ::Sleep(std::wcstoul(argv[2], nullptr, 10));
    } else if (mode == L"spawn" && argc > 3) {
        return spawnSleeper(argv[2], std::wcstoul(argv[3], nullptr, 10));
    } else if (mode == L"handle" && argc > 2) {
        const auto value = static_cast<std::uintptr_t>(std::wcstoull(argv[2], nullptr, 10));
        const HANDLE handle = reinterpret_cast<HANDLE>(value);
        char buffer[64] = {};
        DWORD size = 0;
        OVERLAPPED at_start{};
        if (::ReadFile(handle, buffer, sizeof buffer - 1, &size, &at_start) && size > 0) {
            put(STD_OUTPUT_HANDLE, "read:" + std::string(buffer, size) + "\n");
            return 0;
        }
        put(STD_OUTPUT_HANDLE, "no-handle\n");
        return 3;
    } else if (mode == L"stdin") {
        char buffer[16] = {};
        DWORD size = 0;
        const BOOL read =
            ::ReadFile(::GetStdHandle(STD_INPUT_HANDLE), buffer, sizeof buffer, &size, nullptr);
        put(STD_OUTPUT_HANDLE, read && size == 0 ? "eof\n" : "data\n");
    } else if (mode == L"cwd") {
        wchar_t directory[MAX_PATH] = {};
        const DWORD size = ::GetCurrentDirectoryW(MAX_PATH, directory);
        put(STD_OUTPUT_HANDLE, utf8(std::wstring(directory, size)) + "\n");
    } else {
        put(STD_ERROR_HANDLE, "unknown mode\n");
        return 99;
    }
    return 0;
}
