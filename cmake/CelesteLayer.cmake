# celeste_layer(NAME <folder> [SOURCES ...] [DEPENDS <targets>...])
#
# One static library per src/ folder, celeste_<folder>, whose headers are visible only to the
# targets that link it: the include root of a layer is ${PROJECT_BINARY_DIR}/layers/<folder>,
# which holds a single link <folder> -> src/<folder>. A file can therefore #include
# "<other>/x.hpp" only when its layer DEPENDS (directly or transitively) on celeste_<other>; a
# wrong-direction include fails to compile (tests/layering checks it). A folder without .cpp
# files is an INTERFACE library.
function(celeste_layer)
  cmake_parse_arguments(L "" "NAME" "SOURCES;DEPENDS" ${ARGN})
  set(target celeste_${L_NAME})
  set(view ${PROJECT_BINARY_DIR}/layers/${L_NAME})
  file(MAKE_DIRECTORY ${view})
  if(NOT EXISTS ${view}/${L_NAME})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${L_NAME} ${view}/${L_NAME} SYMBOLIC)
  endif()
  if(L_SOURCES)
    add_library(${target} STATIC ${L_SOURCES})
    set(scope PUBLIC)
    target_compile_options(${target} PRIVATE -Wall -Wextra)
  else()
    add_library(${target} INTERFACE)
    set(scope INTERFACE)
  endif()
  target_include_directories(${target} ${scope}
    $<BUILD_INTERFACE:${view}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/celeste_core>)
  target_link_libraries(${target} ${scope} celeste_kernels ${L_DEPENDS})
  set_property(GLOBAL APPEND PROPERTY CELESTE_LAYERS ${target})
endfunction()
