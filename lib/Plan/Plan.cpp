//===- Plan.cpp - load, save and convert plans ----------------------------===//

#include "wafer/Plan/Plan.h"

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver_util.h"

namespace wafer::plan {

absl::StatusOr<std::string> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(absl::StrCat("cannot open '", path, "'"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::StatusOr<Plan> loadPlan(const std::string &path) {
  absl::StatusOr<std::string> read = readFile(path);
  if (!read.ok())
    return absl::NotFoundError(absl::StrCat("cannot open plan '", path, "'"));
  const std::string &bytes = *read;
  Plan plan;
  size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && bytes[first] == '{') {
    google::protobuf::util::JsonParseOptions options;
    auto status =
        google::protobuf::util::JsonStringToMessage(bytes, &plan, options);
    if (!status.ok())
      return absl::InvalidArgumentError(absl::StrCat(
          "'", path,
          "' is not a valid JSON plan: ", std::string(status.message())));
  } else if (!plan.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", path, "' is not a valid plan (truncated or corrupt?)"));
  }
  if (plan.format_version() != kFormatVersion)
    return absl::FailedPreconditionError(
        absl::StrCat("plan '", path, "' has format version ",
                     plan.format_version(), "; this wafer-run reads version ",
                     kFormatVersion, ": recompile the model"));
  return plan;
}

absl::StatusOr<std::string> serializePlan(const Plan &plan, bool json) {
  // Deterministic bytes: map entries (kernel attributes) in key order, so
  // the same model always gives the same plan, binary or JSON.
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    if (!plan.SerializeToCodedStream(&coded))
      return absl::InternalError("cannot serialize the plan");
  }
  if (json) {
    // The JSON printer reads the (ordered) wire bytes.
    std::unique_ptr<google::protobuf::util::TypeResolver> resolver(
        google::protobuf::util::NewTypeResolverForDescriptorPool(
            "type.googleapis.com",
            google::protobuf::DescriptorPool::generated_pool()));
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    options.preserve_proto_field_names = true;
    std::string text;
    auto status = google::protobuf::util::BinaryToJsonString(
        resolver.get(), "type.googleapis.com/wafer.plan.Plan", bytes, &text,
        options);
    if (!status.ok())
      return absl::InternalError(std::string(status.message()));
    bytes = std::move(text);
  }
  return bytes;
}

absl::Status savePlan(const Plan &plan, const std::string &path) {
  bool json = path.size() >= 5 && path.substr(path.size() - 5) == ".json";
  absl::StatusOr<std::string> serialized = serializePlan(plan, json);
  if (!serialized.ok())
    return serialized.status();
  const std::string &bytes = *serialized;
  if (path == "-") {
    fwrite(bytes.data(), 1, bytes.size(), stdout);
    return absl::OkStatus();
  }
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out)
      return absl::PermissionDeniedError(
          absl::StrCat("cannot write '", temporary, "'"));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out)
      return absl::DataLossError(
          absl::StrCat("short write to '", temporary, "'"));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    return absl::PermissionDeniedError(
        absl::StrCat("cannot rename '", temporary, "' to '", path, "'"));
  }
  return absl::OkStatus();
}

Rect toRect(const Region &r) {
  return Rect{r.x(), r.y(), r.width(), r.height()};
}

void fromRect(const Rect &rect, Region &r) {
  r.set_x(rect.x);
  r.set_y(rect.y);
  r.set_width(rect.width);
  r.set_height(rect.height);
}

TargetDesc toTargetDesc(const Target &t) {
  TargetDesc d;
  d.name = t.name();
  d.rows = t.rows();
  d.cols = t.cols();
  d.usable = toRect(t.usable());
  d.sramBytes = t.sram_bytes();
  d.sramReserveBytes = t.sram_reserve_bytes();
  d.clockMHz = t.clock_mhz();
  d.fp32FlopsPerCycle = t.fp32_flops_per_cycle();
  d.fp16FlopsPerCycle = t.fp16_flops_per_cycle();
  d.linkBytesPerCycle = t.link_bytes_per_cycle();
  d.colors = t.colors();
  d.reservedColors = t.reserved_colors();
  d.inputQueues = t.input_queues();
  d.edgeIOBytesPerSecond = t.edge_io_bytes_per_second();
  d.weightMemoryBytesPerSecond = t.weight_memory_bytes_per_second();
  d.weightMemoryBytes = t.weight_memory_bytes();
  return d;
}

void fromTargetDesc(const TargetDesc &d, Target &t) {
  t.set_name(d.name);
  t.set_rows(d.rows);
  t.set_cols(d.cols);
  fromRect(d.usable, *t.mutable_usable());
  t.set_sram_bytes(d.sramBytes);
  t.set_sram_reserve_bytes(d.sramReserveBytes);
  t.set_clock_mhz(d.clockMHz);
  t.set_fp32_flops_per_cycle(d.fp32FlopsPerCycle);
  t.set_fp16_flops_per_cycle(d.fp16FlopsPerCycle);
  t.set_link_bytes_per_cycle(d.linkBytesPerCycle);
  t.set_colors(d.colors);
  t.set_reserved_colors(d.reservedColors);
  t.set_input_queues(d.inputQueues);
  t.set_edge_io_bytes_per_second(d.edgeIOBytesPerSecond);
  t.set_weight_memory_bytes_per_second(d.weightMemoryBytesPerSecond);
  t.set_weight_memory_bytes(d.weightMemoryBytes);
}

int64_t elementBytes(ElementType type) {
  switch (type) {
  case F32:
  case I32:
    return 4;
  case F16:
  case BF16:
    return 2;
  case I64:
    return 8;
  case I8:
  case I1:
    return 1;
  default:
    return 0;
  }
}

} // namespace wafer::plan
