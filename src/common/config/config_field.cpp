#include "common/config/config_field.hpp"

#include <type_traits>

namespace azcm::config {

nlohmann::json fieldValue(const LocalConfig& config, const ConfigField& field) {
    return std::visit([&](auto member) { return nlohmann::json(config.*member); }, field);
}

void storeField(LocalConfig& config, const ConfigField& field, const nlohmann::json& value) {
    std::visit(
        [&](auto member) {
            using Value = std::remove_reference_t<decltype(config.*member)>;
            config.*member = value.get<Value>();
        },
        field);
}

} // namespace azcm::config
