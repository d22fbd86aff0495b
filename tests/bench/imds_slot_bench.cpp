// The slot-attack benchmark (docs/benchmarks.md): a legitimate client's IMDS latency while another
// local uid holds every connection slot it is allowed, side by side with the same client and no
// attacker. Run as root against a running himds (scripts/bench-imds.sh --slot-attack starts one):
//
//   imds_slot_bench --port P --attacker USER [--samples 400] [--interval-ms 25]
//                   [--attempts 600] [--target /metadata/instance?api-version=2020-06-01]
//
// Three phases of --samples requests each, one every --interval-ms, each request on a new
// connection (connect, GET with Metadata: true, whole answer, close), timed by the client:
//   1. no attacker;
//   2. slots held: a child that became USER opened --attempts keep-alive connections with one
//      request each and keeps what it was allowed, refreshing each connection every 29 s;
//   3. slots held and flooded: the same child also sends requests back to back over them.
// Also: what the kernel lookup of a client's uid costs per accepted connection (netlink and the
// /proc table). It prints figures only; no timing is judged here.
#include "common/platform/socket_owner.hpp"
#include "slot_holder.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;
using azcm::platform::SocketOwnerLookup;
using azcm::test::SlotHolder;

struct Options {
    std::uint16_t port = 0;
    std::string attacker;
    int samples = 400;
    int interval_ms = 25;
    int attempts = 600;
    std::string target = "/metadata/instance?api-version=2020-06-01";
};

struct Phase {
    std::string name;
    std::vector<double> latencies_ms;
    std::map<int, int> statuses;
    std::string attacker_ready;  // the attacker's report once it held its slots
    std::string attacker_result; // its last report (flood: statuses and rate)
};

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "imds_slot_bench: " << why
              << "\nusage: imds_slot_bench --port P --attacker USER [--samples N] "
                 "[--interval-ms M] [--attempts N] [--target PATH]\n";
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) {
            usage("missing value after " + flag);
        }
        const std::string value = argv[++i];
        if (flag == "--port") {
            options.port = static_cast<std::uint16_t>(std::stoul(value));
        } else if (flag == "--attacker") {
            options.attacker = value;
        } else if (flag == "--samples") {
            options.samples = std::stoi(value);
        } else if (flag == "--interval-ms") {
            options.interval_ms = std::stoi(value);
        } else if (flag == "--attempts") {
            options.attempts = std::stoi(value);
        } else if (flag == "--target") {
            options.target = value;
        } else {
            usage("unknown flag " + flag);
        }
    }
    if (options.port == 0 || options.attacker.empty() || options.samples < 1) {
        usage("--port and --attacker are required");
    }
    return options;
}

bool becomeUser(const std::string& name) {
    const passwd* entry = ::getpwnam(name.c_str()); // NOLINT(concurrency-mt-unsafe)
    if (entry == nullptr) {
        return false;
    }
    const uid_t uid = entry->pw_uid;
    return ::initgroups(name.c_str(), entry->pw_gid) == 0 && ::setgid(entry->pw_gid) == 0 &&
           ::setuid(uid) == 0 && ::geteuid() == uid && (uid == 0 || ::setuid(0) != 0);
}

void writeLine(int fd, const std::string& line) {
    const std::string text = line + "\n";
    [[maybe_unused]] const auto written = ::write(fd, text.data(), text.size());
}

std::string statusText(const std::map<int, int>& statuses) {
    std::ostringstream out;
    for (const auto& [status, count] : statuses) {
        out << (out.tellp() > 0 ? " " : "")
            << (status == 0 ? std::string("none") : std::to_string(status)) << "x" << count;
    }
    return out.str();
}

