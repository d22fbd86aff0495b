#pragma once
// The handler protocol's codes (docs/extensions.md): what a failed operation reports to the control
// plane. They travel in OperationResult::code and in Error::code of this library's Results.
namespace azcm::extservice::code {

inline constexpr int kUnknown = -1;
inline constexpr int kSuccess = 0;
inline constexpr int kGeneric = 1000; // generic processing error, also uninstall failure
inline constexpr int kManifestDownload = 1001;
inline constexpr int kManifestNotFound = 1002;
inline constexpr int kManifestParse = 1003;
inline constexpr int kPackageDownload = 1004; // also: size, hash or signature do not match
inline constexpr int kExtraction = 1005;
inline constexpr int kInstall = 1007;
inline constexpr int kUpdate = 1008;
inline constexpr int kEnable = 1009;
inline constexpr int kDisable = 1010;
inline constexpr int kTimeout = 1011;
inline constexpr int kInvalidStatus = 1012;

} // namespace azcm::extservice::code
