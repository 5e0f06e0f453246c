# Installs wafer's libraries, headers and tools, and exports them so that a
# downstream project can find_package(Wafer) and link Wafer::WaferRegistration.
include(CMakePackageConfigHelpers)

set(WAFER_LIBRARIES WaferSupport WaferTarget WaferSemantics WaferCore WaferPlace WaferRoute WaferDialect WaferAnalysis WaferTransforms
  WaferRegistration
  WaferOnnxLoader WaferOnnxImport)
foreach(lib ${WAFER_LIBRARIES})
  target_include_directories(${lib} PUBLIC
    $<BUILD_INTERFACE:${WAFER_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${WAFER_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:include>)
endforeach()

install(TARGETS ${WAFER_LIBRARIES}
  EXPORT WaferTargets
  ARCHIVE DESTINATION lib
  LIBRARY DESTINATION lib)
install(DIRECTORY ${WAFER_SOURCE_DIR}/include/wafer
  DESTINATION include FILES_MATCHING PATTERN "*.h")
install(DIRECTORY ${WAFER_BINARY_DIR}/include/wafer
  DESTINATION include FILES_MATCHING PATTERN "*.inc"
  PATTERN "CMakeFiles" EXCLUDE)

set(WAFER_INSTALL_CMAKE_DIR lib/cmake/wafer)
install(EXPORT WaferTargets NAMESPACE Wafer::
  DESTINATION ${WAFER_INSTALL_CMAKE_DIR})
configure_package_config_file(
  ${WAFER_SOURCE_DIR}/cmake/WaferConfig.cmake.in
  ${WAFER_BINARY_DIR}/lib/cmake/wafer/WaferConfig.cmake
  INSTALL_DESTINATION ${WAFER_INSTALL_CMAKE_DIR})
write_basic_package_version_file(
  ${WAFER_BINARY_DIR}/lib/cmake/wafer/WaferConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES
  ${WAFER_BINARY_DIR}/lib/cmake/wafer/WaferConfig.cmake
  ${WAFER_BINARY_DIR}/lib/cmake/wafer/WaferConfigVersion.cmake
  DESTINATION ${WAFER_INSTALL_CMAKE_DIR})
