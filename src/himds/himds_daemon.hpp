#pragma once
// What the shared daemon skeleton (daemon/daemon_main.hpp) runs as himds.
#include "common/daemon/daemon_main.hpp"
#include "himds/himds_service.hpp"

namespace azcm::himds {

daemon::DaemonSpec<HimdsOptions> daemonSpec();

} // namespace azcm::himds
