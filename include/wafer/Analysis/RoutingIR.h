//===- RoutingIR.h - routed level to and from the router's structs -*- C++ -*-===//

#ifndef WAFER_ANALYSIS_ROUTINGIR_H
#define WAFER_ANALYSIS_ROUTINGIR_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "wafer/Dialect/Wafer/WaferOps.h"
#include "wafer/Route/Router.h"

namespace wafer {

/// What a flow carries: a value (null for weight streams) and the layers it
/// leaves and enters (-1 for the wafer's edge).
struct FlowOrigin {
  mlir::Value value;
  int64_t sourceLayer = -1, destinationLayer = -1;
};

/// The flows a placed function needs: values that cross from one layer's
/// region to another's, inputs from the west edge, outputs to the east edge,
/// and, in weight-streaming mode, each layer's weight stream. `origins`, when
/// given, receives what each flow carries, in the same order.
std::vector<route::Flow> collectFlows(mlir::func::FuncOp func,
                                      PlacementOp placement,
                                      const TargetDesc &target,
                                      std::vector<FlowOrigin> *origins = nullptr);

/// Writes `routing` as a wafer.routing for `func` at the builder's point.
RoutingOp buildRouting(mlir::OpBuilder &builder, mlir::func::FuncOp func,
                       const route::Routing &routing);

/// Reads a wafer.routing back into the router's structs.
route::Routing readRouting(RoutingOp op);

} // namespace wafer

#endif // WAFER_ANALYSIS_ROUTINGIR_H
