// himds: the machine identity daemon. All logic is in himds_core; the start-up, signals and exit
// codes are the shared daemon skeleton's (daemon/daemon_main.hpp).
#include "himds/himds_daemon.hpp"

int main(int argc, char** argv) {
    return azcm::daemon::runDaemon(argc, argv, azcm::himds::daemonSpec());
}
