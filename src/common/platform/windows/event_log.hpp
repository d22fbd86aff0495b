#pragma once
// A service's start, stop and failure in the Windows Event Log (Application log), where an
// administrator looks first when a service does not stay up. The source is registered by the
// installer (eventSourceRegistration below); without that registration Windows still records
// the events, only Event Viewer then shows no description around the text.
#include "common/error.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <windows.h>

namespace azcm::platform::windows {

// One event id per kind. The message file maps each id to "%1" (the text passed here), so the
// ids are what a monitoring rule matches and the text is what a person reads.
enum class ServiceEvent : WORD {
    started = 1000,      // information: RUNNING, listeners bound
    stopped = 1001,      // information: STOPPED after an orderly stop (exit code 0)
    start_failed = 1002, // error: STOPPED without ever running
    failed = 1003,       // error: STOPPED with a non-zero exit code after running
};

// EVENTLOG_INFORMATION_TYPE or EVENTLOG_ERROR_TYPE.
WORD eventType(ServiceEvent kind);

// Where the service's lifecycle events go: the Event Log, or a recorder in tests.
class ServiceEventSink {
public:
    ServiceEventSink() = default;
    ServiceEventSink(const ServiceEventSink&) = delete;
    ServiceEventSink& operator=(const ServiceEventSink&) = delete;
    ServiceEventSink(ServiceEventSink&&) = delete;
    ServiceEventSink& operator=(ServiceEventSink&&) = delete;
    virtual ~ServiceEventSink() = default;
    virtual Result<void> record(ServiceEvent kind, const std::string& text) = 0;
};

// RegisterEventSourceW + ReportEventW for one source.
class EventLog final : public ServiceEventSink {
public:
    static Result<std::unique_ptr<EventLog>> open(const std::string& source);
    EventLog(const EventLog&) = delete;
    EventLog& operator=(const EventLog&) = delete;
    EventLog(EventLog&&) = delete;
    EventLog& operator=(EventLog&&) = delete;
    ~EventLog() override;

    Result<void> record(ServiceEvent kind, const std::string& text) override;

private:
    explicit EventLog(HANDLE source) : source_(source) {}
    HANDLE source_;
};

// One registry value an installer writes.
struct RegistryValue {
    enum class Kind { expand_string, dword };
    std::string name;
    Kind kind;
    std::variant<std::string, std::uint32_t> data;
};

struct RegistryKeyValues {
    std::string key; // under HKEY_LOCAL_MACHINE
    std::vector<RegistryValue> values;
};

// What registers `source` in the Application log: the key
// SYSTEM\CurrentControlSet\Services\EventLog\Application\<source> with EventMessageFile (the
// file holding the message table, usually the service's own executable; REG_EXPAND_SZ so it
// may use [INSTALLDIR]-style or %ProgramFiles% paths) and TypesSupported (the event types
// reported: information and error).
RegistryKeyValues eventSourceRegistration(const std::string& source,
                                          const std::string& message_file);

} // namespace azcm::platform::windows
