// docs/config.md describes exactly the keys of the table (config_keys.cpp), in `config list` order,
// with the default and the daemons of each row: a key added to the table without its line in the
// documentation, or dropped from it, fails here.
#include "common/config/config_keys.hpp"
#include "common/config/config_values.hpp"
#include "common/fs/atomic_file.hpp"

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace azcm::config {
namespace {

struct DocumentedKey {
    std::string name;
    std::string default_text;
    std::string applied_by;
};

std::string trimmed(const std::string& text) {
    const auto begin = text.find_first_not_of(' ');
    const auto end = text.find_last_not_of(' ');
    return begin == std::string::npos ? std::string() : text.substr(begin, end - begin + 1);
}

std::vector<std::string> cellsOf(const std::string& row) {
    std::vector<std::string> cells;
    std::istringstream in(row.substr(1)); // after the leading '|'
    for (std::string cell; std::getline(in, cell, '|');) {
        cells.push_back(trimmed(cell));
    }
    return cells;
}

// The rows of the table under "## The keys": | `name` | default | allowed | effect | applied by |
std::vector<DocumentedKey> documentedKeys() {
    auto text = fs::readFile(AZCM_CONFIG_DOC);
    EXPECT_TRUE(text) << text.error().message;
    std::istringstream in(text ? text.value() : std::string());
    std::vector<DocumentedKey> keys;
    bool in_section = false;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("## ", 0) == 0) {
            in_section = line == "## The keys";
        } else if (in_section && line.rfind("| `", 0) == 0) {
            const auto cells = cellsOf(line);
            EXPECT_EQ(cells.size(), 5u) << line;
            if (cells.size() == 5) {
                keys.push_back({cells[0], cells[1], cells[4]});
            }
        }
    }
    return keys;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        out += (out.empty() ? "" : ", ") + item;
    }
    return out;
}

TEST(ConfigDocsTest, ConfigMdListsExactlyTheKeysOfTheTable) {
    const auto documented = documentedKeys();
    std::vector<std::string> documented_names;
    for (const auto& key : documented) {
        documented_names.push_back(key.name);
    }
    std::vector<std::string> table_names;
    for (const auto& key : configKeys()) {
        table_names.push_back("`" + key.name + "`");
    }
    ASSERT_EQ(documented_names, table_names);

    for (std::size_t i = 0; i < documented.size(); ++i) {
        const auto& key = configKeys()[i];
        SCOPED_TRACE(key.name);
        const auto default_text = defaultText(key);
        EXPECT_EQ(documented[i].default_text,
                  default_text.empty() ? "empty" : "`" + default_text + "`");
        EXPECT_EQ(documented[i].applied_by, joined(key.applied_by));
    }
}

} // namespace
} // namespace azcm::config
