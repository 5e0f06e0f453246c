//===- Plan.h - the executable plan: load, save, validate -------*- C++ -*-===//
//
// The plan schema is lib/Plan/plan.proto. Plans are written as binary
// protobuf (*.wplan) or, for tests and debugging, protobuf JSON (*.json).
// MLIR-free: wafer-run links this.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_PLAN_PLAN_H
#define WAFER_PLAN_PLAN_H

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wafer/Plan/plan.pb.h"
#include "wafer/Target/TargetDesc.h"

namespace wafer::plan {

/// The format this build reads and writes.
constexpr uint32_t kFormatVersion = 4;

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

/// The whole contents of a file.
absl::StatusOr<std::string> readFile(const std::string &path);

/// Bytes of one element.
int64_t elementBytes(ElementType type);

} // namespace wafer::plan

#endif // WAFER_PLAN_PLAN_H
