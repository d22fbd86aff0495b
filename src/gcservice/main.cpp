// gcservice: the guest configuration daemon (gcad). All logic is in gcservice_core; the start-up,
// signals and exit codes are the shared daemon skeleton's (daemon/daemon_main.hpp).
#include "gcservice/gc_daemon.hpp"

int main(int argc, char** argv) {
    return azcm::daemon::runDaemon(argc, argv, azcm::gcservice::daemonSpec());
}
