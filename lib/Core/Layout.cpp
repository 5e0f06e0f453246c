//===- Layout.cpp - how each tensor of a layer lies on its PEs ------------===//

#include "wafer/Core/Layout.h"

#include "wafer/Core/LayerSpec.h"

#include <map>
#include <set>

namespace wafer::core {

const char *layoutName(Layout layout) {
  switch (layout) {
  case Layout::rows:
    return "rows";
  case Layout::everyPe:
    return "every-pe";
  case Layout::summaLhs:
    return "summa-lhs";
  case Layout::summaRhs:
    return "summa-rhs";
  case Layout::summaOutput:
    return "summa-output";
  case Layout::summaColumnPiece:
    return "summa-column-piece";
  case Layout::summaColumnSlice:
    return "summa-column-slice";
  case Layout::summaContractionSlice:
    return "summa-contraction-slice";
  case Layout::attentionQuery:
    return "attention-query";
  case Layout::attentionKey:
    return "attention-key";
  case Layout::attentionValue:
    return "attention-value";
  case Layout::attentionMask:
    return "attention-mask";
  case Layout::attentionOutput:
    return "attention-output";
  }
  return "unknown";
}

namespace {

int64_t elementsOf(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

bool isRowNorm(const KernelInfo &kernel, int64_t rank) {
  if ((kernel.op != "wafer.layer_norm" && kernel.op != "wafer.rms_norm") ||
      kernel.operands.size() < 2)
    return false;
  int64_t axis = kernel.axis.value_or(-1);
  return axis == -1 || axis == rank - 1;
}

} // namespace

LayerLayouts chooseLayouts(
    const LayerGrid &grid, const std::vector<KernelInfo> &kernels,
    const std::function<const std::vector<int64_t> &(int64_t)> &shapeOf) {
  LayerLayouts out;
  // The first product whose left operand a row normalisation in the layer
  // makes: the norm runs on that operand's blocks.
  std::map<int64_t, int64_t> madeBy;
  for (size_t i = 0; i < kernels.size() && out.normedProduct < 0; ++i) {
    const KernelInfo &k = kernels[i];
    if (k.op == "wafer.matmul" && !k.transposeLhs && k.operands.size() >= 2)
      if (auto it = madeBy.find(k.operands[0]);
          it != madeBy.end() &&
          isRowNorm(kernels[it->second],
                    static_cast<int64_t>(shapeOf(k.operands[0]).size()))) {
        out.normKernel = it->second;
        out.normedProduct = static_cast<int64_t>(i);
      }
    for (int64_t id : k.results)
      madeBy[id] = static_cast<int64_t>(i);
  }

  // What the kernels make each tensor to the product or the attention.
  std::map<int64_t, Layout> attentionRole;
  std::set<int64_t> lhs, rhs;
  std::map<int64_t, std::pair<int64_t, int64_t>> pieces;
  for (const KernelInfo &k : kernels) {
    if (k.op == "wafer.attention" && grid.attention) {
      const Layout roles[] = {Layout::attentionQuery, Layout::attentionKey,
                              Layout::attentionValue, Layout::attentionMask};
      for (size_t i = 0; i < k.operands.size() && i < 4; ++i)
        attentionRole[k.operands[i]] = roles[i];
      for (int64_t id : k.results)
        attentionRole[id] = Layout::attentionOutput;
    }
    if (k.op == "wafer.matmul" && !k.transposeLhs && !k.operands.empty())
      lhs.insert(k.operands[0]);
    if (k.op == "wafer.matmul" && k.operands.size() > 1)
      rhs.insert(k.operands[1]);
    // A split of a product's output along its columns stays in its blocks.
    if (k.op == "wafer.split" && grid.summa() && k.operands.size() == 1) {
      const std::vector<int64_t> &whole = shapeOf(k.operands[0]);
      int64_t rank = static_cast<int64_t>(whole.size());
      int64_t axis = k.axis.value_or(0);
      if (rank == 0 || (axis != rank - 1 && axis != -1) ||
          whole.back() != grid.n || elementsOf(whole) != grid.m * grid.n)
        continue;
      int64_t first = 0;
      for (int64_t id : k.results) {
        const std::vector<int64_t> &piece = shapeOf(id);
        int64_t columns =
            static_cast<int64_t>(piece.size()) == rank ? piece.back() : 0;
        pieces[id] = {first, columns};
        first += columns;
      }
    }
  }
  if (out.normKernel >= 0)
    lhs.insert(kernels[out.normKernel].operands[0]);

  auto layoutOf = [&](int64_t id) {
    HeldTensor held;
    held.tensor = id;
    const std::vector<int64_t> &shape = shapeOf(id);
    int64_t elements = elementsOf(shape);
    int64_t last = shape.empty() ? 1 : shape.back();
    bool vector = shape.size() <= 1;
    if (auto role = attentionRole.find(id); role != attentionRole.end()) {
      held.layout = role->second;
    } else if (grid.summa() && lhs.count(id) && last == grid.k &&
               elements / grid.k == grid.m) {
      held.layout = Layout::summaLhs;
    } else if (grid.summa() && rhs.count(id) && elements == grid.k * grid.n &&
               shape.size() >= 2) {
      held.layout = Layout::summaRhs;
    } else if (auto piece = pieces.find(id); piece != pieces.end()) {
      held.layout = Layout::summaColumnPiece;
      held.firstColumn = piece->second.first;
      held.columns = piece->second.second;
    } else if (grid.summa() && last == grid.n && vector && elements == grid.n) {
      held.layout = Layout::summaColumnSlice;
    } else if (grid.summa() && last == grid.n && elements % grid.n == 0 &&
               elements / grid.n == grid.m) {
      held.layout = Layout::summaOutput;
    } else if (grid.summa() && vector && elements == grid.k &&
               out.normKernel >= 0) {
      held.layout = Layout::summaContractionSlice;
    } else {
      held.layout = vector ? Layout::everyPe : Layout::rows;
    }
    return held;
  };

  std::set<int64_t> seen;
  for (const KernelInfo &k : kernels)
    for (const std::vector<int64_t> *ids : {&k.operands, &k.results})
      for (int64_t id : *ids)
        if (seen.insert(id).second && elementsOf(shapeOf(id)) > 0)
          out.held.push_back(layoutOf(id));
  return out;
}

void describeHeld(
    const LayerLayouts &layouts,
    const std::function<const std::vector<int64_t> &(int64_t)> &shapeOf,
    const std::function<int64_t(int64_t)> &elementBytesOf,
    const std::function<bool(int64_t)> &isWeight, LayerSpec &spec) {
  spec.normedLhs = layouts.normKernel >= 0;
  spec.columnVectors = spec.contractionVectors = 0;
  spec.rowTensors.clear();
  for (const HeldTensor &held : layouts.held) {
    switch (held.layout) {
    case Layout::summaColumnSlice:
      ++spec.columnVectors;
      break;
    case Layout::summaContractionSlice:
      ++spec.contractionVectors;
      break;
    case Layout::rows:
    case Layout::everyPe: {
      const std::vector<int64_t> &shape = shapeOf(held.tensor);
      int64_t last = shape.empty() ? 1 : shape.back();
      spec.rowTensors.push_back({elementsOf(shape) / last,
                                 last * elementBytesOf(held.tensor),
                                 isWeight(held.tensor)});
      break;
    }
    default:
      break;
    }
  }
}

} // namespace wafer::core
