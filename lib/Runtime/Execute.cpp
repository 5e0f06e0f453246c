//===- Execute.cpp - check, execute and time a plan -----------------------===//

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "Kernels.h"
#include "PeExecution.h"
#include "absl/strings/str_cat.h"
#include "onnx/onnx_pb.h"
#include "wafer/Core/CostModel.h"
#include "wafer/Core/StreamSchedule.h"
#include "wafer/Core/Relayout.h"
#include "wafer/Route/Router.h"
#include "wafer/Runtime/Runtime.h"

namespace wafer::runtime {

int64_t Array::size() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Array Array::zeros(plan::ElementType type, std::vector<int64_t> shape) {
  Array a;
  a.type = type;
  a.shape = std::move(shape);
  if (a.isFloat())
    a.floats.assign(a.size(), 0.0f);
  else
    a.ints.assign(a.size(), 0);
  return a;
}

namespace {

std::string kib(int64_t bytes) {
  return absl::StrCat((bytes + 1023) / 1024, " KiB");
}

float halfToFloat(uint16_t bits, bool bfloat) {
  if (bfloat) {
    uint32_t wide = static_cast<uint32_t>(bits) << 16;
    float f;
    std::memcpy(&f, &wide, 4);
    return f;
  }
  int sign = bits >> 15, exponent = (bits >> 10) & 31, mantissa = bits & 1023;
  float value;
  if (exponent == 0)
    value = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 31)
    value = mantissa ? NAN : INFINITY;
  else
    value = std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
  return sign ? -value : value;
}

/// Decodes little-endian row-major bytes into `out` (whose type and shape
/// are set); a single element is a splat.
absl::Status decode(const std::string &bytes, Array &out) {
  int64_t width = plan::elementBytes(out.type);
  int64_t n = out.size();
  bool splat = static_cast<int64_t>(bytes.size()) == width && n != 1;
  if (!splat && static_cast<int64_t>(bytes.size()) != n * width)
    return absl::DataLossError(absl::StrCat(
        "holds ", bytes.size(), " bytes, its shape needs ", n * width));
  const char *data = bytes.data();
  for (int64_t i = 0; i < n; ++i) {
    const char *p = data + (splat ? 0 : i * width);
    switch (out.type) {
    case plan::F32: {
      float v;
      std::memcpy(&v, p, 4);
      out.floats[i] = v;
      break;
    }
    case plan::F16:
    case plan::BF16: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      out.floats[i] = halfToFloat(v, out.type == plan::BF16);
      break;
    }
    case plan::I64: {
      int64_t v;
      std::memcpy(&v, p, 8);
      out.ints[i] = v;
      break;
    }
    case plan::I32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      out.ints[i] = v;
      break;
    }
    default:
      out.ints[i] =
          out.type == plan::I1 ? p[0] != 0 : static_cast<int8_t>(p[0]);
    }
  }
  return absl::OkStatus();
}

int64_t tensorBytes(const plan::Tensor &t) {
  int64_t n = 1;
  for (int64_t d : t.shape())
    n *= d;
  return n * plan::elementBytes(t.element_type());
}

route::Routing toRouting(const plan::Plan &plan) {
  route::Routing routing;
  TargetDesc target = plan::toTargetDesc(plan.target());
  routing.colorLimit = target.routableColors();
  for (const plan::Flow &f : plan.flows()) {
    route::RoutedFlow r;
    r.flow.name = f.name();
    for (route::FlowKind kind :
         {route::FlowKind::activation, route::FlowKind::input,
          route::FlowKind::output, route::FlowKind::weights,
          route::FlowKind::rowBroadcast, route::FlowKind::columnBroadcast,
          route::FlowKind::rowReduction, route::FlowKind::columnReduction,
          route::FlowKind::reshard})
      if (f.kind() == route::flowKindName(kind))
        r.flow.kind = kind;
    r.flow.source = plan::toRect(f.source());
    r.flow.destination = plan::toRect(f.destination());
    r.flow.bytes = f.bytes();
    r.flow.activeStart = f.active_start();
    r.flow.activeEnd = f.active_end();
    r.color = f.color();
    for (const plan::Segment &s : f.segments())
      r.segments.push_back(
          route::Segment{s.x(), s.y(), s.length(), s.lanes(),
                         static_cast<route::Direction>(s.direction() & 3)});
    routing.flows.push_back(std::move(r));
  }
  return routing;
}

} // namespace

