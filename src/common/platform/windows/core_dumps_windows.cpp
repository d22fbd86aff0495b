// core_dumps.hpp on Windows. A crashing process's memory leaves it through Windows Error
// Reporting (WER): its report may carry a dump of the heap, and an administrator's LocalDumps
// setting may write a full dump to disk. Two settings of this process keep its memory out:
//   - SetErrorMode(SEM_NOGPFAULTERRORBOX): an unhandled exception ends the process without
//     invoking WER at all, so no report and no dump is made for it;
//   - WerSetFlags(WER_FAULT_REPORTING_FLAG_NOHEAP): for the crashes that reach WER anyway (a
//     fail-fast, such as a detected stack-buffer overrun, bypasses the error mode), the report
//     holds no heap memory.
// Both are per process and need no privilege; child processes inherit the error mode unless
// they are created with CREATE_DEFAULT_ERROR_MODE. WER_FAULT_REPORTING_NO_UI alone would only hide
// the dialog and still write the report.
//
// Reading the memory of a running process is governed on Windows by the process object's DACL
// and SeDebugPrivilege, not by a dumpable flag; that is left to the service's account.
#include "common/platform/core_dumps.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <windows.h>

// MinGW's werapi.h does not compile on its own (it uses HREPORT before defining it); the one
// function needed is declared here as the Windows SDK declares it (kernel32.dll).
extern "C" __declspec(dllimport) HRESULT WINAPI WerSetFlags(DWORD flags);

namespace azcm::platform {

namespace {

// werapi.h of Windows SDKs defines it; MinGW's does not.
constexpr DWORD kWerNoHeap = 0x00000001; // WER_FAULT_REPORTING_FLAG_NOHEAP
constexpr UINT kNoCrashReport = SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX;

} // namespace

Result<void> forbidCoreDumps() {
    ::SetErrorMode(::GetErrorMode() | kNoCrashReport);
    if (const HRESULT result = ::WerSetFlags(kWerNoHeap); FAILED(result)) {
        return makeError(exitcode::kInitFailed,
                         "cannot keep heap memory out of crash reports: " +
                             win32ErrorText(static_cast<unsigned long>(result)));
    }
    if ((::GetErrorMode() & SEM_NOGPFAULTERRORBOX) == 0) {
        return makeError(exitcode::kInitFailed,
                         "cannot turn off crash reporting: the error mode was not kept");
    }
    return ok();
}

// Whether a crash of this process would still reach Windows Error Reporting: the error mode is
// what decides (WER's own flags cannot be read back on every system).
bool isDumpable() {
    return (::GetErrorMode() & SEM_NOGPFAULTERRORBOX) == 0;
}

} // namespace azcm::platform
