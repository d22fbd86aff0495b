#include "platform/component_cpu_cap.hpp"
