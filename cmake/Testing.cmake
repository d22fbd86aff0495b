include(GoogleTest)
# azcm_add_unit_tests(<target> SOURCES ... LIBS ...): one gtest executable, tests labelled `unit`.
function(azcm_add_unit_tests target)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_LIBS} azcm_testutils GTest::gtest_main GTest::gmock azcm_options)
  target_precompile_headers(${target} REUSE_FROM azcm_common)
  # Unity batches about halve the tests' compile time (docs/architecture.md).
  set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  gtest_discover_tests(${target} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endfunction()
