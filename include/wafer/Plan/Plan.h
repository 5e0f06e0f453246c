//===- Plan.h - the executable plan: load, save, validate -------*- C++ -*-===//
//
// The plan schema is lib/Plan/plan.proto. Plans are written as binary
// protobuf (*.wplan) or, for tests and debugging, protobuf JSON (*.json).
// MLIR-free: wafer-run links this.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_PLAN_PLAN_H
#define WAFER_PLAN_PLAN_H

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wafer/Core/DataParallel.h"
#include "wafer/Core/LayerSpec.h"
#include "wafer/Core/Layout.h"
#include "wafer/Core/Optimizer.h"
#include "wafer/Core/Tiling.h"
#include "wafer/Plan/plan.pb.h"
#include "wafer/Route/Router.h"
#include "wafer/Target/TargetDesc.h"

namespace wafer::plan {

/// The format this build reads and writes.
constexpr uint32_t kFormatVersion = 5;

/// Reads a plan; JSON when the file starts with '{', binary otherwise.
/// Refuses other format versions.
absl::StatusOr<Plan> loadPlan(const std::string &path);

/// A plan's bytes, binary or JSON, deterministic: the same plan always
/// gives the same bytes.
absl::StatusOr<std::string> serializePlan(const Plan &plan, bool json);

/// Writes a plan atomically (temporary file, then rename); JSON when `path`
/// ends in ".json".
absl::Status savePlan(const Plan &plan, const std::string &path);

TargetDesc toTargetDesc(const Target &target);
void fromTargetDesc(const TargetDesc &desc, Target &target);
Rect toRect(const Region &region);
void fromRect(const Rect &rect, Region &region);

// The core's records as the plan holds them, each converted in one place.
/// A layer's LayerSpec (named as the layer).
core::LayerSpec toLayerSpec(const Layer &layer);
core::OptimizerSpec toOptimizerSpec(const Optimizer &optimizer);
void fromOptimizerSpec(const core::OptimizerSpec &spec, Optimizer &out);
/// The plan's batch split: its DataParallel, or one part of the first
/// input's rows on one wafer when it has none.
core::BatchSplit toBatchSplit(const Plan &plan);
/// The plan's reduction steps (none without DataParallel).
std::vector<core::ReduceStep> toReduction(const Plan &plan);
/// How output `index` combines across parts (CONCAT without DataParallel).
Combine outputCombine(const Plan &plan, int index);
/// The position of tensor `id` among the plan's outputs, or -1.
int outputIndex(const Plan &plan, int64_t id);
void fromLayerSpec(const core::LayerSpec &spec, LayerSpec &out);
core::SummaTiling toSummaTiling(const SummaTiling &tiling);
void fromSummaTiling(const core::SummaTiling &tiling, SummaTiling &out);
core::AttentionTiling toAttentionTiling(const AttentionTiling &tiling);
void fromAttentionTiling(const core::AttentionTiling &tiling,
                         AttentionTiling &out);
core::HeldTensor toHeldTensor(const HeldTensor &held);
void fromHeldTensor(const core::HeldTensor &held, HeldTensor &out);
plan::FlowKind toFlowKind(route::FlowKind kind);
/// The router's kind of a plan's flow kind (FLOW_KIND_UNSPECIFIED has none).
std::optional<route::FlowKind> fromFlowKind(plan::FlowKind kind);
/// "row-broadcast" and the like, as the tools print it.
const char *flowKindName(plan::FlowKind kind);
/// "pipelined" or "weight-streaming", as the tools print it.
const char *modeName(Mode mode);

/// The whole contents of a file.
absl::StatusOr<std::string> readFile(const std::string &path);

/// Bytes of one element.
int64_t elementBytes(ElementType type);

} // namespace wafer::plan

#endif // WAFER_PLAN_PLAN_H
