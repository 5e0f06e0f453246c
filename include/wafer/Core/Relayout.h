//===- Relayout.h - kernels that move data between a layer's PEs -*- C++
//-*-===//
//
// Within a layer, wafer-run keeps a tensor where its layout puts it (whole
// rows of its last dimension spread over the region's PEs, or a product's or
// attention's blocks). A kernel that regroups those rows — a transpose, a
// reshape that changes the last dimension, a slice or concat that changes
// the number of rows, a gather of table rows — reads elements other PEs
// hold: its result crosses the region; so does one that reads a tensor laid
// out on a product's grid (its output's rows and columns) and writes one
// that is not (an unfused norm's row reduction). The compiler routes these
// bytes as
// the layer's `reshard` flow and wafer-run requires it; both decide with
// this one rule. MLIR-free.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_CORE_RELAYOUT_H
#define WAFER_CORE_RELAYOUT_H

#include <cstdint>
#include <string_view>
#include <vector>

namespace wafer::core {

/// Whether kernel `op` (e.g. "wafer.transpose") with operands of
/// `operandShapes` and a result of `resultShape` regroups its result's rows
/// across its layer's PEs. `gridRows` x `gridCols` are the rows and columns
/// of a product's output in the layer, which lays every tensor of as many
/// rows of as many columns out on its grid (0 x 0 without one).
bool movesBetweenPes(std::string_view op,
                     const std::vector<std::vector<int64_t>> &operandShapes,
                     const std::vector<int64_t> &resultShape,
                     int64_t gridRows = 0, int64_t gridCols = 0);

} // namespace wafer::core

#endif // WAFER_CORE_RELAYOUT_H
