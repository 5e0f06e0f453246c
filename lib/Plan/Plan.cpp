//===- Plan.cpp - load, save and convert plans ----------------------------===//

#include "wafer/Plan/Plan.h"
#include "wafer/Support/OutputFile.h"

#include <cstdio>
#include <filesystem>
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
  // Only regular files: a FIFO or a device would hang or never end.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return absl::NotFoundError(
        absl::StrCat("cannot open '", path, "': not a regular file"));
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
  protectInput(path);
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
  if (std::string error = writeOutputFile(path, *serialized); !error.empty())
    return absl::PermissionDeniedError(error);
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
  d.fabricLevelNs = t.fabric_level_ns();
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
  t.set_fabric_level_ns(d.fabricLevelNs);
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

core::LayerSpec toLayerSpec(const Layer &layer) {
  const LayerSpec &in = layer.spec();
  core::LayerSpec spec;
  spec.name = layer.name();
  // The plan lists the core's kinds in its order, after
  // LAYER_KIND_UNSPECIFIED (a unit test checks the names).
  spec.kind = in.kind() >= EMBEDDING && in.kind() <= OTHER
                  ? static_cast<core::LayerKind>(in.kind() - EMBEDDING)
                  : core::LayerKind::other;
  spec.flops = in.flops();
  for (const LayerSpec::Weight &w : in.weights())
    spec.weights.emplace_back(w.name(), w.bytes());
  spec.constantBytes = in.constant_bytes();
  spec.inBytes = in.in_bytes();
  spec.outBytes = in.out_bytes();
  for (const LayerSpec::Input &i : in.inputs_from())
    spec.inputsFrom.emplace_back(i.layer(), i.bytes());
  spec.halfPrecision = in.half_precision();
  spec.m = in.m();
  spec.n = in.n();
  spec.k = in.k();
  spec.elementBytes = in.element_bytes();
  spec.normedLhs = in.normed_lhs();
  spec.rhsBatchRows = in.rhs_batch_rows();
  spec.columnVectors = in.column_vectors();
  spec.contractionVectors = in.contraction_vectors();
  spec.relayoutBytes = in.relayout_bytes();
  spec.outputBlocks = in.output_blocks();
  const LayerSpec::Attention &a = in.attention();
  spec.attention.batch = a.batch();
  spec.attention.queries = a.queries();
  spec.attention.keys = a.keys();
  spec.attention.heads = a.heads();
  spec.attention.kvHeads = a.kv_heads();
  spec.attention.headDim = a.head_dim();
  spec.attention.valueDim = a.value_dim();
  spec.attention.masked = a.masked();
  for (int d = 0; d < 4 && d < a.mask_varies_size(); ++d)
    spec.attention.maskVaries[d] = a.mask_varies(d);
  for (const LayerSpec::RowTensor &r : in.row_tensors())
    spec.rowTensors.push_back({r.rows(), r.row_bytes(), r.weight()});
  return spec;
}

void fromLayerSpec(const core::LayerSpec &spec, LayerSpec &out) {
  out.set_kind(
      static_cast<LayerKind>(static_cast<int>(spec.kind) + EMBEDDING));
  out.set_flops(spec.flops);
  for (const auto &[name, bytes] : spec.weights) {
    LayerSpec::Weight &w = *out.add_weights();
    w.set_name(name);
    w.set_bytes(bytes);
  }
  out.set_constant_bytes(spec.constantBytes);
  out.set_in_bytes(spec.inBytes);
  out.set_out_bytes(spec.outBytes);
  for (const auto &[layer, bytes] : spec.inputsFrom) {
    LayerSpec::Input &i = *out.add_inputs_from();
    i.set_layer(layer);
    i.set_bytes(bytes);
  }
  out.set_half_precision(spec.halfPrecision);
  out.set_m(spec.m);
  out.set_n(spec.n);
  out.set_k(spec.k);
  out.set_element_bytes(spec.elementBytes);
  out.set_normed_lhs(spec.normedLhs);
  out.set_rhs_batch_rows(spec.rhsBatchRows);
  out.set_column_vectors(spec.columnVectors);
  out.set_contraction_vectors(spec.contractionVectors);
  out.set_relayout_bytes(spec.relayoutBytes);
  out.set_output_blocks(spec.outputBlocks);
  if (spec.attention.valid()) {
    const core::LayerSpec::Attention &a = spec.attention;
    LayerSpec::Attention &t = *out.mutable_attention();
    t.set_batch(a.batch);
    t.set_queries(a.queries);
    t.set_keys(a.keys);
    t.set_heads(a.heads);
    t.set_kv_heads(a.kvHeads);
    t.set_head_dim(a.headDim);
    t.set_value_dim(a.valueDim);
    t.set_masked(a.masked);
    for (bool varies : a.maskVaries)
      t.add_mask_varies(varies);
  }
  for (const core::LayerSpec::RowTensor &r : spec.rowTensors) {
    LayerSpec::RowTensor &t = *out.add_row_tensors();
    t.set_rows(r.rows);
    t.set_row_bytes(r.rowBytes);
    t.set_weight(r.weight);
  }
}

core::SummaTiling toSummaTiling(const SummaTiling &tiling) {
  return core::SummaTiling{tiling.transposed(), tiling.grid_rows(),
                           tiling.grid_cols(), tiling.panels()};
}

