#pragma once
// The local side of `azcmagent extension list | remove` (docs/cli.md): works on the handlers on
// disk and extservice's state file while the extension manager is stopped, connected or not.
#include "common/error.hpp"
#include "common/paths/paths.hpp"
#include "extservice/admin/reported_state.hpp"
#include "extservice/handler/handler_manager.hpp"

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace azcm::extservice {

// One entry per installed handler, plus extensions known only from their last report:
// {"name", "handler", "version", "state", "status": {...}?, "lastOperation": {...}?}.
nlohmann::json listLocalExtensions(const Paths& paths);
// The same list from a HandlerManager and the reported records (GET /extensions uses it too);
// installed handlers also carry "operationPending".
nlohmann::json extensionList(const extservice::HandlerManager& handlers,
                             const std::map<std::string, ExtensionRecord>& records);

// Uninstalls the handler of `name` (extension name or Publisher.Type), removes its CPU group and
// its state record; an empty name removes every installed handler. Returns the handler names
// removed; kInvalidArgument when `name` matches nothing installed.
Result<std::vector<std::string>> removeLocalExtensions(const Paths& paths, const std::string& name);

} // namespace azcm::extservice
