#pragma once
// What the shared daemon skeleton (daemon/daemon_main.hpp) runs as arcproxy.
#include "arcproxy/arcproxy_service.hpp"
#include "common/daemon/daemon_main.hpp"

namespace azcm::arcproxy {

daemon::DaemonSpec<ArcproxyOptions> daemonSpec();

} // namespace azcm::arcproxy
