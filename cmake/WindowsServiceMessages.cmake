# The Event Log message table of the four service executables (docs/windows.md, "Services"):
# windmc compiles src/common/platform/windows/service_messages.mc, windres makes a COFF object
# of it, and each service links that object, so the executable the installer names as its event
# source's EventMessageFile holds the messages Event Viewer looks up.
set(_azcm_messages_dir ${CMAKE_BINARY_DIR}/service_messages)
set(_azcm_messages_source ${PROJECT_SOURCE_DIR}/src/common/platform/windows/service_messages.mc)
set(AZCM_SERVICE_MESSAGES ${_azcm_messages_dir}/service_messages.res.obj)
add_custom_command(OUTPUT ${AZCM_SERVICE_MESSAGES}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_azcm_messages_dir}
  COMMAND ${AZCM_MINGW_TRIPLET}-windmc -r ${_azcm_messages_dir} -h ${_azcm_messages_dir}
          ${_azcm_messages_source}
  COMMAND ${CMAKE_RC_COMPILER} -O coff -I ${_azcm_messages_dir}
          ${_azcm_messages_dir}/service_messages.rc -o ${AZCM_SERVICE_MESSAGES}
  DEPENDS ${_azcm_messages_source}
  COMMENT "Compiling the services' Event Log message table")
add_custom_target(azcm_service_messages DEPENDS ${AZCM_SERVICE_MESSAGES})
foreach(_azcm_service IN ITEMS himds gcservice extservice arcproxy)
  add_dependencies(${_azcm_service} azcm_service_messages)
  target_link_libraries(${_azcm_service} PRIVATE ${AZCM_SERVICE_MESSAGES})
  set_property(TARGET ${_azcm_service} APPEND PROPERTY LINK_DEPENDS ${AZCM_SERVICE_MESSAGES})
endforeach()
