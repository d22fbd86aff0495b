// A tiny service for the lifecycle test: it runs through the suite's dispatcher, says ready,
// waits for the one shutdown request (the SCM's STOP, or Ctrl+C in a console), then writes a
// marker file that proves the orderly shutdown path ran, and exits with the code it was given.
//
// Usage: service_probe.exe MARKER_FILE [--service-name NAME] [--exit-code N] [--console]
// NAME (default azcm-service-probe) is the name the service is installed under: the control
// handler and the Event Log source use it.
#include "common/platform/service_manager.hpp"
#include "common/platform/windows/windows_service.hpp"

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <shellapi.h>

namespace {

struct LocalFreeDeleter {
    void operator()(LPWSTR* arguments) const { LocalFree(arguments); }
};

// The command line as UTF-16 (a marker path may hold any character).
std::vector<std::wstring> commandLine() {
    int count = 0;
    std::unique_ptr<LPWSTR, LocalFreeDeleter> arguments(
        CommandLineToArgvW(GetCommandLineW(), &count));
    std::vector<std::wstring> result;
    for (int i = 0; arguments && i < count; ++i) {
        result.emplace_back(arguments.get()[i]);
    }
    return result;
}

std::string toUtf8(const std::wstring& wide) {
    const int size = WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()),
                                         nullptr, 0, nullptr, nullptr);
    std::string text(static_cast<std::size_t>(size > 0 ? size : 0), '\0');
    WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), text.data(), size,
                        nullptr, nullptr);
    return text;
}

} // namespace

int main() {
    const auto arguments = commandLine();
    if (arguments.size() < 2) {
        std::fputs("usage: service_probe.exe MARKER_FILE [--service-name NAME] [--exit-code N] "
                   "[--console]\n",
                   stderr);
        return 2;
    }
    const std::filesystem::path marker(arguments[1]);
    int exit_code = 0;
    bool console = false;
    std::string service_name = "azcm-service-probe";
    for (std::size_t i = 2; i < arguments.size(); ++i) {
        if (arguments[i] == L"--console") {
            console = true;
        } else if (arguments[i] == L"--service-name" && i + 1 < arguments.size()) {
            service_name = toUtf8(arguments[++i]);
        } else if (arguments[i] == L"--exit-code" && i + 1 < arguments.size()) {
            exit_code = std::stoi(arguments[++i]);
        }
    }

    auto body = [&marker, exit_code](azcm::platform::windows::ShutdownRequests& requests) {
        std::mutex mutex;
        std::condition_variable requested;
        bool stop = false;
        auto subscription = requests.subscribe([&] {
            std::lock_guard lock(mutex);
            stop = true;
            requested.notify_all();
        });
        azcm::platform::systemServiceManager().notifyReady("probe ready");
        {
            std::unique_lock lock(mutex);
            requested.wait(lock, [&stop] { return stop; });
        }
        azcm::platform::systemServiceManager().notifyStopping();
        std::ofstream(marker) << "stopped through the shutdown request\n";
        return exit_code;
    };
    const auto code = azcm::platform::windows::runAsServiceOrConsole(service_name, body, console);
    if (!code) {
        std::fprintf(stderr, "service_probe: %s\n", code.error().message.c_str());
        return 1;
    }
    return code.value();
}
