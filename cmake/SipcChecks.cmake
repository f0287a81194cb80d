# SipcChecks.cmake - structural tests of the build (label unit, in every build
# tree): the layers point only down (check-layers.sh), libsipc.so exports
# exactly the public API (check-exports.sh), the public ABI is the one
# recorded for SIPC_ABI_VERSION (check-abi.sh), the checkers catch a planted
# violation (test-checks.sh), and no source file grows over 1,000 lines
# (check-file-size.sh). Included at the end of the top
# CMakeLists.txt, once every target exists.
include_guard(GLOBAL)

# "<layer><TAB><object>" for every object of every layer and program, for the
# symbol half of check-layers.sh.
set(_sipc_layer_targets
  base:sipc_base certs:sipc_certs certs/tool:sipc_certs_tool transport:sipc_transport
  ipc:sipc_ipc ipc/node:sipc_node
  services:sipcd services:sipcctl services:tlstool
  tests:sipc_testutil tests:sipc-bench
  examples:kv_server examples:kv_client)
set(_sipc_layer_lines "")
foreach(lt ${_sipc_layer_targets})
  string(REPLACE ":" ";" lt "${lt}")
  list(GET lt 0 _layer)
  list(GET lt 1 _target)
  if(TARGET ${_target})
    string(APPEND _sipc_layer_lines
      "${_layer}\t$<JOIN:$<TARGET_OBJECTS:${_target}>,\n${_layer}\t>\n")
    # the checks read these objects (tests/CMakeLists.txt, unit-tests)
    if(TARGET unit-tests)
      add_dependencies(unit-tests ${_target})
    endif()
  endif()
endforeach()
set(SIPC_LAYER_OBJECTS ${PROJECT_BINARY_DIR}/sipc-layer-objects.txt)
file(GENERATE OUTPUT ${SIPC_LAYER_OBJECTS} CONTENT "${_sipc_layer_lines}")

# -aux-info, which check-exports.sh reads declarations with, is GCC's.
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
  set(SIPC_CHECK_GCC ${CMAKE_C_COMPILER})
else()
  find_program(SIPC_CHECK_GCC gcc)
endif()

add_test(NAME check_layers
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check-layers.sh ${PROJECT_SOURCE_DIR} ${SIPC_LAYER_OBJECTS})
set_tests_properties(check_layers PROPERTIES LABELS unit TIMEOUT 120)

add_test(NAME check_file_size
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check-file-size.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(check_file_size PROPERTIES LABELS unit TIMEOUT 60)

if(SIPC_CHECK_GCC)
  add_test(NAME check_exports
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check-exports.sh $<TARGET_FILE:sipc_shared> ${SIPC_PUBLIC_INCLUDE_DIRS})
  add_test(NAME test_checks
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test-checks.sh ${PROJECT_SOURCE_DIR} ${SIPC_LAYER_OBJECTS})
  add_test(NAME check_abi
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check-abi.sh --so $<TARGET_FILE:sipc_shared>
      ${CMAKE_CURRENT_LIST_DIR} ${SIPC_PUBLIC_INCLUDE_DIRS})
  set_tests_properties(check_exports check_abi test_checks PROPERTIES LABELS unit TIMEOUT 120
    ENVIRONMENT "CC=${SIPC_CHECK_GCC}")
  # `make abi-record`: cmake/abi-<SIPC_ABI_VERSION>.txt written from the
  # headers, once SIPC_ABI_VERSION was raised for an ABI change.
  add_custom_target(abi-record
    COMMAND ${CMAKE_COMMAND} -E env CC=${SIPC_CHECK_GCC}
      bash ${CMAKE_CURRENT_LIST_DIR}/check-abi.sh --record ${CMAKE_CURRENT_LIST_DIR} ${SIPC_PUBLIC_INCLUDE_DIRS}
    VERBATIM)
  if(TARGET unit-tests)
    add_dependencies(unit-tests sipc_shared)
  endif()
else()
  message(WARNING "gcc not found: check_exports, check_abi and test_checks are not run (apt-get install gcc)")
endif()
