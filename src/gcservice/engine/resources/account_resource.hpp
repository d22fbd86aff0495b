#pragma once
// What "local_user" and "local_group" share: an account that exists or does not, and, when it
// exists, is related to at least the listed names (a user's groups, a group's members). Each type
// is this logic plus an AccountKind that names its words and its backend calls.
#include "gcservice/engine/resource_type.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace azcm::gcservice {

struct AccountKind {
    std::string_view type_name;     // "local_user"
    std::string_view noun;          // "user": the account, in reasons and errors
    std::string_view list_property; // "groups": the property listing the related names
    std::string_view list_noun;     // "group": what each listed name is
    std::string_view missing;       // "is not in group(s)": the reason before the missing names
    // The account's related names, nullopt when it does not exist.
    std::function<Result<std::optional<std::vector<std::string>>>(Backend&, const std::string&)>
        find;
    std::function<Result<void>(Backend&, const std::string&)> create;
    std::function<Result<void>(Backend&, const std::string&)> remove;
    std::function<Result<void>(Backend&, const std::string& account, const std::string& related)>
        relate;
};

std::unique_ptr<ResourceType> makeAccountResource(AccountKind kind);

} // namespace azcm::gcservice