std::vector<double> relayoutBytes(const plan::Plan &plan) {
  std::vector<double> bytes(plan.layers_size(), 0.0);
  for (const plan::Kernel &k : plan.kernels()) {
    if (k.layer() < 0 || k.layer() >= plan.layers_size() ||
        k.results_size() != 1 || k.results(0) < 0 ||
        k.results(0) >= plan.tensors_size())
      continue;
    std::vector<std::vector<int64_t>> operands;
    for (int64_t id : k.operands())
      if (id >= 0 && id < plan.tensors_size())
        operands.emplace_back(plan.tensors(id).shape().begin(),
                              plan.tensors(id).shape().end());
    const plan::Tensor &result = plan.tensors(k.results(0));
    std::vector<int64_t> shape(result.shape().begin(), result.shape().end());
    // A product's layer lays its output's m rows of n columns on its grid.
    const plan::Layer &layer = plan.layers(k.layer());
    bool grid = layer.has_summa() && layer.m() > 0 && layer.n() > 0;
    if (!core::movesBetweenPes(k.op(), operands, shape, grid ? layer.m() : 0,
                                grid ? layer.n() : 0))
      continue;
    double elements = 1;
    for (int64_t d : shape)
      elements *= static_cast<double>(d);
    bytes[k.layer()] += elements * plan::elementBytes(result.element_type());
  }
  return bytes;
}

core::LayerSpec layerSpec(const plan::Layer &l, bool normedLhs) {
  core::LayerSpec spec;
  spec.normedLhs = normedLhs;
  spec.name = l.name();
  spec.flops = l.flops();
  spec.m = l.m();
  spec.n = l.n();
  spec.k = l.k();
  spec.halfPrecision = l.half_precision();
  spec.elementBytes = l.element_bytes() ? l.element_bytes() : 4;
  spec.relayoutBytes = l.relayout_bytes();
  if (l.has_attention()) {
    const plan::AttentionTiling &t = l.attention();
    core::LayerSpec::Attention &a = spec.attention;
    a.batch = t.batch();
    a.queries = t.queries();
    a.keys = t.keys();
    a.heads = t.heads();
    a.kvHeads = t.kv_heads();
    a.headDim = t.head_dim();
    a.valueDim = t.value_dim();
  }
  return spec;
}

core::AttentionTiling attentionTilingOf(const plan::Layer &l) {
  const plan::AttentionTiling &a = l.attention();
  return core::AttentionTiling{a.grid_rows(), a.grid_cols(),  a.key_chunks(),
                                a.panels(),    a.key_blocks(), a.query_cols()};
}

absl::StatusOr<Array> readTensorFile(const std::string &path) {
  absl::StatusOr<std::string> bytes = plan::readFile(path);
  if (!bytes.ok())
    return bytes.status();
  onnx::TensorProto proto;
  if (!proto.ParseFromString(*bytes))
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is not an ONNX TensorProto"));
  Array out;
  switch (proto.data_type()) {
  case onnx::TensorProto::FLOAT:
    out.type = plan::F32;
    break;
  case onnx::TensorProto::FLOAT16:
    out.type = plan::F16;
    break;
  case onnx::TensorProto::INT64:
    out.type = plan::I64;
    break;
  case onnx::TensorProto::INT32:
    out.type = plan::I32;
    break;
  case onnx::TensorProto::BOOL:
    out.type = plan::I1;
    break;
  case onnx::TensorProto::INT8:
    out.type = plan::I8;
    break;
  case onnx::TensorProto::BFLOAT16:
  // ONNX 1.12's backend tests store bfloat16 data as UINT16 bit patterns.
  case onnx::TensorProto::UINT16:
    out.type = plan::BF16;
    break;
  default:
    return absl::UnimplementedError(
        absl::StrCat("'", path, "' has ONNX element type ", proto.data_type(),
                     ", which wafer-run does not read"));
  }
  out = Array::zeros(out.type, {proto.dims().begin(), proto.dims().end()});
  if (proto.has_raw_data()) {
    absl::Status status = decode(proto.raw_data(), out);
    if (!status.ok())
      return absl::DataLossError(
          absl::StrCat("'", path, "' ", std::string(status.message())));
    return out;
  }
  int64_t n = out.size();
  int found = out.type == plan::F32   ? proto.float_data_size()
              : out.type == plan::I64 ? proto.int64_data_size()
                                      : proto.int32_data_size();
  if (found != n)
    return absl::DataLossError(absl::StrCat("'", path, "' holds ", found,
                                            " elements, its shape needs ", n));
  for (int64_t i = 0; i < n; ++i) {
    if (out.type == plan::F32)
      out.floats[i] = proto.float_data(i);
    else if (out.type == plan::I64)
      out.ints[i] = proto.int64_data(i);
    else if (out.type == plan::F16 || out.type == plan::BF16)
      out.floats[i] = halfToFloat(proto.int32_data(i), out.type == plan::BF16);
    else
      out.ints[i] = proto.int32_data(i);
  }
  return out;
}

