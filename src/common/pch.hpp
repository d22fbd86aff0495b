#pragma once
// Precompiled for every target of the suite (heavy, stable third-party headers only).
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/outcome.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
