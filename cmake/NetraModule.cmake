# netra_module(NAME SOURCES ... DEPS ... TESTS ... [TEST_LABELS ...])
# Every module is one static library `netra_<name>` plus, when it has tests, one GoogleTest executable
# `netra_<name>_test` registered with CTest.
# -Wno-restrict: GCC 12 false positives inside libstdc++ string code at -O2/-O3 (GCC bug 105651).
# -Wno-mismatched-new-delete: GCC 12 false positive on Asio coroutine frames (operator new/delete are paired
# by Asio's recycling allocator; GCC sees only the inlined free).
set(NETRA_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wno-restrict -Wno-mismatched-new-delete)

function(netra_apply_flags target)
  target_compile_options(${target} PRIVATE ${NETRA_WARNINGS})
  if(NETRA_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# The sanitizer builds (presets `asan`, `dev` and `tsan`; scripts/run-tests.sh's sanitizer section): every finding
# is fatal. -fno-sanitize-recover: a UBSan report aborts the process instead of printing and carrying on.
if(NETRA_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
if(NETRA_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

function(netra_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;TESTS;TEST_DEPS;TEST_LABELS" ${ARGN})
  add_library(netra_${name} STATIC ${M_SOURCES})
  target_include_directories(netra_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(netra_${name} PUBLIC ${M_DEPS})
  netra_apply_flags(netra_${name})
  if(NETRA_BUILD_TESTS AND M_TESTS)
    add_executable(netra_${name}_test ${M_TESTS})
    target_link_libraries(netra_${name}_test PRIVATE netra_${name} ${M_TEST_DEPS} GTest::gtest GTest::gtest_main)
    netra_apply_flags(netra_${name}_test)
    if(NOT M_TEST_LABELS)
      set(M_TEST_LABELS unit)
    endif()
    add_test(NAME ${name} COMMAND netra_${name}_test)
    set_tests_properties(${name} PROPERTIES LABELS "${M_TEST_LABELS}")
  endif()
endfunction()