absl::Status writeTensorFile(const Array &array, const std::string &name,
                             const std::string &path) {
  onnx::TensorProto proto;
  proto.set_name(name);
  for (int64_t d : array.shape)
    proto.add_dims(d);
  if (array.isFloat()) {
    proto.set_data_type(onnx::TensorProto::FLOAT);
    for (float v : array.floats)
      proto.add_float_data(v);
  } else {
    proto.set_data_type(array.type == plan::I1 ? onnx::TensorProto::BOOL
                                               : onnx::TensorProto::INT64);
    for (int64_t v : array.ints) {
      if (array.type == plan::I1)
        proto.add_int32_data(static_cast<int32_t>(v));
      else
        proto.add_int64_data(v);
    }
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out || !proto.SerializeToOstream(&out))
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write '", path, "'"));
  return absl::OkStatus();
}

absl::Status checkPlan(const plan::Plan &plan, bool forExecution) {
  TargetDesc target = plan::toTargetDesc(plan.target());
  if (std::string err = target.validate(); !err.empty())
    return absl::InvalidArgumentError(absl::StrCat("plan target: ", err));
  int64_t tensors = plan.tensors_size(), layers = plan.layers_size();
  for (int64_t i = 0; i < tensors; ++i)
    if (plan.tensors(i).id() != i)
      return absl::InvalidArgumentError(
          absl::StrCat("tensor ", i, " has id ", plan.tensors(i).id()));
  // Who produces each tensor, and in which layer.
  std::vector<int64_t> producer(tensors, -2); // -2: input/weight/constant.
  std::vector<bool> defined(tensors, false);
  for (const plan::Tensor &t : plan.tensors())
    if (t.has_weight() || t.has_constant())
      defined[t.id()] = true;
  for (int64_t id : plan.inputs()) {
    if (id < 0 || id >= tensors)
      return absl::InvalidArgumentError(
          absl::StrCat("input tensor ", id, " does not exist"));
    defined[id] = true;
  }
  for (const plan::Kernel &k : plan.kernels()) {
    if (k.layer() < -1 || k.layer() >= layers)
      return absl::InvalidArgumentError(
          absl::StrCat(k.op(), " is in layer ", k.layer(), " of ", layers));
    for (int64_t id : k.operands())
      if (id < 0 || id >= tensors || !defined[id])
        return absl::InvalidArgumentError(absl::StrCat(
            k.op(), " reads tensor ", id, " before anything defines it"));
    for (int64_t id : k.results()) {
      if (id < 0 || id >= tensors || defined[id])
        return absl::InvalidArgumentError(absl::StrCat(
            k.op(), " defines tensor ", id, " twice or out of range"));
      defined[id] = true;
      producer[id] = k.layer();
    }
  }
  for (int64_t id : plan.outputs())
    if (id < 0 || id >= tensors || !defined[id])
      return absl::InvalidArgumentError(
          absl::StrCat("output tensor ", id, " is never computed"));
  if (absl::Status s = validateKernels(plan, forExecution); !s.ok())
    return s;
  for (const plan::Flow &f : plan.flows())
    if (f.tensor() < -1 || f.tensor() >= tensors || f.source_layer() < -1 ||
        f.source_layer() >= layers || f.destination_layer() < -1 ||
        f.destination_layer() >= layers)
      return absl::InvalidArgumentError(
          absl::StrCat("flow '", f.name(),
                       "' refers to a tensor or layer that does not exist"));

  // Regions and SRAM.
  for (const plan::Layer &l : plan.layers()) {
    Rect r = plan::toRect(l.region());
    if (!target.usable.contains(r) || r.area() <= 0)
      return absl::OutOfRangeError(
          absl::StrCat("layer ", l.name(), " at (", r.x, ", ", r.y, ") ",
                       r.width, "x", r.height, " is off the usable grid"));
    if (l.sram_bytes_per_pe() > target.usableSramBytes())
      return absl::ResourceExhaustedError(
          absl::StrCat("layer ", l.name(), " needs ",
                       kib(l.sram_bytes_per_pe()), " per PE, target has ",
                       kib(target.usableSramBytes()), " after reserve"));
  }

  // Routes and colors, with the router's own checks.
  route::Routing routing = toRouting(plan);
  if (std::string problem = route::checkRouting(target, routing);
      !problem.empty())
    return absl::FailedPreconditionError(absl::StrCat("routing: ", problem));

  // A matmul layer runs SUMMA with the plan's tiling; spread over more than
  // one column (row) of PEs, its panels need a routed broadcast along the
  // region's rows (columns) that carries what the product moves.
  std::map<std::pair<int64_t, std::string>, const plan::Flow *> routedInto;
  for (const plan::Flow &f : plan.flows())
    if (!f.segments().empty())
      routedInto[{f.destination_layer(), f.kind()}] = &f;
  // Layer l's routed flow of `kind` over its own region (a broadcast or
  // reduction among its PEs), or null.
  auto withinLayer = [&](int64_t l, const char *kind) -> const plan::Flow * {
    auto it = routedInto.find({l, kind});
    return it != routedInto.end() && plan::toRect(it->second->destination()) ==
                                         plan::toRect(plan.layers(l).region())
               ? it->second
               : nullptr;
  };
  std::vector<NormedProduct> normed = normedProducts(plan);
  for (int64_t l = 0; l < layers; ++l) {
    const plan::Layer &layer = plan.layers(l);
    if (layer.m() <= 0 || layer.n() <= 0 || layer.k() <= 0)
      continue;
    // Within what a tensor may hold (validateKernels), so that the cost
    // model's byte counts cannot overflow.
    double m = layer.m(), n = layer.n(), k = layer.k();
    if (m * k > 0x1p40 || k * n > 0x1p40 || m * n > 0x1p40)
      return absl::FailedPreconditionError(absl::StrCat(
          "layer ", layer.name(), " multiplies ", layer.m(), "x", layer.k(),
          " by ", layer.k(), "x", layer.n(), ": more than a tensor may hold"));
    Rect r = plan::toRect(layer.region());
    if (!layer.has_summa())
      return absl::FailedPreconditionError(
          absl::StrCat("layer ", layer.name(),
                       " is a matmul but the plan gives no SUMMA "
                       "tiling for it"));
    const plan::SummaTiling &summa = layer.summa();
    if (summa.grid_rows() < 1 || summa.grid_rows() > r.height ||
        summa.grid_cols() < 1 || summa.grid_cols() > r.width ||
        summa.panels() < 1 || summa.panels() > layer.k())
      return absl::FailedPreconditionError(
          absl::StrCat("layer ", layer.name(), "'s SUMMA tiling (",
                       summa.grid_rows(), "x", summa.grid_cols(), " PEs, ",
                       summa.panels(), " panels) does not fit its ", r.width,
                       "x", r.height, " PEs and contraction of ", layer.k()));
    core::SummaBroadcasts needed = core::CostModel::summaBroadcasts(
        layerSpec(layer, normed[l].matmul >= 0), r.height, r.width,
        summa.transposed(),
        /*weightsStreamed=*/plan.mode() == "weight-streaming" &&
            layer.tiles_size() > 0);
    // A normalisation before the product runs on its left operand's
    // blocks: rows split over a line of PEs reduce their partial sums along
    // it; the broadcast that carries its panels, required below whenever
    // the line is longer than one PE, returns the statistics.
    int64_t line = summa.transposed() ? summa.grid_rows() : summa.grid_cols();
    if (normed[l].matmul >= 0 && line > 1) {
      const char *kind =
          summa.transposed() ? "column-reduction" : "row-reduction";
      const char *along = summa.transposed() ? "columns" : "rows";
      const plan::Flow *f = withinLayer(l, kind);
      if (!f)
        return absl::FailedPreconditionError(
            absl::StrCat("layer ", layer.name(), " normalises rows split over ",
                         line, " PEs but no reduction along its ", along,
                         " is routed: their partial sums cannot meet"));
      int64_t bytes = core::SummaReductions::bytesFor(layer.m());
      if (f->bytes() < bytes)
        return absl::FailedPreconditionError(
            absl::StrCat("layer ", layer.name(), "'s reduction along its ",
                         along, " carries ", f->bytes(), " bytes; its ",
                         layer.m(), " rows' partial sums are ", bytes));
    }
    for (auto [kind, along, bytes] :
         {std::make_tuple("row-broadcast", "rows", needed.rowBytes),
          std::make_tuple("column-broadcast", "columns", needed.columnBytes)}) {
      if (bytes == 0)
        continue;
      const plan::Flow *f = withinLayer(l, kind);
      if (!f)
        return absl::FailedPreconditionError(
            absl::StrCat("layer ", layer.name(), " multiplies on ", r.width,
                         "x", r.height, " PEs but no broadcast along its ",
                         along, " is routed: its SUMMA panels cannot move"));
      if (f->bytes() < bytes)
        return absl::FailedPreconditionError(absl::StrCat(
            "layer ", layer.name(), "'s broadcast along its ", along,
            " carries ", f->bytes(), " bytes; its SUMMA moves ", bytes));
    }
  }

  // An attention layer runs on the plan's attention tiling, which must
  // describe its kernel; spread over more than one row of PEs, its keys and
  // values need a routed broadcast down the region's columns. Only
  // attention layers have one.
  std::vector<bool> attends(layers, false);
  for (const plan::Kernel &k : plan.kernels())
    if (k.op() == "wafer.attention" && k.layer() >= 0)
      attends[k.layer()] = true;
  for (int64_t l = 0; l < layers; ++l)
    if (plan.layers(l).has_attention() && !attends[l])
      return absl::FailedPreconditionError(
          absl::StrCat("layer ", plan.layers(l).name(),
                       " has an attention tiling but runs no attention"));
  for (const plan::Kernel &k : plan.kernels()) {
    if (k.op() != "wafer.attention" || k.layer() < 0)
      continue;
    const plan::Layer &layer = plan.layers(k.layer());
    if (!layer.has_attention())
      return absl::FailedPreconditionError(
          absl::StrCat("layer ", layer.name(),
                       " runs attention but the plan gives no attention "
                       "tiling for it"));
    const plan::AttentionTiling &a = layer.attention();
    core::LayerSpec spec = layerSpec(layer, /*normedLhs=*/false);
    if (!spec.attention.valid() || k.operands_size() < 3)
      return absl::FailedPreconditionError(absl::StrCat(
          "layer ", layer.name(), "'s attention tiling has no valid shape"));
    // In double: a hostile plan's sizes must not overflow the comparison.
    auto matches = [&](int64_t operand, int64_t rows, double features) {
      const plan::Tensor &t = plan.tensors(k.operands(operand));
      return t.shape_size() == 3 && t.shape(0) == a.batch() &&
             t.shape(1) == rows && static_cast<double>(t.shape(2)) == features;
    };
    if (!matches(0, a.queries(),
                 static_cast<double>(a.heads()) * a.head_dim()) ||
        !matches(1, a.keys(),
                 static_cast<double>(a.kv_heads()) * a.head_dim()) ||
        !matches(2, a.keys(),
                 static_cast<double>(a.kv_heads()) * a.value_dim()))
      return absl::FailedPreconditionError(
          absl::StrCat("layer ", layer.name(), "'s attention tiling is for ",
                       a.batch(), " x ", a.heads(), " heads of ", a.queries(),
                       " queries against ", a.keys(), " keys (", a.kv_heads(),
                       " key/value heads of ", a.head_dim(), " and ",
                       a.value_dim(), "), not the shapes its kernel reads"));
    Rect r = plan::toRect(layer.region());
    double pairs = static_cast<double>(a.batch()) * a.heads();
    if (a.grid_rows() < 1 || a.grid_rows() > std::min(r.height, a.queries()) ||
        a.key_chunks() < 1 || a.key_chunks() > a.keys() || a.query_cols() < 1 ||
        static_cast<double>(a.query_cols()) * a.grid_rows() > a.queries() ||
        a.grid_cols() > r.width ||
        static_cast<double>(a.key_chunks()) * a.query_cols() > a.grid_cols() ||
        a.grid_cols() % (a.key_chunks() * a.query_cols()) != 0 ||
        a.grid_cols() / (a.key_chunks() * a.query_cols()) > pairs ||
        a.key_blocks() < 1 || a.key_blocks() > a.keys() || a.panels() < 1 ||
        a.panels() > a.keys())
      return absl::FailedPreconditionError(absl::StrCat(
          "layer ", layer.name(), "'s attention tiling (", a.grid_rows(), "x",
          a.grid_cols(), " PEs, ", a.query_cols(), " query column blocks, ",
          a.key_chunks(), " key chunks, ", a.key_blocks(), " key blocks, ",
          a.panels(), " panels) does not fit its ", r.width, "x", r.height,
          " PEs, ", a.queries(), " queries, ", a.keys(), " keys and ",
          a.batch(), " x ", a.heads(), " heads"));
    if (spec.elementBytes < 1 || spec.elementBytes > 8 ||
        static_cast<double>(a.keys()) *
                (static_cast<double>(a.head_dim()) + a.value_dim()) *
                spec.elementBytes *
                (static_cast<double>(a.batch()) * a.kv_heads() +
                 a.grid_cols()) >
            0x1p62 ||
        pairs * a.queries() * (static_cast<double>(a.value_dim()) + 2) * 4 >
            0x1p62)
      return absl::FailedPreconditionError(absl::StrCat(
          "layer ", layer.name(), "'s keys and values are too large"));
    core::AttentionTiling tiling = attentionTilingOf(layer);
    // The keys and values down the columns; the chunks' partial results
    // back along the rows to each group's first column.
    for (auto [kind, why, bytes] :
         {std::make_tuple(
              "column-broadcast",
              "no broadcast down its columns is routed: its key and value "
              "panels cannot move",
              core::CostModel::attentionBroadcastBytes(spec, tiling)),
          std::make_tuple(
              "row-reduction",
              "no reduction along its rows is routed: its key chunks' "
              "results cannot be combined",
              core::CostModel::attentionCombineBytes(spec, tiling))}) {
      if (bytes == 0)
        continue;
      const plan::Flow *f = withinLayer(k.layer(), kind);
      if (!f)
        return absl::FailedPreconditionError(
            absl::StrCat("layer ", layer.name(), " attends on ", r.width, "x",
                         r.height, " PEs but ", why));
      if (f->bytes() < bytes)
        return absl::FailedPreconditionError(
            absl::StrCat("layer ", layer.name(), "'s ", kind, " carries ",
                         f->bytes(), " bytes; it must carry ", bytes));
    }
  }

  // What a layer's kernels regroup across its PEs (a transpose, a reshape
  // that changes the last dimension, a gather) crosses its region on its
  // routed reshard; the plan's count, which the cost model reads, is
  // theirs.
  std::vector<double> regrouped = relayoutBytes(plan);
  for (int64_t l = 0; l < layers; ++l) {
    const plan::Layer &layer = plan.layers(l);
    if (static_cast<double>(layer.relayout_bytes()) != regrouped[l])
      return absl::FailedPreconditionError(absl::StrCat(
          "layer ", layer.name(), "'s plan says its kernels regroup ",
          layer.relayout_bytes(), " bytes across its PEs; they regroup ",
          regrouped[l]));
    Rect r = plan::toRect(layer.region());
    if (regrouped[l] == 0 || r.area() == 1)
      continue;
    const plan::Flow *f = withinLayer(l, "reshard");
    if (!f)
      return absl::FailedPreconditionError(absl::StrCat(
          "layer ", layer.name(), " regroups ", regrouped[l],
          " bytes across its ", r.width, "x", r.height,
          " PEs (a transpose, reshape or gather) but no reshard within it is "
          "routed"));
    if (f->bytes() < regrouped[l])
      return absl::FailedPreconditionError(absl::StrCat(
          "layer ", layer.name(), "'s reshard carries ", f->bytes(),
          " bytes; its kernels regroup ", regrouped[l]));
  }

  // A tensor read in another layer than it was made in must arrive on a
  // flow into that layer (routed unless the two regions overlap).
  std::set<std::pair<int64_t, int64_t>> delivered;
  for (const plan::Flow &f : plan.flows())
    if (f.tensor() >= 0)
      delivered.insert({f.tensor(), f.destination_layer()});
  auto name = [&](int64_t layer) {
    return layer < 0 ? std::string("the input") : plan.layers(layer).name();
  };
  for (const plan::Kernel &k : plan.kernels()) {
    if (k.layer() < 0)
      continue;
    for (int64_t id : k.operands()) {
      const plan::Tensor &t = plan.tensors(id);
      if (t.has_weight() || t.has_constant() || producer[id] == k.layer() ||
          producer[id] == -1)
        continue;
      if (!delivered.count({id, k.layer()}))
        return absl::FailedPreconditionError(
            absl::StrCat("tensor ", id, " from ", name(producer[id]),
                         " reaches layer ", plan.layers(k.layer()).name(),
                         " on no flow: its route is missing"));
    }
  }

  // Weight streaming: each weight a layer reads arrives whole, before use;
  // a slot holds one tile at a time.
  if (plan.mode() == "weight-streaming") {
    std::map<std::string, int64_t> weightBytes;
    for (const plan::Tensor &t : plan.tensors())
      if (t.has_weight())
        weightBytes[t.weight().name()] = t.weight().length();
    std::vector<std::pair<int64_t, const plan::StreamTile *>> slots[2];
    for (int64_t l = 0; l < layers; ++l) {
      const plan::Layer &layer = plan.layers(l);
      std::map<std::string, int64_t> streamed;
      for (const plan::StreamTile &tile : layer.tiles()) {
        if (tile.compute_start() < tile.arrive_end())
          return absl::FailedPreconditionError(
              absl::StrCat("layer ", layer.name(), " uses its tile of '",
                           tile.weight(), "' at cycle ", tile.compute_start(),
                           ", before it arrives at ", tile.arrive_end()));
        if (tile.offset() != streamed[tile.weight()])
          return absl::FailedPreconditionError(
              absl::StrCat("layer ", layer.name(), " streams '", tile.weight(),
                           "' from byte ", tile.offset(), ", expected ",
                           streamed[tile.weight()], ": a tile is missing"));
        streamed[tile.weight()] += tile.bytes();
        slots[tile.slot() & 1].push_back({tile.arrive_start(), &tile});
      }
      std::set<std::string> needed;
      for (const plan::Kernel &k : plan.kernels())
        if (k.layer() == l)
          for (int64_t id : k.operands())
            if (plan.tensors(id).has_weight())
              needed.insert(plan.tensors(id).weight().name());
      for (const std::string &w : needed)
        if (streamed[w] != weightBytes[w])
          return absl::FailedPreconditionError(absl::StrCat(
              "layer ", layer.name(), " reads weight '", w, "' but only ",
              streamed[w], " of its ", weightBytes[w],
              " bytes stream in: a stream tile is missing"));
    }
    for (auto &slot : slots) {
      std::stable_sort(slot.begin(), slot.end(),
                       [](auto &a, auto &b) { return a.first < b.first; });
      for (size_t i = 1; i < slot.size(); ++i)
        if (slot[i].second->arrive_start() < slot[i - 1].second->release())
          return absl::FailedPreconditionError(
              absl::StrCat("tile of '", slot[i].second->weight(),
                           "' arrives in slot ", slot[i].second->slot(),
                           " at cycle ", slot[i].second->arrive_start(),
                           " while the tile of '", slot[i - 1].second->weight(),
                           "' holds it until ", slot[i - 1].second->release()));
    }
  } else {
    // Pipelined: every layer's weights and activations stay resident.
    std::vector<int64_t> resident(layers, 0);
    std::vector<std::set<int64_t>> counted(layers);
    for (const plan::Kernel &k : plan.kernels()) {
      if (k.layer() < 0)
        continue;
      for (int64_t id : k.operands())
        if (counted[k.layer()].insert(id).second &&
            (plan.tensors(id).has_weight() || producer[id] != k.layer()))
          resident[k.layer()] += tensorBytes(plan.tensors(id));
    }
    for (int64_t l = 0; l < layers; ++l) {
      Rect r = plan::toRect(plan.layers(l).region());
      int64_t perPE = (resident[l] + r.area() - 1) / r.area();
      if (perPE > target.usableSramBytes())
        return absl::ResourceExhaustedError(
            absl::StrCat("layer ", plan.layers(l).name(), " needs ", kib(perPE),
                         " per PE, target has ", kib(target.usableSramBytes()),
                         " after reserve"));
    }
  }
  return absl::OkStatus();
}

