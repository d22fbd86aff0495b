#pragma once
// A thin RAII layer over SQLite: one connection in WAL mode with a busy timeout, so the serving
// process and `arc-emulator sp create` can share the database file.
#include "common/error.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace azcm::emulator {

class Statement {
public:
    Statement(sqlite3* db, sqlite3_stmt* statement);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;

    // Parameters are 1-based, as in SQLite.
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, const std::optional<std::int64_t>& value);
    Statement& bindNull(int index);

    // true: a row is available; false: done.
    Result<bool> step();
    Result<void> run(); // steps to completion

    std::string text(int column) const;
    std::int64_t integer(int column) const;
    std::optional<std::int64_t> optionalInteger(int column) const;
    bool isNull(int column) const;

private:
    sqlite3* db_;
    sqlite3_stmt* statement_;
};

class Database {
public:
    // Opens (creating) the file with mode 0600, WAL journal and a busy timeout.
    static Result<std::unique_ptr<Database>> open(const std::filesystem::path& path);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    Database(Database&&) = delete;
    Database& operator=(Database&&) = delete;

    Result<void> exec(std::string_view sql);
    Result<Statement> prepare(std::string_view sql);
    // BEGIN IMMEDIATE ... COMMIT; rolls back when `body` fails.
    Result<void> transaction(const std::function<Result<void>()>& body);
    // Rows changed by the last statement.
    int changes() const;

private:
    explicit Database(sqlite3* db) : db_(db) {}
    sqlite3* db_;
};

} // namespace azcm::emulator
