// extservice: the extension manager daemon. All logic is in extservice_core; the start-up,
// signals and exit codes are the shared daemon skeleton's (daemon/daemon_main.hpp).
#include "extservice/ext_daemon.hpp"

int main(int argc, char** argv) {
    return azcm::daemon::runDaemon(argc, argv, azcm::extservice::daemonSpec());
}