Timing modelTiming(const plan::Plan &plan) {
  TargetDesc target = plan::toTargetDesc(plan.target());
  core::CostModel model(target);
  Timing timing;
  double flops = 0, streamed = 0, peakRate = 0;
  std::vector<NormedProduct> normed = normedProducts(plan);
  for (int64_t i = 0; i < plan.layers_size(); ++i) {
    const plan::Layer &l = plan.layers(i);
    core::LayerSpec spec = layerSpec(l, normed[i].matmul >= 0);
    Rect r = plan::toRect(l.region());
    double cycles = model.layerCycles(spec, r.height, r.width);
    timing.layers.push_back(LayerTime{l.name(), cycles});
    flops += l.flops();
    peakRate = std::max(peakRate, model.flopsPerCycle(spec));
    for (const plan::StreamTile &t : l.tiles())
      streamed += t.bytes();
  }
  if (plan.mode() == "weight-streaming") {
    // The plan's tiles, timed by the one schedule with these compute times.
    core::StreamSchedule schedule(model);
    for (size_t i = 0; i < timing.layers.size(); ++i) {
      std::vector<core::StreamTile> tiles;
      for (const plan::StreamTile &t : plan.layers(i).tiles())
        tiles.push_back({t.weight(), t.offset(), t.bytes(), t.slot() & 1});
      schedule.add(timing.layers[i].cycles, std::move(tiles));
    }
    timing.stepCycles = schedule.endCycle();
  } else {
    for (const LayerTime &l : timing.layers)
      timing.stepCycles = std::max(timing.stepCycles, l.cycles);
  }
  // The busiest link of the plan's routes bounds the step from below.
  timing.linkCycles = static_cast<double>(route::linkCycles(
      target, route::maxLinkLoad(target, toRouting(plan).flows)));
  timing.stepCycles = std::max(timing.stepCycles, timing.linkCycles);
  timing.stepSeconds = model.secondsFromCycles(timing.stepCycles);
  double peak = peakRate * target.usable.area();
  timing.flopUtilisation =
      timing.stepCycles > 0 ? flops / (timing.stepCycles * peak) : 0;
  timing.streamUtilisation =
      timing.stepCycles > 0
          ? model.streamCycles(static_cast<int64_t>(streamed)) /
                timing.stepCycles
          : 0;
  return timing;
}

