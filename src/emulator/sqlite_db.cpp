#include "emulator/sqlite_db.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

namespace azcm::emulator {

namespace {

constexpr int kBusyTimeoutMs = 10000;

Error sqliteError(sqlite3* db, std::string_view what) {
    return makeError(exitcode::kGeneric,
                     std::string("database: ") + std::string(what) + ": " + sqlite3_errmsg(db));
}

} // namespace

Statement::Statement(sqlite3* db, sqlite3_stmt* statement) : db_(db), statement_(statement) {}

Statement::~Statement() {
    if (statement_ != nullptr) {
        sqlite3_finalize(statement_);
    }
}

Statement::Statement(Statement&& other) noexcept : db_(other.db_), statement_(other.statement_) {
    other.statement_ = nullptr;
}

Statement& Statement::bind(int index, std::string_view text) {
    sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
    sqlite3_bind_int64(statement_, index, value);
    return *this;
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
    if (value) {
        return bind(index, *value);
    }
    return bindNull(index);
}

Statement& Statement::bindNull(int index) {
    sqlite3_bind_null(statement_, index);
    return *this;
}

Result<bool> Statement::step() {
    const int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    return sqliteError(db_, "step");
}

Result<void> Statement::run() {
    while (true) {
        BOOST_OUTCOME_TRY(row, step());
        if (!row) {
            return ok();
        }
    }
}

std::string Statement::text(int column) const {
    const auto* data = sqlite3_column_text(statement_, column);
    if (data == nullptr) {
        return {};
    }
    return std::string(reinterpret_cast<const char*>(data),
                       static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
}

std::int64_t Statement::integer(int column) const {
    return sqlite3_column_int64(statement_, column);
}

std::optional<std::int64_t> Statement::optionalInteger(int column) const {
    if (isNull(column)) {
        return std::nullopt;
    }
    return integer(column);
}

bool Statement::isNull(int column) const {
    return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

Result<std::unique_ptr<Database>> Database::open(const std::filesystem::path& path) {
    // Create the file with its final mode first: SQLite itself would honour only the umask.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        return makeError(exitcode::kGeneric, "database: cannot open " + path.string());
    }
    ::close(fd);
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                       SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW,
                                   nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        return makeError(exitcode::kGeneric,
                         "database: cannot open " + path.string() + ": " + message);
    }
    std::unique_ptr<Database> database(new Database(db));
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    BOOST_OUTCOME_TRY(database->exec("PRAGMA journal_mode=WAL"));
    BOOST_OUTCOME_TRY(database->exec("PRAGMA synchronous=NORMAL"));
    BOOST_OUTCOME_TRY(database->exec("PRAGMA foreign_keys=ON"));
    return database;
}

Database::~Database() {
    sqlite3_close_v2(db_);
}

Result<void> Database::exec(std::string_view sql) {
    char* message = nullptr;
    const std::string statement(sql);
    if (sqlite3_exec(db_, statement.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message != nullptr ? message : "unknown error";
        sqlite3_free(message);
        return makeError(exitcode::kGeneric, "database: " + text);
    }
    return ok();
}

Result<Statement> Database::prepare(std::string_view sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &statement, nullptr) !=
        SQLITE_OK) {
        return sqliteError(db_, "prepare");
    }
    return Statement(db_, statement);
}

Result<void> Database::transaction(const std::function<Result<void>()>& body) {
    BOOST_OUTCOME_TRY(exec("BEGIN IMMEDIATE"));
    auto result = body();
    if (!result) {
        (void)exec("ROLLBACK");
        return result;
    }
    auto committed = exec("COMMIT");
    if (!committed) {
        (void)exec("ROLLBACK");
    }
    return committed;
}

int Database::changes() const {
    return sqlite3_changes(db_);
}

} // namespace azcm::emulator
