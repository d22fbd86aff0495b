#pragma once
// What the shared daemon skeleton (daemon/daemon_main.hpp) runs as gcservice.
#include "common/daemon/daemon_main.hpp"
#include "gcservice/gc_options.hpp"

namespace azcm::gcservice {

daemon::DaemonSpec<GcOptions> daemonSpec();

} // namespace azcm::gcservice
