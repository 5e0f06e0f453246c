//===- Version.h - the version every wafer tool reports ---------*- C++ -*-===//
//
// MLIR-free: wafer-run reports it too.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_SUPPORT_VERSION_H
#define WAFER_SUPPORT_VERSION_H

namespace wafer {

/// The project's version ("0.1.0"), from CMake's project().
const char *version();

} // namespace wafer

#endif // WAFER_SUPPORT_VERSION_H
