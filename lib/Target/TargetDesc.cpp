//===- TargetDesc.cpp - Wafer-scale target presets and parsing ------------===//
//
// Preset values and their sources are documented in docs/targets.md.
//
//===----------------------------------------------------------------------===//

#include "wafer/Target/TargetDesc.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace wafer {
namespace {

/// One overridable field: its key and where it lives in a TargetDesc.
struct Field {
  const char *key;
  int64_t TargetDesc::*member; // Set for plain fields.
  int64_t Rect::*rectMember;   // Set for the usable rectangle's fields.
};

const Field kFields[] = {
    {"rows", &TargetDesc::rows, nullptr},
    {"cols", &TargetDesc::cols, nullptr},
    {"usable_x", nullptr, &Rect::x},
    {"usable_y", nullptr, &Rect::y},
    {"usable_width", nullptr, &Rect::width},
    {"usable_height", nullptr, &Rect::height},
    {"sram_bytes", &TargetDesc::sramBytes, nullptr},
    {"sram_reserve_bytes", &TargetDesc::sramReserveBytes, nullptr},
    {"clock_mhz", &TargetDesc::clockMHz, nullptr},
    {"fp32_flops_per_cycle", &TargetDesc::fp32FlopsPerCycle, nullptr},
    {"fp16_flops_per_cycle", &TargetDesc::fp16FlopsPerCycle, nullptr},
    {"link_bytes_per_cycle", &TargetDesc::linkBytesPerCycle, nullptr},
    {"colors", &TargetDesc::colors, nullptr},
    {"reserved_colors", &TargetDesc::reservedColors, nullptr},
    {"input_queues", &TargetDesc::inputQueues, nullptr},
    {"edge_io_bytes_per_second", &TargetDesc::edgeIOBytesPerSecond, nullptr},
    {"weight_memory_bytes_per_second",
     &TargetDesc::weightMemoryBytesPerSecond, nullptr},
    {"weight_memory_bytes", &TargetDesc::weightMemoryBytes, nullptr},
    {"fabric_level_ns", &TargetDesc::fabricLevelNs, nullptr},
};

int64_t &fieldRef(TargetDesc &desc, const Field &field) {
  return field.member ? desc.*field.member : desc.usable.*field.rectMember;
}

/// WSE-2 (CS-2): 757 x 996 fabric as exposed by the SDK, 750 x 994 usable
/// with the memcpy halo at offset (4, 1).
TargetDesc makeWse2() {
  TargetDesc d;
  d.name = "wse2";
  d.rows = 996;
  d.cols = 757;
  d.usable = Rect{4, 1, 750, 994};
  d.sramBytes = 48 * 1024;
  d.sramReserveBytes = 6 * 1024;
  d.clockMHz = 1100;
  d.fp32FlopsPerCycle = 2;  // One FP32 FMAC per cycle.
  d.fp16FlopsPerCycle = 8;  // Four-wide FP16 SIMD FMAC.
  d.linkBytesPerCycle = 4;  // One 32-bit wavelet per cycle.
  d.colors = 24;
  d.reservedColors = 6;     // Taken by SdkRuntime/memcpy.
  d.inputQueues = 24;       // WSE-2 binds data tasks to colors directly.
  d.edgeIOBytesPerSecond = 150'000'000'000;
  d.weightMemoryBytesPerSecond = 150'000'000'000;
  d.weightMemoryBytes = 4'000'000'000'000; // Smallest MemoryX (4 TB).
  return d;
}

/// WSE-3 (CS-3): 762 x 1172 fabric, 755 x 1170 usable.
TargetDesc makeWse3() {
  TargetDesc d = makeWse2();
  d.name = "wse3";
  d.rows = 1172;
  d.cols = 762;
  d.usable = Rect{4, 1, 755, 1170};
  d.fp16FlopsPerCycle = 16; // Eight-wide FP16 SIMD FMAC.
  d.inputQueues = 8;        // Data tasks bind to 8 input queues.
  d.weightMemoryBytes = 12'000'000'000'000; // 12 TB MemoryX option.
  return d;
}

// Debian's Abseil has its own string_view type; convert at the API boundary.
absl::string_view toAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

absl::StatusOr<int64_t> parseValue(absl::string_view key,
                                   absl::string_view text) {
  int64_t value;
  if (absl::SimpleAtoi(text, &value))
    return value;
  // Accept scientific notation for large rates (150e9) when it is integral.
  double real;
  if (absl::SimpleAtod(text, &real) && std::isfinite(real) &&
      real == std::floor(real) &&
      std::fabs(real) < static_cast<double>(std::numeric_limits<int64_t>::max()))
    return static_cast<int64_t>(real);
  return absl::InvalidArgumentError(absl::StrCat(
      "target key '", key, "' needs an integer value, found '", text, "'"));
}

} // namespace

