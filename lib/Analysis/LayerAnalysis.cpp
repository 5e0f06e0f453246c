//===- LayerAnalysis.cpp - kernels grouped into layers, with costs --------===//
//
// Anchors (matmul, attention, embedding lookups) each start a layer. Other
// ops join the layer of their latest-produced operand (bias, activation,
// residual: epilogues), except normalisations and ops that read no layer's
// result, which join the earliest layer that reads them (prologues: the norm
// before a projection).
//
//===----------------------------------------------------------------------===//

#include "wafer/Analysis/LayerAnalysis.h"

#include "wafer/Core/Layout.h"
#include "wafer/Core/Relayout.h"
#include "wafer/Dialect/Wafer/OpSemantics.h"
#include "wafer/Dialect/Wafer/WaferOps.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace wafer;

static int64_t numElements(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.hasStaticShape() ? type.getNumElements() : 0;
}

/// Bytes of one element (a bool takes one).
static int64_t elementBytes(Type element) {
  return element.isInteger(1) ? 1 : (element.getIntOrFloatBitWidth() + 7) / 8;
}

int64_t wafer::valueBytes(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape())
    return 0;
  return type.getNumElements() * elementBytes(type.getElementType());
}

/// The weight or non-splat constant behind `value`, looking through ops that
/// only reshape or convert it.
static Operation *weightSource(Value value) {
  for (int steps = 0; steps < 8 && value; ++steps) {
    Operation *def = value.getDefiningOp();
    if (!def)
      return nullptr;
    if (isa<WeightOp>(def))
      return def;
    if (auto constant = dyn_cast<ConstantOp>(def)) {
      auto elements = dyn_cast<DenseElementsAttr>(constant.getValue());
      return elements && elements.isSplat() ? nullptr : def;
    }
    if (!isa<ReshapeOp, TransposeOp, CastOp, BroadcastOp>(def))
      return nullptr;
    value = def->getOperand(0);
  }
  return nullptr;
}

/// Ops computed from constants alone (masks built from iotas): they belong
/// to no layer; each layer that reads them computes them where it runs.
static llvm::DenseSet<Operation *>
constantSubgraph(ArrayRef<Operation *> order) {
  llvm::DenseSet<Operation *> constant;
  for (Operation *op : order) {
    if (isa<ConstantOp, IotaOp>(op)) {
      constant.insert(op);
      continue;
    }
    if (isa<WeightOp, MatmulOp, AttentionOp, GatherOp>(op) ||
        op->getNumOperands() == 0)
      continue;
    if (llvm::all_of(op->getOperands(), [&](Value v) {
          Operation *def = v.getDefiningOp();
          return def && constant.contains(def);
        }))
      constant.insert(op);
  }
  return constant;
}

double wafer::estimateFlops(Operation *op) {
  std::optional<sem::OpShapes> shapes = getOpShapes(op);
  return shapes ? sem::flops(*shapes) : 0.0;
}

