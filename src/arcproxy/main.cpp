// arcproxy: the local forward proxy daemon. All logic is in arcproxy_core; the start-up, signals
// and exit codes are the shared daemon skeleton's (daemon/daemon_main.hpp).
#include "arcproxy/arcproxy_daemon.hpp"

int main(int argc, char** argv) {
    return azcm::daemon::runDaemon(argc, argv, azcm::arcproxy::daemonSpec());
}
