// The Event Log through RegisterEventSourceW / ReportEventW.
#include "common/platform/windows/event_log.hpp"

#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <array>

namespace azcm::platform::windows {

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
    BOOST_OUTCOME_TRY(wide_source, toWide(source));
    HANDLE handle = RegisterEventSourceW(nullptr, wide_source.c_str());
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
    BOOST_OUTCOME_TRY(wide, toWide(text));
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
