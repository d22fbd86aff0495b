#include "common/platform/machine_facts.hpp"
#include "temp_dir.hpp"

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

namespace stdfs = std::filesystem;

void writeFile(const stdfs::path& path, const std::string& content) {
    stdfs::create_directories(path.parent_path());
    std::ofstream(path) << content;
}

class MachineFactsTest : public ::testing::Test {
protected:
    void SetUp() override {
        writeFile(root() / "etc/os-release",
                  "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
                  "VERSION_ID=\"12\"\n# a comment\nID=debian\n");
        writeFile(root() / "proc/cpuinfo",
                  "processor\t: 0\nmodel name\t: AMD EPYC 7763\nphysical id\t: 0\n\n"
                  "processor\t: 1\nmodel name\t: AMD EPYC 7763\nphysical id\t: 0\n\n"
                  "processor\t: 2\nmodel name\t: AMD EPYC 7763\nphysical id\t: 1\n\n");
        writeFile(root() / "proc/meminfo", "MemTotal:       24576000 kB\nMemFree:  100 kB\n");
        const auto dmi = root() / "sys/class/dmi/id";
        writeFile(dmi / "sys_vendor", "QEMU\n");
        writeFile(dmi / "product_name", "Standard PC (Q35 + ICH9, 2009)\n");
        writeFile(dmi / "product_serial", "SN-123\n");
        writeFile(dmi / "product_uuid", "0c9a3f4e-1b2d-4c5e-8f70-123456789abc\n");
    }
    const stdfs::path& root() const { return dir_.path(); }

private:
    azcm::test::TempDir dir_;
};

TEST_F(MachineFactsTest, ReadsOsCpuMemoryAndDmiFromTheRoot) {
    const auto facts = azcm::platform::collectMachineFacts(root());
    EXPECT_EQ(facts.os_name, "debian");
    EXPECT_EQ(facts.os_version, "12");
    EXPECT_EQ(facts.os_sku, "Debian GNU/Linux 12 (bookworm)");
    EXPECT_EQ(facts.os_type, "linux");
    EXPECT_EQ(facts.cpu_model, "AMD EPYC 7763");
    EXPECT_EQ(facts.logical_cores, 3U);
    EXPECT_EQ(facts.cpu_sockets, 2U);
    EXPECT_EQ(facts.total_memory_mb, 24000U);
    EXPECT_EQ(facts.manufacturer, "QEMU");
    EXPECT_EQ(facts.model, "Standard PC (Q35 + ICH9, 2009)");
    EXPECT_EQ(facts.serial_number, "SN-123");
    EXPECT_EQ(facts.vm_uuid, "0c9a3f4e-1b2d-4c5e-8f70-123456789abc");
    EXPECT_FALSE(facts.host_name.empty());
    EXPECT_EQ(facts.host_name.find('.'), std::string::npos);
}

TEST_F(MachineFactsTest, FallsBackToVendorOsReleaseAndOneSocket) {
    stdfs::remove(root() / "etc/os-release");
    writeFile(root() / "usr/lib/os-release", "ID=ubuntu\nVERSION_ID='22.04'\n");
    writeFile(root() / "proc/cpuinfo", "processor : 0\nprocessor : 1\n");
    const auto facts = azcm::platform::collectMachineFacts(root());
    EXPECT_EQ(facts.os_name, "ubuntu");
    EXPECT_EQ(facts.os_version, "22.04");
    EXPECT_EQ(facts.logical_cores, 2U);
    EXPECT_EQ(facts.cpu_sockets, 1U);
}

TEST_F(MachineFactsTest, UnreadableFilesGiveEmptyValues) {
    stdfs::remove_all(root() / "sys");
    stdfs::remove(root() / "proc/meminfo");
    const auto facts = azcm::platform::collectMachineFacts(root());
    EXPECT_EQ(facts.manufacturer, "");
    EXPECT_EQ(facts.serial_number, "");
    EXPECT_EQ(facts.total_memory_mb, 0U);
    EXPECT_EQ(facts.os_name, "debian");
}

TEST_F(MachineFactsTest, DetectsAzureByChassisAssetTag) {
    EXPECT_FALSE(azcm::platform::isAzureVirtualMachine(root()));
    writeFile(root() / "sys/class/dmi/id/chassis_asset_tag", "7783-7084-3265-9085-8269-3286-77\n");
    EXPECT_TRUE(azcm::platform::isAzureVirtualMachine(root()));
    writeFile(root() / "sys/class/dmi/id/chassis_asset_tag", "No Asset Tag\n");
    EXPECT_FALSE(azcm::platform::isAzureVirtualMachine(root()));
}

TEST_F(MachineFactsTest, JsonUsesTheProtocolKeys) {
    const auto facts = azcm::platform::toJson(azcm::platform::collectMachineFacts(root()));
    EXPECT_EQ(facts.at("osName"), "debian");
    EXPECT_EQ(facts.at("osSku"), "Debian GNU/Linux 12 (bookworm)");
    EXPECT_EQ(facts.at("logicalCores"), 3);
    EXPECT_EQ(facts.at("cpuSockets"), 2);
    EXPECT_EQ(facts.at("totalMemoryMb"), 24000);
    EXPECT_EQ(facts.at("vmUuid"), "0c9a3f4e-1b2d-4c5e-8f70-123456789abc");
    for (const char* key : {"osVersion", "osType", "hostName", "fqdn", "domainName", "cpuModel",
                            "manufacturer", "model", "serialNumber"}) {
        EXPECT_TRUE(facts.contains(key)) << key;
    }
}

} // namespace
