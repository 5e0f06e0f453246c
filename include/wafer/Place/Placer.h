//===- Placer.h - layers onto the PE grid, weight-stream schedule -*- C++
//-*-===//
//
// Two execution modes (docs/placement.md):
//
// * pipelined: every layer resident on its own rectangle, all running at
//   once; the slowest layer sets the step time. Binary search on that stage
//   time; for each candidate, the smallest area per layer that meets it and
//   holds the layer's weights and activations; layers packed in program
//   order into vertical strips laid out serpentine, strip breaks chosen by
//   dynamic programming to use the least width; leftover width then goes to
//   the strips.
// * weight streaming: layers run in turn over the whole usable grid while
//   their weights stream in from off-wafer memory as tiles into two buffer
//   slots per PE, so the next tiles arrive while the current ones compute.
//
// MLIR-free and deterministic: the same input gives the same placement.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_PLACE_PLACER_H
#define WAFER_PLACE_PLACER_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "wafer/Core/CostModel.h"
#include "wafer/Core/StreamSchedule.h"

namespace wafer::place {

// The placer decides in the core's terms.
using core::CostModel;
using core::LayerSpec;
using core::StreamTile;

enum class Mode { pipelined, weightStreaming };
const char *modeName(Mode mode);

struct PlacedLayer {
  std::string name;
  Rect region;
  int64_t sramBytesPerPE = 0; // Resident weights, activations, slots.
  int64_t startCycle = 0;     // Weight streaming: when it starts computing.
  int64_t cycles = 0;         // Modeled cycles for one step.
  std::vector<StreamTile> tiles;
};

struct Placement {
  Mode mode = Mode::pipelined;
  std::vector<PlacedLayer> layers;
  int64_t predictedCycles = 0;  // Step time (pipelined: the bottleneck).
  int64_t lowerBoundCycles = 0; // What no placement can beat.
  int64_t slotBytesPerPE = 0;   // Weight streaming: each of two slots.
  int64_t passes = 1;           // Weight streaming: batch tiles.
};

struct PlaceOptions {
  std::optional<Mode> mode; // Unset: pipelined when everything fits.
  /// Layers pinned to a rectangle by the user (pipelined mode).
  std::vector<std::pair<std::string, Rect>> pins;
  /// Bytes that stay on the wafer between layers beside each layer's own
  /// (a training step's forward activations, kept for the backward layers;
  /// LayerAnalysis::getMostHeld), spread over every PE (weight streaming).
  int64_t heldBytes = 0;
};

/// The payload of the error of a training step whose held activations do
/// not fit: how many times smaller its batch must be (a decimal integer).
inline constexpr const char kMicroBatchFactorPayload[] =
    "wafer.micro_batch_factor";

/// Parses a pin `LAYER@X,Y,WxH` (the last '@' separates the layer name).
absl::StatusOr<std::pair<std::string, Rect>> parsePin(std::string_view text);

/// Places `layers` on `target`. Errors name the layer and the numbers.
absl::StatusOr<Placement> placeLayers(const TargetDesc &target,
                                      const std::vector<LayerSpec> &layers,
                                      const PlaceOptions &options);

/// Whether the whole model fits in SRAM for pipelined execution.
bool fitsPipelined(const TargetDesc &target,
                   const std::vector<LayerSpec> &layers);

absl::StatusOr<Placement> placePipelined(const TargetDesc &target,
                                         const std::vector<LayerSpec> &layers,
                                         const PlaceOptions &options);
/// `heldBytes`: as PlaceOptions::heldBytes.
absl::StatusOr<Placement>
scheduleWeightStreaming(const TargetDesc &target,
                        const std::vector<LayerSpec> &layers,
                        int64_t heldBytes = 0);

} // namespace wafer::place

#endif // WAFER_PLACE_PLACER_H