void fromSummaTiling(const core::SummaTiling &tiling, SummaTiling &out) {
  out.set_transposed(tiling.transposed);
  out.set_grid_rows(tiling.gridRows);
  out.set_grid_cols(tiling.gridCols);
  out.set_panels(tiling.panels);
}

core::AttentionTiling toAttentionTiling(const AttentionTiling &tiling) {
  return core::AttentionTiling{tiling.grid_rows(),  tiling.grid_cols(),
                               tiling.key_chunks(), tiling.panels(),
                               tiling.key_blocks(), tiling.query_cols()};
}

void fromAttentionTiling(const core::AttentionTiling &tiling,
                         AttentionTiling &out) {
  out.set_grid_rows(tiling.gridRows);
  out.set_grid_cols(tiling.gridCols);
  out.set_panels(tiling.panels);
  out.set_key_chunks(tiling.keyChunks);
  out.set_key_blocks(tiling.keyBlocks);
  out.set_query_cols(tiling.queryCols);
}

// core::Layout and the plan's Layout list the same layouts in the same
// order (a unit test checks their names).
core::HeldTensor toHeldTensor(const HeldTensor &held) {
  core::HeldTensor out;
  out.tensor = held.tensor();
  out.layout = static_cast<core::Layout>(held.layout());
  out.firstColumn = held.first_column();
  out.columns = held.columns();
  return out;
}

void fromHeldTensor(const core::HeldTensor &held, HeldTensor &out) {
  out.set_tensor(held.tensor);
  out.set_layout(static_cast<Layout>(held.layout));
  out.set_first_column(held.firstColumn);
  out.set_columns(held.columns);
}

// The router's kinds in its order, after the plan's FLOW_KIND_UNSPECIFIED.
FlowKind toFlowKind(route::FlowKind kind) {
  return static_cast<FlowKind>(static_cast<int>(kind) + 1);
}

std::optional<route::FlowKind> fromFlowKind(FlowKind kind) {
  if (kind < ACTIVATION || kind > RESHARD)
    return std::nullopt;
  return static_cast<route::FlowKind>(static_cast<int>(kind) - 1);
}

const char *flowKindName(FlowKind kind) {
  std::optional<route::FlowKind> known = fromFlowKind(kind);
  return known ? route::flowKindName(*known) : "unspecified";
}

const char *modeName(Mode mode) {
  return mode == WEIGHT_STREAMING ? "weight-streaming" : "pipelined";
}

core::OptimizerSpec toOptimizerSpec(const Optimizer &o) {
  core::OptimizerSpec spec;
  spec.kind = o.kind() == SGD    ? core::OptimizerKind::sgd
              : o.kind() == ADAM ? core::OptimizerKind::adam
                                 : core::OptimizerKind::adamw;
  spec.lr = o.lr();
  spec.momentum = o.momentum();
  spec.dampening = o.dampening();
  spec.nesterov = o.nesterov();
  spec.weightDecay = o.weight_decay();
  spec.beta1 = o.beta1();
  spec.beta2 = o.beta2();
  spec.eps = o.eps();
  return spec;
}

void fromOptimizerSpec(const core::OptimizerSpec &spec, Optimizer &o) {
  o.set_kind(spec.kind == core::OptimizerKind::sgd    ? SGD
             : spec.kind == core::OptimizerKind::adam ? ADAM
                                                      : ADAMW);
  o.set_lr(spec.lr);
  o.set_momentum(spec.momentum);
  o.set_dampening(spec.dampening);
  o.set_nesterov(spec.nesterov);
  o.set_weight_decay(spec.weightDecay);
  o.set_beta1(spec.beta1);
  o.set_beta2(spec.beta2);
  o.set_eps(spec.eps);
}

core::BatchSplit toBatchSplit(const Plan &plan) {
  core::BatchSplit split;
  if (plan.has_data_parallel()) {
    const DataParallel &dp = plan.data_parallel();
    split.batch = dp.batch();
    split.partRows = dp.part_rows();
    split.waferParts.assign(dp.wafer_parts().begin(), dp.wafer_parts().end());
    return split;
  }
  const Tensor *first =
      plan.inputs_size() > 0 && plan.inputs(0) >= 0 &&
              plan.inputs(0) < plan.tensors_size()
          ? &plan.tensors(plan.inputs(0))
          : nullptr;
  split.batch = first && first->shape_size() > 0 ? first->shape(0) : 1;
  split.partRows = split.batch;
  return split;
}

std::vector<core::ReduceStep> toReduction(const Plan &plan) {
  std::vector<core::ReduceStep> steps;
  for (const ReduceStep &s : plan.data_parallel().reduction())
    steps.push_back({s.into(), s.from()});
  return steps;
}

Combine outputCombine(const Plan &plan, int index) {
  const auto &combine = plan.data_parallel().combine();
  return index >= 0 && index < combine.size()
             ? static_cast<Combine>(combine[index])
             : CONCAT;
}

int outputIndex(const Plan &plan, int64_t id) {
  for (int i = 0; i < plan.outputs_size(); ++i)
    if (plan.outputs(i) == id)
      return i;
  return -1;
}

} // namespace wafer::plan
