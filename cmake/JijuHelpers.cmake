# Jiju's build helpers (as nng's cmake/NNGHelpers.cmake): every service and
# every unit test is declared the same way, with its sources listed.
include(GNUInstallDirs)

# jiju_service(NAME jiju-x LIB jiju_x_lib SOURCES a.c b.c... [LIBS libs...])
# A service: its logic in a static library (what its unit tests link), its
# main.c in the program, which is installed into ${CMAKE_INSTALL_BINDIR}.
function(jiju_service)
  cmake_parse_arguments(S "" "NAME;LIB" "SOURCES;LIBS" ${ARGN})
  add_library(${S_LIB} STATIC ${S_SOURCES})
  target_include_directories(${S_LIB} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${S_LIB} PUBLIC jiju_common ${S_LIBS})
  add_executable(${S_NAME} main.c)
  target_link_libraries(${S_NAME} PRIVATE ${S_LIB})
  install(TARGETS ${S_NAME} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()

# jiju_test(NAME SOURCES files... [LIBS libs...] [TIMEOUT s]): one cmocka
# executable per module, linking jiju_common and only the libraries named
# (what it tests), so a test that reaches into another layer fails to link.
function(jiju_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} jiju_common PkgConfig::CMOCKA)
  target_compile_definitions(${name} PRIVATE JIJU_BIN_DIR="${CMAKE_BINARY_DIR}"
    JIJU_SRC_DIR="${CMAKE_SOURCE_DIR}")
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT})
endfunction()

# jiju_private_proto(LIB file.proto): a service's own reading of messages of
# the contract (the same wire format, declared with fewer fields or with a
# nested message as bytes, so that decoding costs only what the service
# uses), generated into the build tree and compiled into LIB. The contract
# in proto/ stays what every other reader sees; the private file imports it.
function(jiju_private_proto lib proto)
  get_filename_component(n ${proto} NAME_WE)
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/${proto})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/proto)
  add_custom_command(OUTPUT ${out}/${n}.pb-c.c ${out}/${n}.pb-c.h
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out}
    COMMAND ${PROTOC_C} -I${CMAKE_CURRENT_SOURCE_DIR} -I${CMAKE_SOURCE_DIR}/proto --c_out=${out} ${src}
    DEPENDS ${src} ${JIJU_PROTOS}
    COMMENT "protoc-c ${proto} (private to ${lib})")
  set_source_files_properties(${out}/${n}.pb-c.c PROPERTIES COMPILE_OPTIONS -w)
  target_sources(${lib} PRIVATE ${out}/${n}.pb-c.c)
  target_include_directories(${lib} PUBLIC ${out})
endfunction()
