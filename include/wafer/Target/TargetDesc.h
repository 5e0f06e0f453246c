//===- TargetDesc.h - Wafer-scale target description ------------*- C++ -*-===//
//
// The numbers the compiler, the cost model and the emulator know about a
// wafer-scale machine. This header does not depend on MLIR: the emulator and
// the plan reader link it too.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_TARGET_TARGETDESC_H
#define WAFER_TARGET_TARGETDESC_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace wafer {

/// A rectangle of PEs: (x, y) is its north-west corner (column, row).
struct Rect {
  int64_t x = 0;
  int64_t y = 0;
  int64_t width = 0;
  int64_t height = 0;

  int64_t area() const { return width * height; }
  bool contains(const Rect &other) const {
    return other.x >= x && other.y >= y &&
           other.x + other.width <= x + width &&
           other.y + other.height <= y + height;
  }
  bool overlaps(const Rect &other) const {
    return x < other.x + other.width && other.x < x + width &&
           y < other.y + other.height && other.y < y + height;
  }
  bool operator==(const Rect &other) const {
    return x == other.x && y == other.y && width == other.width &&
           height == other.height;
  }
};

/// The longest side of a fabric `validate` accepts: several times any wafer's
/// (WSE-3 is 762 x 1172), small enough that per-row and per-column work stays
/// cheap and no product of sizes overflows.
constexpr int64_t kMaxFabricSide = 16384;
/// The largest SRAM per PE `validate` accepts (WSE-3 has 48 KiB).
constexpr int64_t kMaxSramBytes = 64 * 1024 * 1024;

/// A wafer-scale target. Field names match the keys accepted in
/// `NAME:key=value` overrides and the parameters of `#wafer.target`.
struct TargetDesc {
  std::string name;
  int64_t rows = 0;                 // Fabric rows (y extent).
  int64_t cols = 0;                 // Fabric columns (x extent).
  Rect usable;                      // Rectangle a program may use.
  int64_t sramBytes = 0;            // SRAM per PE.
  int64_t sramReserveBytes = 0;     // Kept per PE for code and runtime.
  int64_t clockMHz = 0;             // PE clock.
  int64_t fp32FlopsPerCycle = 0;    // Per PE.
  int64_t fp16FlopsPerCycle = 0;    // Per PE.
  int64_t linkBytesPerCycle = 0;    // Per link and direction.
  int64_t colors = 0;               // Routable colors per router.
  int64_t reservedColors = 0;       // Colors taken by the runtime.
  int64_t inputQueues = 0;          // Colors one PE may terminate.
  int64_t edgeIOBytesPerSecond = 0; // Host <-> wafer.
  int64_t weightMemoryBytesPerSecond = 0; // Off-wafer weights -> wafer.
  int64_t weightMemoryBytes = 0;          // Off-wafer weight capacity.
  /// Latency of one level of the broadcast/reduce tree (SwarmX) between
  /// wafers and the weight store, in nanoseconds.
  int64_t fabricLevelNs = 2000;

  /// SRAM a PE offers to the program after the reserve.
  int64_t usableSramBytes() const { return sramBytes - sramReserveBytes; }
  /// Colors the router may assign.
  int64_t routableColors() const { return colors - reservedColors; }
  double clockHz() const { return static_cast<double>(clockMHz) * 1e6; }

  /// Returns an empty string when every field is consistent, otherwise a
  /// message that names the field and its numbers.
  std::string validate() const;

  bool operator==(const TargetDesc &other) const;
};

/// The preset names, in a stable order.
std::vector<std::string> targetPresetNames();

/// Returns the named preset (`wse2`, `wse3`).
absl::StatusOr<TargetDesc> getTargetPreset(std::string_view name);

/// Parses `NAME` or `NAME:key=value,key=value` (e.g. `wse3:rows=16,cols=16`).
/// Overriding `rows` or `cols` without any `usable_*` key makes the whole new
/// fabric usable. The result is validated.
absl::StatusOr<TargetDesc> parseTargetSpec(std::string_view spec);

/// The override keys `parseTargetSpec` accepts, in a stable order.
std::vector<std::string> targetOverrideKeys();

} // namespace wafer

#endif // WAFER_TARGET_TARGETDESC_H
