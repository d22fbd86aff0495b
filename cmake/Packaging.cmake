# Install rules and the azcmagent .deb and .rpm (docs/install.md).
#
# Everything installs at the absolute paths of docs/install.md: destinations are relative
# to the root, and CPack packages with the prefix "/". (A plain `cmake --install` lands under
# CMAKE_INSTALL_PREFIX; the packages are the supported way to install.)
#
#   cmake --build <build> --target packaging    -> <build>/packages/azcmagent_<version>_<arch>.deb
#                                                  and azcmagent-<version>-1.<arch>.rpm
#
# Only what is built is packaged: a daemon without a target (arcproxy today) gets neither its
# binary nor its unit, and the maintainer scripts enable and start only the packaged units.

set(_azcm_packaging ${PROJECT_SOURCE_DIR}/packaging)

# A daemon can be left out on purpose, e.g. while its code is being written:
#   cmake -DAZCM_PACKAGE_SKIP="arcproxy;extservice" <build>
set(AZCM_PACKAGE_SKIP "" CACHE STRING "Targets left out of the packages")

# target -> install directory -> unit that runs it
set(_azcm_installed_targets)
set(_azcm_units)
foreach(_entry
    "azcmagent|opt/azcmagent/bin|"
    "himds|opt/azcmagent/bin|himdsd.service"
    "arcproxy|opt/azcmagent/bin|arcproxyd.service"
    "gcservice|opt/GC_Service/GC|gcad.service"
    "extservice|opt/GC_Ext/GC|extd.service")
  string(REPLACE "|" ";" _fields "${_entry}")
  list(GET _fields 0 _target)
  list(GET _fields 1 _dir)
  list(LENGTH _fields _count)
  set(_unit)
  if(_count GREATER 2)
    list(GET _fields 2 _unit)
  endif()
  if(NOT TARGET ${_target} OR _target IN_LIST AZCM_PACKAGE_SKIP)
    continue()
  endif()
  install(TARGETS ${_target} RUNTIME DESTINATION ${_dir}
          PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                      WORLD_READ WORLD_EXECUTE)
  list(APPEND _azcm_installed_targets ${_target})
  if(_unit)
    install(FILES ${_azcm_packaging}/systemd/${_unit} DESTINATION usr/lib/systemd/system)
    list(APPEND _azcm_units ${_unit})
  endif()
endforeach()

# Automatic upgrades (docs/upgrade.md): the timer is enabled and started with the services; the
# service it starts is a oneshot of its own.
if(TARGET azcmagent AND NOT azcmagent IN_LIST AZCM_PACKAGE_SKIP)
  install(FILES ${_azcm_packaging}/systemd/azcmagent-autoupgrade.service
                ${_azcm_packaging}/systemd/azcmagent-autoupgrade.timer
          DESTINATION usr/lib/systemd/system)
  list(APPEND _azcm_units azcmagent-autoupgrade.timer)
endif()