LayerAnalysis::LayerAnalysis(func::FuncOp func) {
  SmallVector<Operation *> order;
  func.walk([&](Operation *op) {
    if (op != func && !isa<func::ReturnOp>(op))
      order.push_back(op);
  });
  llvm::DenseSet<Operation *> constant = constantSubgraph(order);
  auto isParameter = [&](Operation *op) {
    return isa<WeightOp>(op) || constant.contains(op);
  };

  llvm::StringMap<int64_t> namesSeen;
  auto startLayer = [&](Operation *anchor, LayerKind kind) {
    Layer layer;
    layer.kind = kind;
    layer.anchor = anchor;
    // A name recorded by wafer-annotate-layers survives printing without
    // locations; otherwise the ONNX node's name from the location.
    if (auto recorded = anchor->getAttrOfType<StringAttr>("wafer.layer"))
      layer.name = recorded.str();
    else if (auto name = dyn_cast<NameLoc>(anchor->getLoc()))
      layer.name = name.getName().str();
    else
      layer.name = anchor->getName().getStringRef().str() + "#" +
                   std::to_string(layers.size());
    // One ONNX node may anchor several layers (a grouped convolution's
    // products): the later ones are numbered.
    if (int64_t seen = namesSeen[layer.name]++; seen > 0)
      layer.name += "#" + std::to_string(seen);
    layers.push_back(std::move(layer));
    return static_cast<int64_t>(layers.size());
  };

  // Layers recorded in the IR (wafer-annotate-layers, or a pass that forms
  // its own): every op outside the parameters names its layer in
  // `wafer.layer`, and each layer's anchor carries `wafer.cost`. They are
  // kept as recorded; without a complete record they are formed here.
  auto readRecorded = [&]() {
    llvm::StringMap<int64_t> byName;
    for (Operation *op : order) {
      if (isParameter(op))
        continue;
      auto name = op->getAttrOfType<StringAttr>(WaferDialect::getLayerAttrName());
      if (!name)
        return false;
      auto cost =
          op->getAttrOfType<DictionaryAttr>(WaferDialect::getCostAttrName());
      if (!cost)
        continue;
      auto kind = cost.getAs<StringAttr>("kind");
      LayerKind layerKind = LayerKind::other;
      for (LayerKind k : {LayerKind::embedding, LayerKind::linear,
                          LayerKind::attention, LayerKind::other})
        if (kind && kind.getValue() == core::layerKindName(k))
          layerKind = k;
      if (!byName.try_emplace(name.getValue(), startLayer(op, layerKind))
               .second)
        return false; // Two anchors for one layer: not a record to keep.
    }
    for (Operation *op : order) {
      if (isParameter(op))
        continue;
      auto name = op->getAttrOfType<StringAttr>(WaferDialect::getLayerAttrName());
      auto it = byName.find(name.getValue());
      if (it == byName.end())
        return false; // A layer without an anchor.
      layerOf[op] = it->second;
    }
    return true;
  };
  if (!readRecorded()) {
    layers.clear();
    layerOf.clear();
    // Forward: anchors start layers; epilogue ops join their latest producer.
    SmallVector<Operation *> deferred;
    for (Operation *op : order) {
      if (isParameter(op))
        continue;
      if (auto matmul = dyn_cast<MatmulOp>(op)) {
        bool hasWeight =
            weightSource(matmul.getLhs()) || weightSource(matmul.getRhs());
        layerOf[op] =
            startLayer(op, hasWeight ? LayerKind::linear : LayerKind::other);
        continue;
      }
      if (isa<AttentionOp>(op)) {
        layerOf[op] = startLayer(op, LayerKind::attention);
        continue;
      }
      if (auto gather = dyn_cast<GatherOp>(op);
          gather && weightSource(gather.getData())) {
        layerOf[op] = startLayer(op, LayerKind::embedding);
        continue;
      }
      int64_t latest = 0;
      if (!isa<LayerNormOp, RmsNormOp>(op))
        for (Value operand : op->getOperands())
          if (Operation *def = operand.getDefiningOp())
            latest = std::max(latest, layerOf.lookup(def));
      // The backward pass runs after the forward layers, in its own order:
      // its ops join the latest layer so far, not a forward layer their
      // operands come from (which would keep their results on the wafer
      // from the forward pass on).
      if (op->hasAttr(WaferDialect::getBackwardAttrName()))
        latest = std::max(latest, static_cast<int64_t>(layers.size()));
      if (latest)
        layerOf[op] = latest;
      else
        deferred.push_back(op);
    }

    // Backward: prologue ops join the earliest layer that reads them.
    for (Operation *op : llvm::reverse(deferred)) {
      int64_t earliest = 0;
      for (Operation *user : op->getUsers())
        if (int64_t l = layerOf.lookup(user))
          earliest = earliest ? std::min(earliest, l) : l;
      if (!earliest) {
        // Read by nothing in a layer (e.g. returned directly).
        earliest = layers.empty() ? startLayer(op, LayerKind::other)
                                  : static_cast<int64_t>(layers.size());
      }
      layerOf[op] = earliest;
    }
  }


  for (Operation *op : order)
    if (int64_t l = layerOf.lookup(op))
      layers[l - 1].ops.push_back(op);

  // What stays on the wafer between layers: each result from its layer to
  // its last reader, summed per boundary with a difference array.
  std::vector<int64_t> heldAfter(layers.size() + 1, 0);
  for (Operation *op : order) {
    int64_t made = layerOf.lookup(op);
    if (!made)
      continue;
    for (Value result : op->getResults()) {
      int64_t last = made;
      for (Operation *user : result.getUsers())
        last = std::max(last, layerOf.lookup(user));
      if (last == made)
        continue;
      heldAfter[made - 1] += valueBytes(result);
      heldAfter[last - 1] -= valueBytes(result);
    }
  }
  int64_t running = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    running += heldAfter[i];
    if (running > mostHeld.bytes)
      mostHeld = Held{running, static_cast<int64_t>(i)};
  }

  // Costs.
  for (auto [index, layer] : llvm::enumerate(layers)) {
    int64_t self = index + 1;
    llvm::SetVector<Operation *> weights;
    llvm::SetVector<Value> inputs, outputs;
    for (Operation *op : layer.ops) {
      layer.flops += estimateFlops(op);
      for (Value operand : op->getOperands()) {
        Operation *def = operand.getDefiningOp();
        if (Operation *weight = weightSource(operand);
            weight && (!def || layerOf.lookup(def) != self || def == weight))
          weights.insert(weight);
        else if (!def || (!isParameter(def) && layerOf.lookup(def) != self))
          inputs.insert(operand);
      }
      for (Value result : op->getResults())
        for (Operation *user : result.getUsers())
          if (layerOf.lookup(user) != self)
            outputs.insert(result);
    }
    for (Operation *weight : weights) {
      int64_t bytes = valueBytes(weight->getResult(0));
      auto ref = dyn_cast<WeightOp>(weight);
      if (!ref) {
        layer.constantBytes += bytes;
        continue;
      }
      layer.weightBytes += bytes;
      layer.weights.push_back(LayerWeight{ref.getSymName().str(), bytes});
    }
    for (Value v : inputs) {
      layer.inputBytes += valueBytes(v);
      Operation *def = v.getDefiningOp();
      layer.inputsFrom.emplace_back(def ? layerOf.lookup(def) - 1 : -1,
                                    valueBytes(v));
    }
    for (Value v : outputs)
      layer.outputBytes += valueBytes(v);
  }
}

