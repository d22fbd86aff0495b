# The agent's version (src/common/agent_version.hpp), MAJOR.MINOR.BUILD.REVISION: checked here so
# that a version the packages or Windows Installer would refuse fails the configure, not the
# release. Each field is a whole number without leading zeros and at most 65535; MAJOR.MINOR
# starts at 1.0.
#
# Also a script, for tests: cmake -DAZCM_VERSION=V -P cmake/AgentVersion.cmake checks V alone.
function(azcm_check_version version)
  set(_field "(0|[1-9][0-9]*)")
  if(NOT version MATCHES "^${_field}\\.${_field}\\.${_field}\\.${_field}$")
    message(FATAL_ERROR "AZCM_VERSION '${version}' is not MAJOR.MINOR.BUILD.REVISION "
                        "(four whole numbers without leading zeros, e.g. 1.0.12345.0)")
  endif()
  set(_fields ${CMAKE_MATCH_1} ${CMAKE_MATCH_2} ${CMAKE_MATCH_3} ${CMAKE_MATCH_4})
  foreach(_value IN LISTS _fields)
    string(LENGTH "${_value}" _digits)
    if(_digits GREATER 5 OR _value GREATER 65535)
      message(FATAL_ERROR "AZCM_VERSION '${version}': ${_value} is above 65535, the largest "
                          "field of a Windows Installer product version")
    endif()
  endforeach()
  list(GET _fields 0 _major)
  if(_major LESS 1)
    message(FATAL_ERROR "AZCM_VERSION '${version}': versions start at 1.0")
  endif()
endfunction()

if(CMAKE_SCRIPT_MODE_FILE)
  azcm_check_version("${AZCM_VERSION}")
  message(STATUS "AZCM_VERSION ${AZCM_VERSION} is well formed")
endif()
