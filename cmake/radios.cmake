# The radio registry. Each radio is a folder with its own CMakeLists.txt
# that builds kda::<folder> and defines `const kda::Radio& kda::<folder>::radio()`
# (kda/core/radio.h); kda_add_radio() builds the folder when its option is on
# and registers it. kda_radio_registry() then writes the registry (the
# kda::radios library) that kdad and kda-target link: TCP and loopback first,
# then the radios in the order they were added.

set(KDA_RADIO_DECLARATIONS "")
set(KDA_RADIO_LIST "&kda::tcp_radio(), &kda::loopback_radio()")
set(KDA_RADIO_LIBRARIES "")

# kda_add_radio(<folder> <OPTION> "<what it is>")
macro(kda_add_radio folder option description)
  option(${option} "Build and register ${description}" ON)
  if(${option})
    add_subdirectory(${folder})
    if(TARGET kda_${folder})
      string(APPEND KDA_RADIO_DECLARATIONS "namespace kda::${folder} { const Radio& radio(); }\n")
      string(APPEND KDA_RADIO_LIST ", &kda::${folder}::radio()")
      list(APPEND KDA_RADIO_LIBRARIES kda::${folder})
    endif()
  endif()
endmacro()

function(kda_radio_registry)
  if(NOT TARGET kda_core OR KDA_FUZZ)
    return()
  endif()
  configure_file(${PROJECT_SOURCE_DIR}/cmake/radios.cc.in ${PROJECT_BINARY_DIR}/generated/radios.cc @ONLY)
  add_library(kda_radios STATIC ${PROJECT_BINARY_DIR}/generated/radios.cc)
  add_library(kda::radios ALIAS kda_radios)
  target_link_libraries(kda_radios PUBLIC kda::core ${KDA_RADIO_LIBRARIES})
endfunction()
