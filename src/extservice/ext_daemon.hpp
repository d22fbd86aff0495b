#pragma once
// What the shared daemon skeleton (daemon/daemon_main.hpp) runs as extservice.
#include "common/daemon/daemon_main.hpp"
#include "extservice/ext_options.hpp"

namespace azcm::extservice {

daemon::DaemonSpec<ExtOptions> daemonSpec();

} // namespace azcm::extservice