double LayerAnalysis::getTotalFlops() const {
  double total = 0;
  for (const Layer &layer : layers)
    total += layer.flops;
  return total;
}

int64_t LayerAnalysis::getTotalWeightBytes() const {
  int64_t total = 0;
  for (const Layer &layer : layers)
    total += layer.weightBytes;
  return total;
}

/// Whether `value` has the shape of `layer`'s anchor result (wafer-run lays
/// such tensors out like it, whatever their element type).
static bool hasOutputShape(Value value, const Layer &layer) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.getShape() == cast<RankedTensorType>(
                                        layer.anchor->getResult(0).getType())
                                        .getShape();
}

/// The most tensors of the anchor's result shape alive at once in `layer`,
/// as wafer-run keeps them: from the op that first reads or makes one to
/// its last use in the layer, or the layer's end when it leaves.
static int64_t mostLiveOutputBlocks(const Layer &layer) {
  llvm::DenseSet<Operation *> inLayer(layer.ops.begin(), layer.ops.end());
  llvm::MapVector<Value, std::pair<size_t, size_t>> alive;
  for (auto [index, op] : llvm::enumerate(layer.ops))
    for (Value value :
         llvm::concat<Value>(op->getOperands(), op->getResults())) {
      if (!hasOutputShape(value, layer))
        continue;
      auto [it, fresh] = alive.try_emplace(value, index, index);
      it->second.second = index;
      if (fresh && llvm::any_of(value.getUsers(), [&](Operation *user) {
            return !inLayer.contains(user);
          }))
        it->second.second = layer.ops.size();
    }
  int64_t most = 0;
  for (size_t index = 0; index < layer.ops.size(); ++index)
    most = std::max<int64_t>(
        most, llvm::count_if(alive, [&](const auto &entry) {
          return entry.second.first <= index && index <= entry.second.second;
        }));
  return most;
}

/// Bytes `layer`'s kernels regroup across its PEs (core::movesBetweenPes;
/// a product's output rows and columns from `spec`).
static int64_t relayoutBytes(const Layer &layer, const core::LayerSpec &spec) {
  int64_t bytes = 0;
  for (Operation *op : layer.ops) {
    if (op->getNumResults() != 1)
      continue;
    auto result = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!result || !result.hasStaticShape() ||
        !result.getElementType().isIntOrFloat())
      continue;
    std::vector<std::vector<int64_t>> operands;
    for (Value operand : op->getOperands())
      if (auto type = dyn_cast<RankedTensorType>(operand.getType()))
        operands.emplace_back(type.getShape().begin(), type.getShape().end());
    if (!core::movesBetweenPes(op->getName().getStringRef(), operands,
                               std::vector<int64_t>(result.getShape().begin(),
                                                    result.getShape().end()),
                               spec.m, spec.n))
      continue;
    bytes += valueBytes(op->getResult(0));
  }
  return bytes;
}

