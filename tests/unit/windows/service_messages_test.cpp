// Each service executable carries the Event Log message table (service_messages.mc) that the
// installer names as its event source's EventMessageFile: FormatMessageW finds every event id of
// ServiceEvent there and formats it as the event's own text, as Event Viewer does.
#include "common/platform/windows/event_log.hpp"

#include <array>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <windows.h>

namespace azcm::platform::windows {
namespace {

std::filesystem::path besideThisTest(const wchar_t* name) {
    std::array<wchar_t, MAX_PATH> self{};
    ::GetModuleFileNameW(nullptr, self.data(), static_cast<DWORD>(self.size()));
    return std::filesystem::path(self.data()).parent_path() / name;
}

std::wstring formatted(HMODULE module, ServiceEvent kind, const wchar_t* text) {
    std::array<DWORD_PTR, 1> arguments{reinterpret_cast<DWORD_PTR>(text)};
    LPWSTR buffer = nullptr;
    const DWORD length = ::FormatMessageW(
        FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ARGUMENT_ARRAY |
            FORMAT_MESSAGE_ALLOCATE_BUFFER,
        module, static_cast<DWORD>(kind), MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US),
        reinterpret_cast<LPWSTR>(&buffer), 0, reinterpret_cast<va_list*>(arguments.data()));
    std::wstring message = length == 0 ? std::wstring() : std::wstring(buffer, length);
    ::LocalFree(buffer);
    // mc ends each message with a line break.
    while (!message.empty() && (message.back() == L'\n' || message.back() == L'\r')) {
        message.pop_back();
    }
    return message;
}

TEST(ServiceMessagesTest, EveryServiceExecutableFormatsEveryEvent) {
    for (const wchar_t* executable :
         {L"himds.exe", L"gc_arc_service.exe", L"gc_extension_service.exe", L"arcproxy.exe"}) {
        const auto path = besideThisTest(executable);
        HMODULE module = ::LoadLibraryExW(
            path.c_str(), nullptr, LOAD_LIBRARY_AS_DATAFILE | LOAD_LIBRARY_AS_IMAGE_RESOURCE);
        ASSERT_NE(module, nullptr) << path.string() << ": " << ::GetLastError();
        for (const auto kind : {ServiceEvent::started, ServiceEvent::stopped,
                                ServiceEvent::start_failed, ServiceEvent::failed}) {
            EXPECT_EQ(formatted(module, kind, L"started: listeners bound"),
                      L"started: listeners bound")
                << path.string() << " event " << static_cast<unsigned>(kind);
        }
        // An id the table does not have is not silently formatted.
        EXPECT_EQ(formatted(module, static_cast<ServiceEvent>(999), L"x"), L"");
        ::FreeLibrary(module);
    }
}

} // namespace
} // namespace azcm::platform::windows
