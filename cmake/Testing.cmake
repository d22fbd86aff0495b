include(GoogleTest)
# azcm_add_unit_tests(<target> SOURCES ... LIBS ...): one gtest executable, tests labelled `unit`.
function(azcm_add_unit_tests target)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_LIBS} azcm_testutils GTest::gtest_main GTest::gmock azcm_options)
  target_precompile_headers(${target} REUSE_FROM azcm_common)
  gtest_discover_tests(${target} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endfunction()