/// The layout of every tensor `layer`'s ops read or make (core::chooseLayouts,
/// the rule wafer-run holds them by), and what `spec` needs to know of those
/// beyond its product's or attention's own: the tensors held as whole rows
/// or at every PE, a product's vectors, and whether a norm runs on its left
/// operand's blocks.
static LayerLayout chooseLayerLayouts(const Layer &layer,
                                      core::LayerSpec &spec) {
  LayerLayout result;
  llvm::DenseMap<Value, int64_t> ids;
  std::vector<std::vector<int64_t>> shapes;
  auto idOf = [&](Value value) {
    auto [it, fresh] =
        ids.try_emplace(value, static_cast<int64_t>(result.values.size()));
    if (fresh) {
      result.values.push_back(value);
      auto type = dyn_cast<RankedTensorType>(value.getType());
      // Tensors the plan cannot hold take no room: no elements.
      shapes.push_back(type && type.hasStaticShape() &&
                               type.getElementType().isIntOrFloat()
                           ? std::vector<int64_t>(type.getShape().begin(),
                                                  type.getShape().end())
                           : std::vector<int64_t>{0});
    }
    return it->second;
  };
  std::vector<core::KernelInfo> kernels;
  for (Operation *op : layer.ops) {
    core::KernelInfo &kernel = kernels.emplace_back();
    kernel.op = op->getName().getStringRef().str();
    for (Value operand : op->getOperands())
      kernel.operands.push_back(idOf(operand));
    for (Value result : op->getResults())
      kernel.results.push_back(idOf(result));
    kernel.transposeLhs = op->hasAttr("transpose_lhs");
    if (auto axis = op->getAttrOfType<IntegerAttr>("axis"))
      kernel.axis = axis.getInt();
  }
  core::LayerGrid grid{spec.m, spec.n, spec.k, spec.attention.valid()};
  result.layouts = core::chooseLayouts(
      grid, kernels,
      [&](int64_t id) -> const std::vector<int64_t> & { return shapes[id]; });

  if (spec.m > 0)
    spec.outputBlocks = std::max<int64_t>(2, mostLiveOutputBlocks(layer));
  core::describeHeld(
      result.layouts,
      [&](int64_t id) -> const std::vector<int64_t> & { return shapes[id]; },
      [&](int64_t id) {
        return elementBytes(cast<RankedTensorType>(result.values[id].getType())
                                .getElementType());
      },
      [&](int64_t id) {
        return result.values[id].getDefiningOp<WeightOp>() != nullptr;
      },
      spec);
  return result;
}

std::vector<core::LayerSpec>
wafer::toLayerSpecs(const LayerAnalysis &analysis,
                    std::vector<LayerLayout> *layouts) {
  std::vector<core::LayerSpec> specs;
  for (const Layer &layer : analysis.getLayers()) {
    core::LayerSpec spec;
    spec.name = layer.name;
    spec.kind = layer.kind;
    spec.flops = layer.flops;
    for (const LayerWeight &weight : layer.weights)
      spec.weights.emplace_back(weight.name, weight.bytes);
    spec.constantBytes = layer.constantBytes;
    spec.inBytes = layer.inputBytes;
    spec.outBytes = layer.outputBytes;
    spec.inputsFrom = layer.inputsFrom;
    auto type =
        dyn_cast<RankedTensorType>(layer.anchor->getResult(0).getType());
    if (type) {
      Type element = type.getElementType();
      spec.halfPrecision = element.isF16() || element.isBF16();
      spec.elementBytes = elementBytes(element);
    }
    if (auto matmul = dyn_cast<MatmulOp>(layer.anchor)) {
      ArrayRef<int64_t> out = matmul.getType().getShape();
      ArrayRef<int64_t> lhs = matmul.getLhs().getType().getShape();
      spec.n = out.back();
      spec.m = numElements(matmul.getResult()) / std::max<int64_t>(spec.n, 1);
      spec.k = matmul.getTransposeLhs() ? lhs[lhs.size() - 2] : lhs.back();
      ArrayRef<int64_t> rhs = matmul.getRhs().getType().getShape();
      int64_t rhsBatches = 1;
      for (int64_t d : rhs.drop_back(2))
        rhsBatches *= d;
      if (rhsBatches > 1 && out.size() >= 2)
        spec.rhsBatchRows = out[out.size() - 2];
    }
    if (auto attention = dyn_cast<AttentionOp>(layer.anchor)) {
      auto shapeOf = [](Value value) {
        return cast<RankedTensorType>(value.getType()).getShape();
      };
      ArrayRef<int64_t> q = shapeOf(attention.getQuery()),
                        k = shapeOf(attention.getKey()),
                        v = shapeOf(attention.getValue());
      core::LayerSpec::Attention &a = spec.attention;
      a.batch = q[0];
      a.queries = q[1];
      a.keys = k[1];
      a.heads = attention.getNumHeads();
      a.kvHeads = attention.getNumKvHeads();
      a.headDim = q[2] / std::max<int64_t>(a.heads, 1);
      a.valueDim = v[2] / std::max<int64_t>(a.kvHeads, 1);
      if (Value mask = attention.getMask()) {
        ArrayRef<int64_t> m = shapeOf(mask);
        a.setMaskShape(std::vector<int64_t>(m.begin(), m.end()));
      }
    }
    LayerLayout layout = chooseLayerLayouts(layer, spec);
    if (layouts)
      layouts->push_back(std::move(layout));
    spec.relayoutBytes = relayoutBytes(layer, spec);
    specs.push_back(std::move(spec));
  }
  return specs;
}
