# celeste_add_test(NAME <name> SOURCES <src...> LABELS <label...>
#                  [BACKENDS] [MPI_RANKS <n...>] [TIMEOUT <s>] [LIBS <targets...>])
#
# Without BACKENDS: one executable test_<name>, one ctest entry <name>.
# With BACKENDS: the same sources are compiled once per enabled Kokkos backend with
#   CELESTE_TEST_BACKEND_<BACKEND> defined (tests/harness/test_backend.hpp turns that into
#   TestExecSpace); Serial and CUDA run once, OpenMP at 1 and 2 threads:
#   <name>.serial, <name>.openmp.t1, <name>.openmp.t2, <name>.cuda (label `backends` added).
# With MPI_RANKS: run under mpiexec at each rank count: <name>.np<n> (label `mpi` added).
# Every test gets OMP_PROC_BIND=false (tests share 2 cores) and CELESTE_SOURCE_DIR.
#
# Sanitizer build (CELESTE_SANITIZE non-empty): every test of a directory that calls
# celeste_add_test also gets the sanitizer runtime options below, appended at the end of that
# directory's CMakeLists.txt (so also to tests whose ENVIRONMENT is set there afterwards, and to
# plain add_test entries). The processes a test starts (the celeste executable, mpiexec's ranks)
# inherit them. Reports exit with 86, which no Celeste-K exit code uses, so a finding in a
# child whose exit code a test checks fails that test too. The suppression files only name
# third-party libraries (OpenMPI and its stack); see scripts/sanitizers/*.supp.
# allocator_may_return_null=1: an impossible allocation returns NULL as it does without
# ASan (CFITSIO asks calloc for what a hostile header claims, ~700 GB in the fuzz test, and
# reports MEMORY_ALLOCATION when refused), instead of ASan aborting the process.
set(CELESTE_SANITIZER_ENV "")
if(CELESTE_SANITIZE)
  set(celeste_supp ${PROJECT_SOURCE_DIR}/scripts/sanitizers)
  set(CELESTE_SANITIZER_ENV
    "ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:exitcode=86:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1:allocator_may_return_null=1"
    "LSAN_OPTIONS=suppressions=${celeste_supp}/lsan.supp:print_suppressions=0"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=86:suppressions=${celeste_supp}/ubsan.supp")
endif()

function(_celeste_sanitizer_env_here)
  get_property(tests DIRECTORY PROPERTY TESTS)
  foreach(t IN LISTS tests)
    set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT ${CELESTE_SANITIZER_ENV})
  endforeach()
endfunction()

function(celeste_add_test)
  cmake_parse_arguments(T "BACKENDS" "NAME;TIMEOUT" "SOURCES;LABELS;MPI_RANKS;LIBS;ARGS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  if(CELESTE_SANITIZER_ENV)
    get_property(deferred DIRECTORY PROPERTY CELESTE_SANITIZER_ENV_DEFERRED)
    if(NOT deferred)
      set_property(DIRECTORY PROPERTY CELESTE_SANITIZER_ENV_DEFERRED TRUE)
      cmake_language(DEFER CALL _celeste_sanitizer_env_here)
    endif()
  endif()
  set(env "OMP_PROC_BIND=false;OMP_NUM_THREADS=2")

  if(T_BACKENDS)
    set(backends "")
    if(Kokkos_DEVICES MATCHES "SERIAL" OR Kokkos_ENABLE_SERIAL OR Kokkos_DEVICES MATCHES "Serial")
      list(APPEND backends serial)
    endif()
    if(Kokkos_DEVICES MATCHES "OPENMP" OR Kokkos_ENABLE_OPENMP OR Kokkos_DEVICES MATCHES "OpenMP")
      list(APPEND backends openmp)
    endif()
    if(Kokkos_DEVICES MATCHES "CUDA" OR Kokkos_ENABLE_CUDA OR Kokkos_DEVICES MATCHES "Cuda")
      list(APPEND backends cuda)   # the CUDA build (issue 13): <name>.cuda
    endif()
    foreach(backend IN LISTS backends)
      set(exe test_${T_NAME}_${backend})
      add_executable(${exe} ${T_SOURCES})
      string(TOUPPER ${backend} BACKEND)
      target_compile_definitions(${exe} PRIVATE CELESTE_TEST_BACKEND_${BACKEND}
                                 CELESTE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
      target_link_libraries(${exe} PRIVATE celeste_test_harness ${T_LIBS})
      if(backend STREQUAL "openmp")
        foreach(nt 1 2)
          add_test(NAME ${T_NAME}.openmp.t${nt} COMMAND ${exe} --kokkos-threads=${nt})
          set_tests_properties(${T_NAME}.openmp.t${nt} PROPERTIES
            LABELS "${T_LABELS};backends" TIMEOUT ${T_TIMEOUT} ENVIRONMENT "${env}")
        endforeach()
      else()
        add_test(NAME ${T_NAME}.${backend} COMMAND ${exe})
        set_tests_properties(${T_NAME}.${backend} PROPERTIES
          LABELS "${T_LABELS};backends" TIMEOUT ${T_TIMEOUT} ENVIRONMENT "${env}")
      endif()
    endforeach()
    return()
  endif()

  set(exe test_${T_NAME})
  add_executable(${exe} ${T_SOURCES})
  target_compile_definitions(${exe} PRIVATE CELESTE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  target_link_libraries(${exe} PRIVATE celeste_test_harness ${T_LIBS})
  if(T_MPI_RANKS)
    foreach(np IN LISTS T_MPI_RANKS)
      add_test(NAME ${T_NAME}.np${np}
        COMMAND ${MPIEXEC_EXECUTABLE} --allow-run-as-root --oversubscribe ${MPIEXEC_NUMPROC_FLAG}
                ${np} ${MPIEXEC_PREFLAGS} $<TARGET_FILE:${exe}> ${MPIEXEC_POSTFLAGS})
      set_tests_properties(${T_NAME}.np${np} PROPERTIES
        LABELS "${T_LABELS};mpi" TIMEOUT ${T_TIMEOUT} PROCESSORS ${np}
        ENVIRONMENT "OMP_PROC_BIND=false;OMP_NUM_THREADS=1")
    endforeach()
  else()
    add_test(NAME ${T_NAME} COMMAND ${exe} ${T_ARGS})
    set_tests_properties(${T_NAME} PROPERTIES
      LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT} ENVIRONMENT "${env}")
  endif()
endfunction()
