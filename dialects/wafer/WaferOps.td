//===- WaferOps.td - all wafer ops -------------------------*- tablegen -*-===//
//
// Collects every level's ops into one generated op list. Each level keeps its
// ops in its own file.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_OPS_TD
#define WAFER_OPS_TD

include "WaferGraphOps.td"
include "WaferSpatialOps.td"
include "WaferRoutedOps.td"

#endif // WAFER_OPS_TD
