# celeste_add_test(NAME <name> SOURCES <src...> LABELS <label...>
#                  [BACKENDS] [MPI_RANKS <n...>] [TIMEOUT <s>] [LIBS <targets...>])
#
# Without BACKENDS: one executable test_<name>, one ctest entry <name>.
# With BACKENDS: the same sources are compiled once per enabled Kokkos backend with
#   CELESTE_TEST_BACKEND_<BACKEND> defined (tests/harness/test_backend.hpp turns that into
#   TestExecSpace); Serial runs once, OpenMP at 1 and 2 threads:
#   <name>.serial, <name>.openmp.t1, <name>.openmp.t2 (label `backends` added).
# With MPI_RANKS: run under mpiexec at each rank count: <name>.np<n> (label `mpi` added).
# Every test gets OMP_PROC_BIND=false (tests share 2 cores) and CELESTE_SOURCE_DIR.
function(celeste_add_test)
  cmake_parse_arguments(T "BACKENDS" "NAME;TIMEOUT" "SOURCES;LABELS;MPI_RANKS;LIBS;ARGS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
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
