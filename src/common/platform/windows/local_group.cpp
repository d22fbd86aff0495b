#include "common/platform/windows/local_group.hpp"

#include "common/platform/windows/nt_files.hpp"
#include "common/platform/windows/wide_text.hpp"
#include "common/platform/windows/win32_error.hpp"

#include <windows.h>
// after windows.h, whose types they use
#include <lm.h>
#include <sddl.h>

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

Result<void> addLocalGroupMember(const std::string& name, const std::string& member_sid) {
    BOOST_OUTCOME_TRY(wide_name, toWide(name));
    BOOST_OUTCOME_TRY(wide_sid, toWide(member_sid));
    PSID sid = nullptr;
    if (::ConvertStringSidToSidW(wide_sid.c_str(), &sid) == FALSE) {
        return win32Error("not a SID: " + member_sid, ::GetLastError());
    }
    const LocalMemory owned(sid);
    LOCALGROUP_MEMBERS_INFO_0 member{};
    member.lgrmi0_sid = sid;
    const NET_API_STATUS status = ::NetLocalGroupAddMembers(nullptr, wide_name.c_str(), 0,
                                                            reinterpret_cast<LPBYTE>(&member), 1);
    if (status != NERR_Success && status != ERROR_MEMBER_IN_ALIAS) {
        return win32Error("cannot add " + member_sid + " to the local group '" + name + "'",
                          status);
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
