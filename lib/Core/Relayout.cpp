//===- Relayout.cpp - kernels that move data between a layer's PEs --------===//

#include "wafer/Core/Relayout.h"

#include <algorithm>

namespace wafer::core {
namespace {

/// Rows of the last dimension (a scalar is one row).
int64_t rowsOf(const std::vector<int64_t> &shape) {
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < shape.size(); ++d)
    rows *= shape[d];
  return rows;
}

int64_t lastOf(const std::vector<int64_t> &shape) {
  return shape.empty() ? 1 : shape.back();
}

} // namespace

bool movesBetweenPes(std::string_view op,
                     const std::vector<std::vector<int64_t>> &operandShapes,
                     const std::vector<int64_t> &resultShape, int64_t gridRows,
                     int64_t gridCols) {
  if (op == "wafer.transpose" || op == "wafer.gather")
    return true;
  if (operandShapes.empty())
    return false;
  // Off a product's grid into whole rows (a split along the columns keeps
  // its pieces in the blocks; the product itself writes the grid).
  auto onGrid = [&](const std::vector<int64_t> &shape) {
    return gridCols > 0 && shape.size() >= 2 && lastOf(shape) == gridCols &&
           rowsOf(shape) == gridRows;
  };
  if (!onGrid(resultShape) && op != "wafer.split" && op != "wafer.matmul" &&
      std::any_of(operandShapes.begin(), operandShapes.end(), onGrid))
    return true;
  const std::vector<int64_t> &input = operandShapes.front();
  // Rows stay whole and in order: the same rows, cut or joined along the
  // last dimension, stay where they are.
  if (op == "wafer.reshape")
    return lastOf(input) != lastOf(resultShape);
  if (op == "wafer.slice" || op == "wafer.concat") {
    for (const std::vector<int64_t> &shape : operandShapes)
      if (rowsOf(shape) != rowsOf(resultShape))
        return true;
    return false;
  }
  return false;
}

} // namespace wafer::core
