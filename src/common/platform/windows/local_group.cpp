#include "common/platform/windows/local_group.hpp"

#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <windows.h>
// after windows.h, whose types they use
#include <lm.h>

namespace azcm::platform::windows {

Result<void> ensureLocalGroup(const std::string& name, const std::string& comment) {
    BOOST_OUTCOME_TRY(wide_name, toWide(name));
    BOOST_OUTCOME_TRY(wide_comment, toWide(comment));
    LOCALGROUP_INFO_1 group{};
    group.lgrpi1_name = wide_name.data();
    group.lgrpi1_comment = wide_comment.data();
    const NET_API_STATUS status =
        ::NetLocalGroupAdd(nullptr, 1, reinterpret_cast<LPBYTE>(&group), nullptr);
    if (status != NERR_Success && status != ERROR_ALIAS_EXISTS && status != NERR_GroupExists) {
        return win32Error("cannot create the local group '" + name + "'", status);
    }
    return ok();
}

Result<void> deleteLocalGroup(const std::string& name) {
    BOOST_OUTCOME_TRY(wide_name, toWide(name));
    const NET_API_STATUS status = ::NetLocalGroupDel(nullptr, wide_name.c_str());
    if (status != NERR_Success && status != NERR_GroupNotFound && status != ERROR_NO_SUCH_ALIAS) {
        return win32Error("cannot delete the local group '" + name + "'", status);
    }
    return ok();
}

} // namespace azcm::platform::windows
