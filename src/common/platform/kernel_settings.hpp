#pragma once
// Kernel parameters by their sysctl name ("net.ipv4.ip_forward"), as guest configuration's
// kernel_setting resource audits and sets them. Linux keeps them under /proc/sys.
#include "common/error.hpp"

#include <string>

namespace azcm::platform {

// The current value, surrounding whitespace removed; an error naming the key when it cannot be
// read (no such key, or no permission).
Result<std::string> readKernelSetting(const std::string& key);
// Sets `value`; an error naming the key and value when the kernel refuses it.
Result<void> writeKernelSetting(const std::string& key, const std::string& value);

} // namespace azcm::platform