# The installed version, which every binary reports (src/common/agent_version.hpp): a package
# repacked under another version (docs/upgrade.md) changes this line with its control file.
file(WRITE ${CMAKE_BINARY_DIR}/packaging/VERSION "${AZCM_VERSION}\n")
install(FILES ${CMAKE_BINARY_DIR}/packaging/VERSION DESTINATION opt/azcmagent
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# The manager-level IDENTITY_ENDPOINT/IMDS_ENDPOINT drop-in (packaging/README.md says
# why the /usr/lib spelling), its login-shell twin, the accounts and the directories.
install(FILES ${_azcm_packaging}/systemd/system.conf.d/azcmagent.conf
        DESTINATION usr/lib/systemd/system.conf.d)
install(FILES ${_azcm_packaging}/profile.d/azcmagent.sh DESTINATION etc/profile.d)
install(FILES ${_azcm_packaging}/sysusers.d/azcmagent.conf DESTINATION usr/lib/sysusers.d)
install(FILES ${_azcm_packaging}/tmpfiles.d/azcmagent.conf DESTINATION usr/lib/tmpfiles.d)

# Maintainer scripts: packaging/maintainer/functions.sh pasted into each one.
string(REPLACE ";" " " AZCM_UNITS "${_azcm_units}")
configure_file(${_azcm_packaging}/maintainer/functions.sh
               ${CMAKE_BINARY_DIR}/packaging/functions.sh @ONLY)
file(READ ${CMAKE_BINARY_DIR}/packaging/functions.sh AZCM_FUNCTIONS)
set(_azcm_scripts ${CMAKE_BINARY_DIR}/packaging/scripts)
foreach(_script deb/postinst deb/prerm deb/postrm rpm/post rpm/preun rpm/postun)
  configure_file(${_azcm_packaging}/maintainer/${_script}.in ${_azcm_scripts}/${_script} @ONLY
                 FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                  WORLD_READ WORLD_EXECUTE)
endforeach()
configure_file(${_azcm_packaging}/maintainer/deb/conffiles ${_azcm_scripts}/deb/conffiles COPYONLY)

set(CPACK_PACKAGE_NAME azcmagent)
set(CPACK_PACKAGE_VERSION ${AZCM_VERSION})
set(CPACK_PACKAGE_VENDOR "azcmagent open-source re-implementation")
set(CPACK_PACKAGE_CONTACT "azcmagent maintainers <azcmagent@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Azure Connected Machine agent: onboard this machine to Azure Arc")
set(CPACK_PACKAGE_DESCRIPTION
    "The azcmagent CLI, the himds identity and IMDS service, and the extension and guest \
configuration services, with their systemd units and service accounts.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/")
set(CPACK_STRIP_FILES ON)
set(CPACK_OUTPUT_FILE_PREFIX ${CMAKE_BINARY_DIR}/packages)
set(CPACK_GENERATOR "DEB;RPM")

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# shellcheck-clean sh, no bashisms: dash runs them. getent/useradd come from passwd, install from
# coreutils (both essential or required on Debian).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_azcm_scripts}/deb/postinst ${_azcm_scripts}/deb/prerm ${_azcm_scripts}/deb/postrm
    ${_azcm_scripts}/deb/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_RELEASE 1)
set(CPACK_RPM_PACKAGE_LICENSE "MIT")
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Daemons")
set(CPACK_RPM_PACKAGE_REQUIRES "shadow-utils")
set(CPACK_RPM_POST_INSTALL_SCRIPT_FILE ${_azcm_scripts}/rpm/post)
set(CPACK_RPM_PRE_UNINSTALL_SCRIPT_FILE ${_azcm_scripts}/rpm/preun)
set(CPACK_RPM_POST_UNINSTALL_SCRIPT_FILE ${_azcm_scripts}/rpm/postun)
# No /usr/lib/.build-id links: they would be files of ours that the .deb does not have.
set(CPACK_RPM_SPEC_MORE_DEFINE "%define _build_id_links none")
set(CPACK_RPM_USER_FILELIST "%config(noreplace) /etc/profile.d/azcmagent.sh")
# Directories the distribution owns (filesystem and systemd packages): not claimed by ours.
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
    /opt /etc/profile.d /usr/lib/systemd /usr/lib/systemd/system /usr/lib/systemd/system.conf.d
    /usr/lib/sysusers.d /usr/lib/tmpfiles.d)

include(CPack)

# Builds both packages from this build's binaries (CI and tests/packaging use it).
add_custom_target(packaging
  COMMAND ${CMAKE_CPACK_COMMAND} --config ${CMAKE_BINARY_DIR}/CPackConfig.cmake
  # CPack's staging copies are not needed once the packages exist.
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${CMAKE_BINARY_DIR}/_CPack_Packages
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
  COMMENT "Building the azcmagent .deb and .rpm in ${CMAKE_BINARY_DIR}/packages"
  VERBATIM)
add_dependencies(packaging ${_azcm_installed_targets})
