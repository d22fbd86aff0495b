// The Event Log through RegisterEventSourceW / ReportEventW.
#include "common/platform/windows/event_log.hpp"

#include <array>
#include <string_view>

namespace azcm::platform::windows {

namespace {

std::wstring toWide(std::string_view text) {
    if (text.empty()) {
        return {};
    }
    const int size =
        MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
    std::wstring wide(static_cast<std::size_t>(size > 0 ? size : 0), L'\0');
    if (size > 0) {
        MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), wide.data(),
                            size);
    }
    return wide;
}

std::string win32ErrorText(DWORD error) {
    std::array<wchar_t, 512> buffer{};
    const DWORD length =
        FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, error,
                       0, buffer.data(), static_cast<DWORD>(buffer.size()), nullptr);
    std::wstring wide(buffer.data(), length);
    while (!wide.empty() && (wide.back() == L'\r' || wide.back() == L'\n' || wide.back() == L' ')) {
        wide.pop_back();
    }
    std::string text;
    if (!wide.empty()) {
        const int size = WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()),
                                             nullptr, 0, nullptr, nullptr);
        text.resize(static_cast<std::size_t>(size > 0 ? size : 0));
        WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), text.data(),
                            size, nullptr, nullptr);
    }
    return (text.empty() ? "Unknown error" : text) + " (" + std::to_string(error) + ")";
}

} // namespace

WORD eventType(ServiceEvent kind) {
    switch (kind) {
    case ServiceEvent::started:
    case ServiceEvent::stopped:
        return EVENTLOG_INFORMATION_TYPE;
    case ServiceEvent::start_failed:
    case ServiceEvent::failed:
        return EVENTLOG_ERROR_TYPE;
    }
    return EVENTLOG_ERROR_TYPE;
}

Result<std::unique_ptr<EventLog>> EventLog::open(const std::string& source) {
    // nullptr: this machine's log. Succeeds for an unregistered source too (the events then go
    // to the Application log without a description), so a missing installer step loses no event.
    HANDLE handle = RegisterEventSourceW(nullptr, toWide(source).c_str());
    if (handle == nullptr) {
        return makeError(exitcode::kInitFailed, "cannot open the Event Log source '" + source +
                                                    "': " + win32ErrorText(GetLastError()));
    }
    return std::unique_ptr<EventLog>(new EventLog(handle));
}

EventLog::~EventLog() {
    DeregisterEventSource(source_);
}

Result<void> EventLog::record(ServiceEvent kind, const std::string& text) {
    const std::wstring wide = toWide(text);
    std::array<LPCWSTR, 1> strings{wide.c_str()};
    if (!ReportEventW(source_, eventType(kind), 0, static_cast<DWORD>(kind), nullptr,
                      static_cast<WORD>(strings.size()), 0, strings.data(), nullptr)) {
        return makeError(exitcode::kGeneric,
                         "cannot write event " + std::to_string(static_cast<unsigned>(kind)) +
                             " to the Event Log: " + win32ErrorText(GetLastError()));
    }
    return ok();
}

RegistryKeyValues eventSourceRegistration(const std::string& source,
                                          const std::string& message_file) {
    return RegistryKeyValues{
        "SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\" + source,
        {
            RegistryValue{"EventMessageFile", RegistryValue::Kind::expand_string, message_file},
            RegistryValue{"TypesSupported", RegistryValue::Kind::dword,
                          std::uint32_t{EVENTLOG_INFORMATION_TYPE | EVENTLOG_ERROR_TYPE}},
        }};
}

} // namespace azcm::platform::windows
