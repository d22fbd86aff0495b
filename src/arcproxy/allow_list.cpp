#include "arcproxy/allow_list.hpp"

#include "common/http/url.hpp"

#include <algorithm>
#include <array>

namespace azcm::arcproxy {

namespace {

constexpr std::string_view kWildcard = "*.";

// The public cloud's endpoints besides the four of its cloud configuration (which give
// login.microsoftonline.com, management.azure.com, gbl.his.arc.azure.com and
// agentserviceapi.guestconfiguration.azure.com): the documented firewall list of the agent.
constexpr std::array kAzureCloudDestinations = {
    "*.login.microsoft.com:443",              // regional Entra ID endpoints
    "login.windows.net:443",                  // Entra ID, the authority of older agents
    "pas.windows.net:443",                    // Entra ID
    "*.his.arc.azure.com:443",                // regional hybrid identity service
    "*.guestconfiguration.azure.com:443",     // regional extension and guest configuration service
    "guestnotificationservice.azure.com:443", // notifications
    "*.guestnotificationservice.azure.com:443",
    "*.servicebus.windows.net:443", // the notifications' relay
    "*.blob.core.windows.net:443",  // extension packages
    "packages.microsoft.com:443",   // agent packages and upgrades
    "download.microsoft.com:443",
    "www.microsoft.com:443", // certificate intermediates (pkiops)
    "www.microsoft.com:80",
    "dls.microsoft.com:443", // license validation
};

void addEndpoint(AllowList& list, const std::string& url_text) {
    auto url = http::parseUrl(url_text);
    if (!url) {
        return; // cloud configuration is validated when it is read; nothing to add
    }
    if (auto destination = makeDestination(url.value().host, url.value().port)) {
        list.add(AllowedDestination{destination.value().host, destination.value().port});
    }
}

} // namespace

std::string AllowedDestination::text() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<AllowedDestination> parseAllowedDestination(std::string_view text) {
    const bool wildcard = text.substr(0, kWildcard.size()) == kWildcard;
    auto parsed = parseConnectAuthority(wildcard ? text.substr(kWildcard.size()) : text);
    if (!parsed) {
        return makeError(exitcode::kInvalidArgument, "allowed destination '" +
                                                         std::string(text.substr(0, 128)) +
                                                         "': " + parsed.error().message);
    }
    auto destination = std::move(parsed).value();
    if (wildcard) {
        // "*.com" would allow a whole top-level domain: a suffix names at least a registrable
        // domain.
        if (destination.address || destination.host.find('.') == std::string::npos) {
            return makeError(exitcode::kInvalidArgument,
                             "allowed destination '" + std::string(text.substr(0, 128)) +
                                 "': a wildcard needs a name of two labels or more after '*.'");
        }
        destination.host = std::string(kWildcard) + destination.host;
    }
    return AllowedDestination{std::move(destination.host), destination.port};
}

void AllowList::add(AllowedDestination entry) {
    if (std::find(entries_.begin(), entries_.end(), entry) == entries_.end()) {
        entries_.push_back(std::move(entry));
    }
}

bool AllowList::allows(const Destination& destination) const {
    return std::any_of(entries_.begin(), entries_.end(), [&](const AllowedDestination& entry) {
        if (entry.port != destination.port) {
            return false;
        }
        if (entry.host == destination.host) {
            return true;
        }
        if (destination.address || entry.host.substr(0, kWildcard.size()) != kWildcard) {
            return false;
        }
        // "*.example.com" holds ".example.com": the name must end with it and have a label more.
        const std::string_view suffix = std::string_view(entry.host).substr(1);
        return destination.host.size() > suffix.size() &&
               std::string_view(destination.host).substr(destination.host.size() - suffix.size()) ==
                   suffix;
    });
}

AllowList agentEndpoints(const config::CloudConfig& cloud) {
    AllowList list;
    addEndpoint(list, cloud.endpoints.entra);
    addEndpoint(list, cloud.endpoints.arm);
    addEndpoint(list, cloud.endpoints.identity);
    addEndpoint(list, cloud.endpoints.guest_configuration);
    if (cloud.name == config::azurePublicCloud().name) {
        for (const auto* text : kAzureCloudDestinations) {
            list.add(parseAllowedDestination(text).value());
        }
    }
    return list;
}

} // namespace azcm::arcproxy
