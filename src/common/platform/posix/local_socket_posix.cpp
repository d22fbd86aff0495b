#include "platform/local_socket.hpp"

#include <sys/un.h>

namespace azcm::platform {

std::size_t localSocketPathLimit() {
    return sizeof(sockaddr_un::sun_path) - 1;
}

} // namespace azcm::platform