// The attacker: a child that becomes `user`, takes what slots it can, reports on `report`, then
// holds them (refreshing every 29 s) or floods over them, until SIGTERM.
class Attacker {
public:
    Attacker(const Options& options, bool flood) {
        std::array<int, 2> pipe_fds{};
        if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe2 failed");
        }
        pid_ = ::fork();
        if (pid_ == 0) {
            ::close(pipe_fds[0]);
            run(options, flood, pipe_fds[1]);
        }
        ::close(pipe_fds[1]);
        report_ = pipe_fds[0];
    }
    ~Attacker() { stop(); }
    Attacker(const Attacker&) = delete;
    Attacker& operator=(const Attacker&) = delete;
    Attacker(Attacker&&) = delete;
    Attacker& operator=(Attacker&&) = delete;

    // The first report line: once the attacker holds its slots.
    std::string waitReady() {
        std::string line;
        char c = 0;
        while (::read(report_, &c, 1) == 1 && c != '\n') {
            line.push_back(c);
        }
        return line;
    }

    // Stops the attacker; its last report line.
    std::string stop() {
        if (pid_ <= 0) {
            return last_;
        }
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        std::string rest;
        std::array<char, 4096> buffer{};
        ssize_t n = 0;
        while ((n = ::read(report_, buffer.data(), buffer.size())) > 0) {
            rest.append(buffer.data(), static_cast<std::size_t>(n));
        }
        ::close(report_);
        std::istringstream lines(rest);
        std::string line;
        while (std::getline(lines, line)) {
            if (!line.empty()) {
                last_ = line;
            }
        }
        return last_;
    }

private:
    [[noreturn]] static void run(const Options& options, bool flood, int report) {
        if (!becomeUser(options.attacker)) {
            writeLine(report, "error: cannot become " + options.attacker);
            ::_exit(1);
        }
        SlotHolder holder(options.port, "/metadata/versions");
        const auto opened = holder.open(options.attempts);
        std::ostringstream ready;
        ready << "uid " << ::getuid() << ": " << opened.attempted << " connections tried, "
              << opened.answered << " answered 200, " << opened.refused << " refused 503, "
              << opened.unanswered << " closed unanswered; holds " << holder.dropClosed();
        writeLine(report, ready.str());
        std::map<int, int> statuses;
        std::uint64_t requests = 0;
        const auto started = Clock::now();
        for (;;) {
            if (flood) {
                for (const auto& [status, n] : holder.flood(std::chrono::milliseconds(500))) {
                    statuses[status] += n;
                    requests += static_cast<std::uint64_t>(n);
                }
                const double seconds =
                    std::chrono::duration<double>(Clock::now() - started).count();
                std::ostringstream line;
                line << "flood: " << static_cast<long>(static_cast<double>(requests) / seconds)
                     << " requests/s over " << holder.held() << " connections, answers "
                     << statusText(statuses);
                writeLine(report, line.str());
            } else {
                std::this_thread::sleep_for(std::chrono::seconds(29));
                holder.refresh();
                writeLine(report, "holds " + std::to_string(holder.held()));
            }
        }
    }

    pid_t pid_ = -1;
    int report_ = -1;
    std::string last_;
};

// One legitimate request on a new connection; the status (0: none) and the time it took.
std::pair<int, double> timedRequest(const Options& options) {
    const auto start = Clock::now();
    const int fd = azcm::test::connectLoopback(options.port);
    int status = 0;
    if (fd >= 0) {
        status = azcm::test::loopbackGet(fd, options.target);
        ::close(fd);
    }
    return {status, std::chrono::duration<double, std::milli>(Clock::now() - start).count()};
}

void measure(const Options& options, Phase& phase) {
    auto next = Clock::now();
    for (int i = 0; i < options.samples; ++i) {
        std::this_thread::sleep_until(next);
        next += std::chrono::milliseconds(options.interval_ms);
        const auto [status, ms] = timedRequest(options);
        ++phase.statuses[status];
        phase.latencies_ms.push_back(ms);
    }
    std::sort(phase.latencies_ms.begin(), phase.latencies_ms.end());
}

// Nearest rank.
double percentile(const std::vector<double>& sorted, double fraction) {
    if (sorted.empty()) {
        return 0;
    }
    const auto rank =
        static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
    return sorted.at(std::clamp<std::size_t>(rank, 1, sorted.size()) - 1);
}

// What asking the kernel for a client's uid costs, on a live loopback connection.
std::string lookupCost(SocketOwnerLookup::Method method, int rounds) {
    namespace asio = boost::asio;
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
    asio::ip::tcp::socket client(io);
    asio::ip::tcp::socket server(io);
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
    SocketOwnerLookup lookup(method);
    const auto start = Clock::now();
    for (int i = 0; i < rounds; ++i) {
        const auto owner = lookup.peerUid(server.local_endpoint(), server.remote_endpoint());
        if (!owner || !owner.value()) {
            return "failed: " + (owner ? std::string("no owner") : owner.error().message);
        }
    }
    const double us =
        std::chrono::duration<double, std::micro>(Clock::now() - start).count() / rounds;
    std::array<char, 32> text{};
    std::snprintf(text.data(), text.size(), "%.1f us", us);
    return text.data();
}

