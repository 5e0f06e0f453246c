//===- PlacementCheck.h - the one check of a placement ----------*- C++ -*-===//
//
// Whether layers placed on a target keep its rules: every region within the
// usable grid and every PE's SRAM within its budget; pipelined, regions
// apart and nothing streamed; weight streaming, each layer's weights
// streamed whole, in order, each tile used only after it arrives and each
// of the two slots holding one tile at a time. The spatial verifier
// (`wafer-verify-spatial`) and wafer-run's plan check both ask it, so a
// placement is held to one set of rules in the IR and in the plan.
// MLIR-free, like route::checkRouting beside it.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_CORE_PLACEMENTCHECK_H
#define WAFER_CORE_PLACEMENTCHECK_H

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wafer/Core/StreamSchedule.h"
#include "wafer/Target/TargetDesc.h"

namespace wafer::core {

/// One placed layer as the check reads it.
struct PlacedLayerRecord {
  std::string name;
  Rect region;
  int64_t sramBytesPerPe = 0;
  std::vector<StreamTile> tiles;
  /// The weights it reads (name, bytes): all of them stream in, in weight
  /// streaming.
  std::vector<std::pair<std::string, int64_t>> weights;
};

/// What is wrong, and where: the layer and, for a tile's fault, the tile
/// (indices into the records and their tiles; -1 none).
struct PlacementProblem {
  int64_t layer = -1, tile = -1;
  std::string message;
};

std::optional<PlacementProblem>
checkPlacement(const TargetDesc &target, bool pipelined,
               const std::vector<PlacedLayerRecord> &layers);

} // namespace wafer::core

#endif // WAFER_CORE_PLACEMENTCHECK_H
