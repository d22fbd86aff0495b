#include "crypto/cms.hpp"
