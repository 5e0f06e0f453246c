//===- TensorIO.h - the plan's tensor bytes as host arrays ------*- C++ -*-===//

#ifndef WAFER_LIB_RUNTIME_TENSORIO_H
#define WAFER_LIB_RUNTIME_TENSORIO_H

#include <string>

#include "wafer/Runtime/Runtime.h"

namespace wafer::runtime {

/// Decodes little-endian row-major bytes into `out` (whose type and shape
/// are set); a single element is a splat.
absl::Status decode(const std::string &bytes, Array &out);

} // namespace wafer::runtime

#endif // WAFER_LIB_RUNTIME_TENSORIO_H