std::string TargetDesc::validate() const {
  // Upper limits far beyond any wafer built or announced, so that a typo or a
  // hostile target is refused at once instead of costing time and memory
  // that grow with it (docs/targets.md).
  for (auto [what, v, limit] :
       {std::tuple<const char *, int64_t, int64_t>{"rows", rows,
                                                   kMaxFabricSide},
        {"cols", cols, kMaxFabricSide},
        {"sram_bytes", sramBytes, kMaxSramBytes},
        {"clock_mhz", clockMHz, 100'000},
        {"fp32_flops_per_cycle", fp32FlopsPerCycle, 4096},
        {"fp16_flops_per_cycle", fp16FlopsPerCycle, 4096},
        {"link_bytes_per_cycle", linkBytesPerCycle, 4096},
        {"colors", colors, 1024},
        {"edge_io_bytes_per_second", edgeIOBytesPerSecond, 1'000'000'000'000'000},
        {"weight_memory_bytes_per_second", weightMemoryBytesPerSecond,
         1'000'000'000'000'000},
        {"weight_memory_bytes", weightMemoryBytes,
         1'000'000'000'000'000'000},
        {"fabric_level_ns", fabricLevelNs, 1'000'000'000}})
    if (v > limit)
      return absl::StrCat(what, " must be at most ", limit, ", found ", v);
  auto positive = [](const char *what, int64_t v) -> std::string {
    return v > 0 ? "" : absl::StrCat(what, " must be positive, found ", v);
  };
  for (auto [what, v] :
       {std::pair<const char *, int64_t>{"rows", rows},
        {"cols", cols},
        {"usable_width", usable.width},
        {"usable_height", usable.height},
        {"sram_bytes", sramBytes},
        {"clock_mhz", clockMHz},
        {"fp32_flops_per_cycle", fp32FlopsPerCycle},
        {"fp16_flops_per_cycle", fp16FlopsPerCycle},
        {"link_bytes_per_cycle", linkBytesPerCycle},
        {"colors", colors},
        {"input_queues", inputQueues},
        {"edge_io_bytes_per_second", edgeIOBytesPerSecond},
        {"weight_memory_bytes_per_second", weightMemoryBytesPerSecond},
        {"weight_memory_bytes", weightMemoryBytes}})
    if (std::string err = positive(what, v); !err.empty())
      return err;
  if (usable.x < 0 || usable.y < 0 || usable.x + usable.width > cols ||
      usable.y + usable.height > rows)
    return absl::StrCat("usable rectangle at (", usable.x, ", ", usable.y,
                        ") of ", usable.width, "x", usable.height,
                        " does not fit the ", cols, "x", rows, " fabric");
  if (fabricLevelNs < 0)
    return absl::StrCat("fabric_level_ns must be at least 0, found ",
                        fabricLevelNs);
  if (sramReserveBytes < 0 || sramReserveBytes >= sramBytes)
    return absl::StrCat("sram_reserve_bytes must be in [0, ", sramBytes,
                        "), found ", sramReserveBytes);
  if (reservedColors < 0 || reservedColors >= colors)
    return absl::StrCat("reserved_colors must be in [0, ", colors,
                        "), found ", reservedColors);
  if (inputQueues > colors)
    return absl::StrCat("input_queues (", inputQueues,
                        ") cannot exceed colors (", colors, ")");
  return "";
}

bool TargetDesc::operator==(const TargetDesc &other) const {
  if (name != other.name || !(usable == other.usable))
    return false;
  for (const Field &field : kFields)
    if (field.member && this->*field.member != other.*field.member)
      return false;
  return true;
}

std::vector<std::string> targetPresetNames() { return {"wse2", "wse3"}; }

std::vector<std::string> targetOverrideKeys() {
  std::vector<std::string> keys;
  for (const Field &field : kFields)
    keys.push_back(field.key);
  return keys;
}

absl::StatusOr<TargetDesc> getTargetPreset(std::string_view name) {
  absl::string_view shown = toAbsl(name);
  if (name == "wse2")
    return makeWse2();
  if (name == "wse3")
    return makeWse3();
  return absl::NotFoundError(
      absl::StrCat("unknown target '", shown, "'; known targets: ",
                   absl::StrJoin(targetPresetNames(), ", ")));
}

absl::StatusOr<TargetDesc> parseTargetSpec(std::string_view specText) {
  absl::string_view spec = toAbsl(specText);
  absl::string_view name = spec, overrides;
  if (size_t colon = spec.find(':'); colon != absl::string_view::npos) {
    name = spec.substr(0, colon);
    overrides = spec.substr(colon + 1);
  }
  absl::StatusOr<TargetDesc> desc =
      getTargetPreset(std::string_view(name.data(), name.size()));
  if (!desc.ok())
    return desc.status();

  bool setGrid = false, setUsable = false;
  std::vector<absl::string_view> given;
  if (!overrides.empty()) {
    for (absl::string_view item : absl::StrSplit(overrides, ',')) {
      std::pair<absl::string_view, absl::string_view> kv =
          absl::StrSplit(item, absl::MaxSplits('=', 1));
      if (std::find(given.begin(), given.end(), kv.first) != given.end())
        return absl::InvalidArgumentError(absl::StrCat(
            "target key '", kv.first, "' is given twice in '", spec, "'"));
      given.push_back(kv.first);
      const Field *field = nullptr;
      for (const Field &candidate : kFields)
        if (kv.first == candidate.key)
          field = &candidate;
      if (!field)
        return absl::InvalidArgumentError(absl::StrCat(
            "unknown target key '", kv.first,
            "'; known keys: ", absl::StrJoin(targetOverrideKeys(), ", ")));
      absl::StatusOr<int64_t> value = parseValue(kv.first, kv.second);
      if (!value.ok())
        return value.status();
      fieldRef(*desc, *field) = *value;
      setGrid |= field->member == &TargetDesc::rows ||
                 field->member == &TargetDesc::cols;
      setUsable |= field->rectMember != nullptr;
    }
  }
  if (setGrid && !setUsable)
    desc->usable = Rect{0, 0, desc->cols, desc->rows};
  if (std::string err = desc->validate(); !err.empty())
    return absl::InvalidArgumentError(
        absl::StrCat("invalid target '", spec, "': ", err));
  return desc;
}

} // namespace wafer
