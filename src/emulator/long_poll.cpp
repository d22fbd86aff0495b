#include "emulator/long_poll.hpp"

#include "emulator/extension_goal_state.hpp"
#include "emulator/goal_state_waiters.hpp"
#include "emulator/http_util.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace azcm::emulator {

namespace {

// A parked request: what it needs to answer later.
struct Poll {
    http::Request request;
    http::Respond respond;
    MachineRecord machine;
    std::chrono::steady_clock::time_point deadline;
    GoalStateAnswer compute;
};

void park(const ServiceContext& context, const std::shared_ptr<Poll>& poll) {
    const auto key = goalStateKey(poll->machine.subscription_id, poll->machine.resource_group,
                                  poll->machine.name);
    context.waiters->wait(key, poll->deadline, [&context, poll](bool timed_out) {
        // The machine may have gone while the request waited.
        auto found = context.store.findMachine(poll->machine.subscription_id,
                                               poll->machine.resource_group, poll->machine.name);
        if (!found) {
            poll->respond(errorResponse(poll->request, http::Status::internal_server_error,
                                        "InternalServerError", found.error().message));
            return;
        }
        if (!found.value()) {
            poll->respond(errorResponse(poll->request, http::Status::not_found, "MachineNotFound",
                                        "The machine was deleted."));
            return;
        }
        auto response = poll->compute(poll->request, *found.value());
        const bool unchanged = response.result() == http::Status::not_modified;
        if (unchanged && !timed_out && std::chrono::steady_clock::now() < poll->deadline) {
            park(context, poll); // woken for something this goal state does not show
            return;
        }
        poll->respond(std::move(response));
    });
}

} // namespace

void answerNowOrOnChange(const ServiceContext& context,
                         http::Request&& request,
                         MachineRecord machine,
                         http::Respond respond,
                         GoalStateAnswer compute) {
    const auto wait = requestedWaitSeconds(request);
    if (!wait) {
        respond(errorResponse(request, http::Status::bad_request, "InvalidRequest",
                              "waitSeconds must be an integer from 0 to " +
                                  std::to_string(kMaxGoalStateWaitSeconds) + "."));
        return;
    }
    auto response = compute(request, machine);
    const bool unchanged = response.result() == http::Status::not_modified;
    if (!unchanged || *wait == std::chrono::seconds(0) || context.waiters == nullptr ||
        !context.waiters->canWait()) {
        respond(std::move(response));
        return;
    }
    auto poll = std::make_shared<Poll>();
    poll->request = std::move(request);
    poll->respond = std::move(respond);
    poll->machine = std::move(machine);
    poll->deadline = std::chrono::steady_clock::now() + *wait;
    poll->compute = std::move(compute);
    park(context, poll);
}

} // namespace azcm::emulator