absl::Status Session::load(const plan::Tensor &t) {
  Array a =
      Array::zeros(t.element_type(),
                   std::vector<int64_t>(t.shape().begin(), t.shape().end()));
  if (t.has_constant()) {
    absl::Status s = decode(t.constant(), a);
    if (!s.ok())
      return absl::DataLossError(
          absl::StrCat("constant ", t.id(), " ", std::string(s.message())));
  } else {
    std::string dir =
        options.weightsDir.empty() ? plan.weights_dir() : options.weightsDir;
    std::string path = dir + "/" + t.weight().file();
    std::ifstream in(path, std::ios::binary);
    if (!in)
      return absl::NotFoundError(absl::StrCat("weight '", t.weight().name(),
                                              "': cannot open '", path, "'"));
    std::string bytes(t.weight().length(), '\0');
    in.seekg(t.weight().offset());
    in.read(bytes.data(), t.weight().length());
    if (in.gcount() != t.weight().length())
      return absl::DataLossError(absl::StrCat(
          "weight '", t.weight().name(), "': '", path, "' ends before byte ",
          t.weight().offset() + t.weight().length()));
    absl::Status s = decode(bytes, a);
    if (!s.ok())
      return absl::DataLossError(absl::StrCat("weight '", t.weight().name(),
                                              "' ", std::string(s.message())));
  }
  parameters[t.id()] = std::move(a);
  loaded[t.id()] = true;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Array>>
Session::run(const std::vector<Array> &inputs) {
  if (static_cast<int>(inputs.size()) != plan.inputs_size())
    return absl::InvalidArgumentError(
        absl::StrCat("the plan takes ", plan.inputs_size(), " inputs, found ",
                     inputs.size()));
  if (parameters.empty()) {
    parameters.resize(plan.tensors_size());
    loaded.assign(plan.tensors_size(), false);
  }
  if (!pes)
    pes = std::make_unique<PeExecutor>(plan, options.perPeMath);
  pes->reset();
  std::vector<Array> values(plan.tensors_size());
  std::vector<bool> ready(plan.tensors_size(), false);
  for (int i = 0; i < plan.inputs_size(); ++i) {
    const plan::Tensor &t = plan.tensors(plan.inputs(i));
    std::vector<int64_t> shape(t.shape().begin(), t.shape().end());
    if (inputs[i].shape != shape)
      return absl::InvalidArgumentError(
          absl::StrCat("input ", i, " ('", t.name(), "') has the wrong shape"));
    Array a = Array::zeros(t.element_type(), shape);
    for (int64_t e = 0; e < a.size(); ++e) {
      if (a.isFloat())
        a.floats[e] = static_cast<float>(inputs[i].get(e));
      else
        a.ints[e] = static_cast<int64_t>(inputs[i].get(e));
    }
    values[t.id()] = std::move(a);
    ready[t.id()] = true;
  }
  // Weights and constants load when a kernel first needs them: by then
  // (checkPlan) their stream tiles have arrived or they are resident.
  auto operand = [&](int64_t id) -> absl::StatusOr<const Array *> {
    if (ready[id])
      return &values[id];
    if (!loaded[id]) {
      absl::Status s = load(plan.tensors(id));
      if (!s.ok())
        return s;
    }
    return &parameters[id];
  };
  for (int64_t index = 0; index < plan.kernels_size(); ++index) {
    const plan::Kernel &k = plan.kernels(index);
    std::vector<const Array *> operands;
    for (int64_t id : k.operands()) {
      absl::StatusOr<const Array *> a = operand(id);
      if (!a.ok())
        return a.status();
      operands.push_back(*a);
    }
    std::vector<Array> results;
    for (int64_t id : k.results()) {
      const plan::Tensor &t = plan.tensors(id);
      std::vector<int64_t> shape(t.shape().begin(), t.shape().end());
      // Zeros as a fresh array would be, in the last run's storage when it
      // fits (no allocation, no page faults).
      if (id < static_cast<int64_t>(recycled.size()) &&
          recycled[id].type == t.element_type() &&
          recycled[id].shape == shape) {
        Array &reused = recycled[id];
        std::fill(reused.floats.begin(), reused.floats.end(), 0.0f);
        std::fill(reused.ints.begin(), reused.ints.end(), 0);
        results.push_back(std::move(reused));
      } else {
        results.push_back(Array::zeros(t.element_type(), std::move(shape)));
      }
    }
    absl::Status s = pes->run(index, operands, results);
    // What the plan lacks is named as it is; the kernel's own failures say
    // where they happened.
    if (absl::IsFailedPrecondition(s) || absl::IsResourceExhausted(s))
      return s;
    if (!s.ok())
      return absl::InternalError(absl::StrCat(
          k.op(), " in layer ",
          k.layer() >= 0 ? plan.layers(k.layer()).name() : "(constants)", ": ",
          std::string(s.message())));
    for (size_t r = 0; r < results.size(); ++r) {
      values[k.results(r)] = std::move(results[r]);
      ready[k.results(r)] = true;
    }
    if (options.progress)
      options.progress(index + 1, plan.kernels_size());
  }
  std::vector<Array> outputs;
  for (int64_t id : plan.outputs()) {
    absl::StatusOr<const Array *> a = operand(id);
    if (!a.ok())
      return a.status();
    outputs.push_back(**a);
  }
  recycled = std::move(values);
  return outputs;
}

Session::Session(const plan::Plan &plan, RunOptions options)
    : plan(plan), options(std::move(options)) {}

Session::~Session() = default;

const PeStats &Session::peStats() const {
  static const PeStats none;
  return pes ? pes->getStats() : none;
}

absl::StatusOr<std::vector<Array>> execute(const plan::Plan &plan,
                                           const std::vector<Array> &inputs,
                                           const RunOptions &options) {
  Session session(plan, options);
  return session.run(inputs);
}

} // namespace wafer::runtime
