#include "common/platform/windows/service_recovery.hpp"

#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <array>

#include <windows.h>

namespace azcm::platform::windows {

namespace {

struct ServiceCloser {
    void operator()(SC_HANDLE handle) const { ::CloseServiceHandle(handle); }
};
using ServiceHandle = std::unique_ptr<std::remove_pointer_t<SC_HANDLE>, ServiceCloser>;

template <typename Change>
Result<ServiceSetting> changeService(const std::string& service, const char* what, Change change) {
    ServiceHandle manager(::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
    if (!manager) {
        return win32Error("cannot open the service manager", ::GetLastError());
    }
    BOOST_OUTCOME_TRY(wide_name, toWide(service));
    ServiceHandle handle(
        ::OpenServiceW(manager.get(), wide_name.c_str(), SERVICE_CHANGE_CONFIG | SERVICE_START));
    if (!handle) {
        return win32Error("cannot open service " + service, ::GetLastError());
    }
    if (!change(handle.get())) {
        const DWORD error = ::GetLastError();
        if (error == ERROR_INVALID_LEVEL) {
            return ServiceSetting::unsupported;
        }
        return win32Error(std::string("cannot set ") + what + " of service " + service, error);
    }
    return ServiceSetting::applied;
}

} // namespace

Result<ServiceSetting> restartOnFailure(const std::string& service) {
    return changeService(service, "the recovery actions", [](SC_HANDLE handle) {
        std::array<SC_ACTION, 3> actions{{
            {SC_ACTION_RESTART, 5'000},
            {SC_ACTION_RESTART, 30'000},
            {SC_ACTION_RESTART, 60'000},
        }};
        SERVICE_FAILURE_ACTIONSW failure{};
        failure.dwResetPeriod = 24 * 60 * 60;
        failure.cActions = static_cast<DWORD>(actions.size());
        failure.lpsaActions = actions.data();
        if (!::ChangeServiceConfig2W(handle, SERVICE_CONFIG_FAILURE_ACTIONS, &failure)) {
            return false;
        }
        // Also when the service stops itself with a non-zero exit code, not only on a crash.
        SERVICE_FAILURE_ACTIONS_FLAG flag{TRUE};
        return ::ChangeServiceConfig2W(handle, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &flag) != 0;
    });
}

Result<ServiceSetting> useUnrestrictedServiceSid(const std::string& service) {
    return changeService(service, "the service SID type", [](SC_HANDLE handle) {
        SERVICE_SID_INFO sid{SERVICE_SID_TYPE_UNRESTRICTED};
        return ::ChangeServiceConfig2W(handle, SERVICE_CONFIG_SERVICE_SID_INFO, &sid) != 0;
    });
}

} // namespace azcm::platform::windows
