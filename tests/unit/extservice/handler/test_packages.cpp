#include "test_packages.hpp"

#include <stdexcept>

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

namespace azcm::extservice::test {

void writeZip(const std::filesystem::path& zip, const std::vector<ZipEntry>& entries) {
    ::archive* a = archive_write_new();
    archive_write_set_format_zip(a);
    if (archive_write_open_filename(a, zip.c_str()) != ARCHIVE_OK) {
        throw std::runtime_error("cannot create zip");
    }
    for (const auto& e : entries) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, e.name.c_str());
        archive_entry_set_perm(entry, e.perm);
        switch (e.kind) {
        case ZipEntry::Kind::kFile:
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
            break;
        case ZipEntry::Kind::kDirectory:
            archive_entry_set_filetype(entry, AE_IFDIR);
            break;
        case ZipEntry::Kind::kSymlink:
            archive_entry_set_filetype(entry, AE_IFLNK);
            archive_entry_set_symlink(entry, e.content.c_str());
            break;
        case ZipEntry::Kind::kHardlink:
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_hardlink(entry, e.content.c_str());
            break;
        }
        archive_write_header(a, entry);
        if (e.kind == ZipEntry::Kind::kFile && !e.content.empty()) {
            archive_write_data(a, e.content.data(), e.content.size());
        }
        archive_entry_free(entry);
    }
    archive_write_close(a);
    archive_write_free(a);
}

namespace {

std::string script(const std::string& command,
                   const std::filesystem::path& trace,
                   const std::string& body,
                   bool writes_status) {
    std::string text =
        "#!/bin/sh\n"
        "echo \"$AZURE_GUEST_AGENT_EXTENSION_VERSION " +
        command +
        " seq=$ConfigSequenceNumber cwd=$(pwd) path=$AZURE_GUEST_AGENT_EXTENSION_PATH"
        " version=${VERSION-unset} from=${AZURE_GUEST_AGENT_UPDATING_FROM_VERSION-unset}"
        " disable_exit=${AZURE_GUEST_AGENT_DISABLE_CMD_EXIT_CODE-unset}"
        " uninstall_exit=${AZURE_GUEST_AGENT_UNINSTALL_CMD_EXIT_CODE-unset}\" >> '" +
        trace.string() + "'\n" + body + "\n";
    if (writes_status) {
        text += "mkdir -p status\n"
                "printf '[{\"status\":{\"status\":\"success\",\"code\":0,\"formattedMessage\":"
                "{\"lang\":\"en-US\",\"message\":\"enabled %s\"}}}]' "
                "\"$AZURE_GUEST_AGENT_EXTENSION_VERSION\""
                " > status/$ConfigSequenceNumber.status\n";
    }
    return text;
}

} // namespace

void writeShellHandler(const std::filesystem::path& zip,
                       const std::filesystem::path& trace,
                       const ShellHandler& h) {
    const std::string manifest =
        std::string(h.nested_manifest ? "\xEF\xBB\xBF" : "") +
        "[{\"name\":\"TestHandler\",\"version\":1.0,\"handlerManifest\":{"
        "\"installCommand\":\"bin/handler.sh install\","
        "\"uninstallCommand\":\"bin/uninstall.sh\","
        "\"updateCommand\":\"/bin/update.sh\"," // a leading '/' is stripped
        "\"enableCommand\":\"bin/enable.sh\","
        "\"disableCommand\":\"bin/disable.sh\"" +
        h.extra_manifest + "}}]";
    // The scripts are stored WITHOUT any execute bit: the agent must add u+x.
    writeZip(zip, {
                      {"bin/", "", ZipEntry::Kind::kDirectory, 0755},
                      {"bin/handler.sh", script("install", trace, h.install_body, false)},
                      {"bin/enable.sh", script("enable", trace, h.enable_body, true)},
                      {"bin/disable.sh", script("disable", trace, h.disable_body, false)},
                      {"bin/update.sh", script("update", trace, h.update_body, false)},
                      {"bin/uninstall.sh", script("uninstall", trace, h.uninstall_body, false)},
                      {h.nested_manifest ? "meta/HandlerManifest.json" : "HandlerManifest.json",
                       manifest},
                  });
}

} // namespace azcm::extservice::test