int tcpSocketsOnHost() {
    int count = 0;
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        FILE* file = std::fopen(table, "r");
        if (file == nullptr) {
            continue;
        }
        int c = 0;
        while ((c = std::fgetc(file)) != EOF) {
            count += c == '\n' ? 1 : 0;
        }
        std::fclose(file);
        --count; // header
    }
    return count;
}

std::string ms(double value) {
    std::array<char, 32> text{};
    std::snprintf(text.data(), text.size(), "%.3f ms", value);
    return text.data();
}

} // namespace

int main(int argc, char** argv) {
    const auto options = parse(argc, argv);
    if (::geteuid() != 0) {
        usage("run as root: the attacker child drops to --attacker");
    }
    std::signal(SIGPIPE, SIG_IGN);

    std::vector<Phase> phases(3);
    phases[0].name = "no attacker";
    phases[1].name = "slots held";
    phases[2].name = "slots held + flood";

    std::cout << "== lookup cost (idle): netlink "
              << lookupCost(SocketOwnerLookup::Method::kNetlink, 20000) << ", /proc table "
              << lookupCost(SocketOwnerLookup::Method::kProcNet, 2000) << " (" << tcpSocketsOnHost()
              << " TCP sockets on the host)" << std::endl;

    std::cout << "== phase 1: " << phases[0].name << std::endl;
    measure(options, phases[0]);

    std::string lookup_under_attack;
    {
        std::cout << "== phase 2: " << phases[1].name << " (" << options.attacker << ")"
                  << std::endl;
        Attacker attacker(options, false);
        phases[1].attacker_ready = attacker.waitReady();
        std::cout << "   attacker: " << phases[1].attacker_ready << std::endl;
        measure(options, phases[1]);
        lookup_under_attack = "netlink " + lookupCost(SocketOwnerLookup::Method::kNetlink, 20000) +
                              ", /proc table " +
                              lookupCost(SocketOwnerLookup::Method::kProcNet, 2000) + " (" +
                              std::to_string(tcpSocketsOnHost()) + " TCP sockets on the host)";
        phases[1].attacker_result = attacker.stop();
    }
    {
        std::cout << "== phase 3: " << phases[2].name << std::endl;
        Attacker attacker(options, true);
        phases[2].attacker_ready = attacker.waitReady();
        std::cout << "   attacker: " << phases[2].attacker_ready << std::endl;
        measure(options, phases[2]);
        phases[2].attacker_result = attacker.stop();
    }

    std::cout << "\n== lookup cost while slots are held: " << lookup_under_attack << "\n";
    std::cout << "legitimate client (root): " << options.samples
              << " requests per phase, one every " << options.interval_ms
              << " ms, each on a new connection: GET " << options.target << "\n\n";
    std::printf("%-26s %20s %20s %20s\n", "figure", phases[0].name.c_str(), phases[1].name.c_str(),
                phases[2].name.c_str());
    auto row = [&](const char* name, auto value) {
        std::printf("%-26s %20s %20s %20s\n", name, value(phases[0]).c_str(),
                    value(phases[1]).c_str(), value(phases[2]).c_str());
    };
    row("legit p50", [](const Phase& p) { return ms(percentile(p.latencies_ms, 0.50)); });
    row("legit p99", [](const Phase& p) { return ms(percentile(p.latencies_ms, 0.99)); });
    row("legit max",
        [](const Phase& p) { return ms(p.latencies_ms.empty() ? 0 : p.latencies_ms.back()); });
    row("legit answers", [](const Phase& p) { return statusText(p.statuses); });
    std::cout << "\nattacker, phase 2: " << phases[1].attacker_ready << "\n";
    std::cout << "attacker, phase 3: " << phases[2].attacker_ready << "\n";
    std::cout << "                   " << phases[2].attacker_result << "\n";

    // Broken, not slow: a legitimate request without a 200 makes the run worthless.
    bool broken = false;
    for (const auto& phase : phases) {
        const auto ok = phase.statuses.find(200);
        if (ok == phase.statuses.end() || ok->second != options.samples) {
            std::cerr << "imds_slot_bench: in phase '" << phase.name
                      << "' the legitimate client got " << statusText(phase.statuses) << "\n";
            broken = true;
        }
    }
    return broken ? 1 : 0;
}
