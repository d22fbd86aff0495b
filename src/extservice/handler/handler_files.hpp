#pragma once
// The files the agent writes into a handler directory (docs/extensions.md, "Handler protocol").
#include "common/error.hpp"
#include "extservice/handler/handler_id.hpp"
#include "extservice/handler/handler_manager.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace azcm::extservice {

// config/ and status/ (0700), the log folder, HandlerEnvironment.json. Idempotent.
Result<void> initializeHandlerDir(const std::filesystem::path& base,
                                  const HandlerId& id,
                                  const std::filesystem::path& log_folder);

// HandlerEnvironment.json (pure; unit-tested).
std::string handlerEnvironmentJson(const std::filesystem::path& base,
                                   const HandlerId& id,
                                   const std::filesystem::path& log_folder);

// The settings file config/<seq>.settings; empty when there are no settings at all (pure;
// unit-tested).
std::string settingsFileContent(const HandlerSettings& settings);
// config/<seq>.settings, 0600.
Result<void> writeSettingsFile(const std::filesystem::path& base, const HandlerSettings& settings);
// The newest config/<seq>.settings: the sequence number the agent last wrote (recorded in
// config/HandlerStatus), else the file modified last (as WALinuxAgent picks it).
std::optional<int> lastSequenceNumber(const std::filesystem::path& base);

HandlerState readHandlerState(const std::filesystem::path& base);
Result<void> writeHandlerState(const std::filesystem::path& base, HandlerState state);

// config/HandlerStatus: the agent's own view of the handler.
Result<void> writeHandlerHealth(const std::filesystem::path& base,
                                const HandlerId& id,
                                const HandlerHealth& health,
                                std::optional<int> sequence_number);
std::optional<HandlerHealth> readHandlerHealth(const std::filesystem::path& base);

} // namespace azcm::extservice
