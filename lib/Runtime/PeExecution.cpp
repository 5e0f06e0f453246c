//===- PeExecution.cpp - a plan's layers on their PEs ---------------------===//
//
// Shard layouts (what each PE of a layer holds):
//  - a product's operands and output, and every tensor of the output's
//    shape in its layer: the SUMMA grid's blocks (A's rows like the
//    output's, its contraction like the output's columns; B the other way
//    round); a vector as long as the output's columns (a bias), the grid
//    column's (or, transposed, row's) slice of it; a norm's scale before it,
//    the slice of the contraction its A blocks hold; a split of the output
//    along its columns, each block's part of it;
//  - an attention layer's queries, keys, values, mask and output: at PE
//    (i, j) of the attention tiling's grid, row block i of the query (key)
//    positions for column j's (batch, head) pairs (for keys and values, the
//    key/value heads those pairs read);
//  - other vectors: a copy at every PE;
//  - anything else: whole rows (last dimension), spread over the region's
//    PEs in row-major order, the first PEs taking one more when they do not
//    divide evenly.
// Lifetimes: weights and constants stay for the layer's whole step;
// activations go after their last use in the layer unless they leave it
// (then at its end); during a SUMMA panel each PE also holds the panels it
// receives.
//
//===----------------------------------------------------------------------===//

#include "PeExecution.h"

#include <algorithm>

#include "Kernels.h"
#include "Parallel.h"
#include "absl/strings/str_cat.h"
#include "wafer/Core/CostModel.h"

namespace wafer::runtime {
namespace {

using core::partOf;

int64_t elementsOf(const plan::Tensor &t) {
  int64_t n = 1;
  for (int64_t d : t.shape())
    n *= d;
  return n;
}

int64_t bytesOf(const plan::Tensor &t) {
  return elementsOf(t) * plan::elementBytes(t.element_type());
}

/// Bytes counted in double where a hostile plan's sizes could overflow,
/// then held at most at 2^62: far past any PE's SRAM.
int64_t saturated(double bytes) {
  return static_cast<int64_t>(std::min(bytes, 0x1p62));
}

std::string show(const Rect &r) {
  return absl::StrCat("(", r.x, ", ", r.y, ") ", r.width, "x", r.height);
}

} // namespace

//===----------------------------------------------------------------------===//
// PeMemory
//===----------------------------------------------------------------------===//

PeMemory::PeMemory(std::string layer, Rect region, int64_t capacity,
                   bool everyPe)
    : layer(std::move(layer)), region(region), capacity(capacity),
      used(everyPe ? region.area() : 1, 0) {}

std::string PeMemory::pe(int64_t index) const {
  return absl::StrCat("(", region.x + index % region.width, ", ",
                      region.y + index / region.width, ")");
}

absl::Status PeMemory::hold(int64_t index, int64_t bytes,
                            const std::string &what) {
  if (index >= static_cast<int64_t>(used.size()))
    return absl::OkStatus(); // Not tracked: never above the first PE.
  used[index] += bytes;
  int64_t total = used[index] + everywhere;
  if (total > capacity)
    return absl::ResourceExhaustedError(absl::StrCat(
        "layer ", layer, ": PE ", pe(index), " runs out of SRAM holding ", what,
        ": ", total, " bytes, more than its ", capacity, " after the reserve"));
  mostAtOne = std::max(mostAtOne, used[index]);
  if (total > peak) {
    peak = total;
    peakIndex = index;
  }
  return absl::OkStatus();
}

void PeMemory::release(int64_t index, int64_t bytes) {
  if (index < static_cast<int64_t>(used.size()))
    used[index] -= bytes;
}

absl::Status PeMemory::holdEverywhere(int64_t bytes, const std::string &what) {
  everywhere += bytes;
  // The fullest PE is the first over; `mostAtOne` only grows, so it may
  // name a PE that has since released: then the exact one is searched.
  if (mostAtOne + everywhere > capacity) {
    mostAtOne = *std::max_element(used.begin(), used.end());
    if (mostAtOne + everywhere > capacity) {
      int64_t index = std::max_element(used.begin(), used.end()) - used.begin();
      return absl::ResourceExhaustedError(absl::StrCat(
          "layer ", layer, ": PE ", pe(index), " runs out of SRAM holding ",
          what, ": ", used[index] + everywhere, " bytes, more than its ",
          capacity, " after the reserve"));
    }
  }
  if (mostAtOne + everywhere > peak) {
    peak = mostAtOne + everywhere;
    peakIndex = std::max_element(used.begin(), used.end()) - used.begin();
  }
  return absl::OkStatus();
}

void PeMemory::releaseEverywhere(int64_t bytes) { everywhere -= bytes; }

//===----------------------------------------------------------------------===//
// PeExecutor
//===----------------------------------------------------------------------===//

PeExecutor::PeExecutor(const PlanView &view, bool perPeMath)
    : view(view), plan(view.plan), perPeMath(perPeMath),
      capacity(view.target.usableSramBytes()),
      weightStreaming(view.weightStreaming) {
  int64_t layers = plan.layers_size();
  producer.assign(plan.tensors_size(), -1);
  isInput.assign(plan.tensors_size(), false);
  for (int64_t id : plan.inputs())
    isInput[id] = true;
  lastKernel.assign(layers, -1);
  for (int64_t i = 0; i < plan.kernels_size(); ++i) {
    const plan::Kernel &k = plan.kernels(i);
    if (k.layer() < 0)
      continue;
    lastKernel[k.layer()] = i;
    for (int64_t id : k.results())
      producer[id] = k.layer();
    for (int64_t id : k.operands())
      lastUse[{id, k.layer()}] = i;
  }
  for (const plan::Kernel &k : plan.kernels())
    for (int64_t id : k.operands())
      if (producer[id] >= 0 && producer[id] != k.layer())
        leaves[{id, producer[id]}] = true;
  for (int64_t id : plan.outputs())
    if (producer[id] >= 0)
      leaves[{id, producer[id]}] = true;
  for (const plan::Flow &f : plan.flows())
    if (f.tensor() >= 0 && f.destination_layer() >= 0)
      flowInto[{f.tensor(), f.destination_layer()}] = &f;
  memory.resize(layers);
  stats.capacityBytes = capacity;
}

void PeExecutor::reset() {
  for (auto &m : memory)
    m.reset();
  shards.clear();
  heldEverywhere.clear();
  PeStats fresh;
  fresh.capacityBytes = capacity;
  stats = fresh;
}

std::string PeExecutor::layerName(int64_t layer) const {
  return layer < 0 ? std::string("the input") : plan.layers(layer).name();
}

std::string PeExecutor::tensorName(int64_t tensor) const {
  const plan::Tensor &t = plan.tensors(tensor);
  if (t.has_weight())
    return absl::StrCat("weight '", t.weight().name(), "'");
  if (!t.name().empty())
    return absl::StrCat("tensor ", tensor, " ('", t.name(), "')");
  return absl::StrCat("tensor ", tensor);
}

PeMemory &PeExecutor::memoryOf(int64_t layer) {
  if (!memory[layer])
    memory[layer] = std::make_unique<PeMemory>(
        plan.layers(layer).name(), plan::toRect(plan.layers(layer).region()),
        capacity, /*everyPe=*/perPeMath);
  return *memory[layer];
}

absl::Status PeExecutor::holdShards(int64_t layer, int64_t tensor,
                                    const char *what) {
  const plan::Tensor &t = plan.tensors(tensor);
  const LayerView &l = view.layers[layer];
  PeMemory &mem = memoryOf(layer);
  const Rect &region = mem.getRegion();
  int64_t width = plan::elementBytes(t.element_type());
  int64_t elements = elementsOf(t);
  std::string label = absl::StrCat(what, " ", tensorName(tensor));
  auto &held = shards[{layer, tensor}];
  auto holdAt = [&](int64_t index, int64_t bytes) -> absl::Status {
    if (bytes == 0)
      return absl::OkStatus();
    held.push_back({index, bytes});
    return mem.hold(index, bytes, label);
  };
  int64_t last = t.shape().empty() ? 1 : t.shape(t.shape_size() - 1);
  if (elements == 0)
    return absl::OkStatus();
  // The layout the plan records (checkPlan: the one the rule gives).
  const core::HeldTensor *layout = l.layoutOf(tensor);
  core::Layout kind = layout ? layout->layout : core::Layout::rows;

  // The attention tiling's blocks: PE (i, j) holds row block i of the query
  // positions for column j's (batch, head) pairs (in each of their chunk
  // columns), row block i of its chunk's key and value positions for the
  // key/value heads they read, and, in the group's first column only, the
  // output's.
  if (kind >= core::Layout::attentionQuery) {
    core::LayerSpec spec = l.spec;
    const core::AttentionTiling &tiling = *l.attention;
    bool keyed = kind == core::Layout::attentionKey ||
                 kind == core::Layout::attentionValue;
    // The mask: what its PEs' pairs, queries and keys read of it, right-
    // aligned against [batch, heads, queries, keys].
    if (kind == core::Layout::attentionMask)
      spec.attention.setMaskShape({t.shape().begin(), t.shape().end()});
    // Features per pair: a query or key head, a value or output head.
    auto bytesAt = [&](int64_t i, int64_t j) -> int64_t {
      if (kind == core::Layout::attentionOutput && j % tiling.keyChunks != 0)
        return 0;
      auto [k0, k1] = core::attentionKeys(spec, tiling, j);
      auto [p0, p1] = keyed ? partOf(k1 - k0, tiling.gridRows, i)
                            : core::attentionQueries(spec, tiling, i, j);
      auto [g0, g1] = core::attentionPairs(spec, tiling, j);
      if (kind == core::Layout::attentionMask)
        return saturated(static_cast<double>(core::attentionMaskElements(
                             spec, g0, g1, p1 - p0, k1 - k0)) *
                         width);
      int64_t pairs = keyed ? core::attentionKvPairs(spec, tiling, j) : g1 - g0;
      int64_t features = kind == core::Layout::attentionQuery ||
                                 kind == core::Layout::attentionKey
                             ? spec.attention.headDim
                             : spec.attention.valueDim;
      return saturated(static_cast<double>(p1 - p0) * pairs * features * width);
    };
    if (mem.tracksEveryPe()) {
      for (int64_t i = 0; i < tiling.gridRows; ++i)
        for (int64_t j = 0; j < tiling.gridCols; ++j)
          if (absl::Status st = holdAt(i * region.width + j, bytesAt(i, j));
              !st.ok())
            return st;
      return absl::OkStatus();
    }
    // Only the first PE is tracked. It has the largest position blocks, the
    // most pairs and the largest chunk, but a later column's pairs may
    // straddle one more key/value head: it is charged the most any PE of
    // the first grid row holds.
    int64_t most = 0;
    for (int64_t j = 0; j < tiling.gridCols; ++j)
      most = std::max(most, bytesAt(0, j));
    return holdAt(0, most);
  }

  // A product's SUMMA grid: the output's rows in mBlocks blocks, its
  // columns in nBlocks (over the grid's columns and rows when transposed);
  // A's contraction is split like the output's columns, B's like its rows.
  // `holdOnGrid` holds bytesAt(row block, column block) at each grid PE.
  if (kind != core::Layout::rows && kind != core::Layout::everyPe) {
    const core::SummaTiling &s = *l.summa;
    const int64_t m = l.spec.m, n = l.spec.n, k = l.spec.k;
    int64_t mBlocks = s.transposed ? s.gridCols : s.gridRows;
    int64_t nBlocks = s.transposed ? s.gridRows : s.gridCols;
    auto size = [](std::pair<int64_t, int64_t> range) {
      return range.second - range.first;
    };
    auto holdOnGrid = [&](auto bytesAt) -> absl::Status {
      int64_t rows = mem.tracksEveryPe() ? s.gridRows : 1;
      int64_t cols = mem.tracksEveryPe() ? s.gridCols : 1;
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j)
          if (absl::Status st =
                  holdAt(i * region.width + j,
                         s.transposed ? bytesAt(j, i) : bytesAt(i, j));
              !st.ok())
            return st;
      return absl::OkStatus();
    };
    switch (kind) {
    case core::Layout::summaLhs: // m x k, and the input of a norm making it.
      return holdOnGrid([&](int64_t mi, int64_t ni) {
        return size(partOf(m, mBlocks, mi)) * size(partOf(k, nBlocks, ni)) *
               width;
      });
    case core::Layout::summaRhs: // k x n, or n x k read transposed.
      return holdOnGrid([&](int64_t mi, int64_t ni) {
        return size(partOf(k, mBlocks, mi)) * size(partOf(n, nBlocks, ni)) *
               width;
      });
    case core::Layout::summaColumnPiece: {
      // Each block's part of the piece.
      auto keptOf = [&](const core::HeldTensor &piece, int64_t ni) {
        auto [n0, n1] = partOf(n, nBlocks, ni);
        return std::max<int64_t>(
            0, std::min(n1, piece.firstColumn + piece.columns) -
                   std::max(n0, piece.firstColumn));
      };
      auto bytesAt = [&](int64_t mi, int64_t ni) {
        return size(partOf(m, mBlocks, mi)) * keptOf(*layout, ni) * width;
      };
      if (mem.tracksEveryPe())
        return holdOnGrid(bytesAt);
      // Only the first PE tracked: the pieces' columns lie in different
      // blocks, so each is charged what it keeps in the block column where
      // the layer's pieces together keep the most (charging each its own
      // most would count a PE's block up to once per piece).
      int64_t busiest = 0, most = -1;
      for (int64_t ni = 0; ni < nBlocks; ++ni) {
        int64_t together = 0;
        for (const auto &[id, held] : l.held)
          if (held.layout == core::Layout::summaColumnPiece)
            together += keptOf(held, ni);
        if (together > most) {
          most = together;
          busiest = ni;
        }
      }
      return holdAt(0, bytesAt(0, busiest));
    }
    case core::Layout::summaOutput: // m x n: the output's blocks.
    case core::Layout::summaColumnSlice: {
      bool vector = kind == core::Layout::summaColumnSlice;
      return holdOnGrid([&](int64_t mi, int64_t ni) {
        return (vector ? 1 : size(partOf(m, mBlocks, mi))) *
               size(partOf(n, nBlocks, ni)) * width;
      });
    }
    default: // summaContractionSlice: a norm's scale or bias.
      return holdOnGrid([&](int64_t, int64_t ni) {
        return size(partOf(k, nBlocks, ni)) * width;
      });
    }
  }
  // Other vectors: a copy at every PE.
  if (kind == core::Layout::everyPe) {
    heldEverywhere[{layer, tensor}] += elements * width;
    return mem.holdEverywhere(elements * width, label);
  }
  // Whole rows over the region's PEs.
  int64_t rowBytes = last * width, rows = elements / last;
  if (rowBytes > capacity)
    return absl::ResourceExhaustedError(absl::StrCat(
        "layer ", l.spec.name, ": one row of ", label, " is ", rowBytes,
        " bytes, more than a PE's ", capacity, " after the reserve"));
  int64_t area = region.area();
  if (int64_t each = rows / area) {
    heldEverywhere[{layer, tensor}] += each * rowBytes;
    if (absl::Status st = mem.holdEverywhere(each * rowBytes, label); !st.ok())
      return st;
  }
  int64_t extra = rows % area;
  if (!mem.tracksEveryPe())
    extra = std::min<int64_t>(extra, 1);
  for (int64_t index = 0; index < extra; ++index)
    if (absl::Status st = holdAt(index, rowBytes); !st.ok())
      return st;
  return absl::OkStatus();
}

void PeExecutor::releaseShards(int64_t layer, int64_t tensor) {
  PeMemory &mem = memoryOf(layer);
  auto it = shards.find({layer, tensor});
  if (it != shards.end()) {
    for (auto [index, bytes] : it->second)
      mem.release(index, bytes);
    shards.erase(it);
  }
  auto everywhere = heldEverywhere.find({layer, tensor});
  if (everywhere != heldEverywhere.end()) {
    mem.releaseEverywhere(everywhere->second);
    heldEverywhere.erase(everywhere);
  }
}

absl::Status PeExecutor::bringIn(int64_t layer, int64_t tensor,
                                 int64_t kernel) {
  auto key = std::make_pair(layer, tensor);
  if (shards.count(key) || heldEverywhere.count(key))
    return absl::OkStatus();
  const plan::Tensor &t = plan.tensors(tensor);
  const plan::Layer &l = plan.layers(layer);
  if (t.has_weight()) {
    if (!weightStreaming || l.tiles_size() == 0)
      return holdShards(layer, tensor, "resident");
    // Streamed: it passes through the layer's tile slots (held at its first
    // kernel); a product takes it panel by panel (matmul()).
    const plan::Kernel &k = plan.kernels(kernel);
    if (k.op() == "wafer.matmul" && k.operands_size() > 1 &&
        k.operands(1) == tensor)
      return absl::OkStatus();
    // checkPlan has found every byte in the layer's tiles, in time.
    stats.streamBytes += t.weight().length();
    return absl::OkStatus();
  }
  if (!isInput[tensor] && producer[tensor] < 0)
    return holdShards(layer, tensor, "constant");
  if (producer[tensor] == layer)
    return absl::OkStatus(); // Made here, and still held.
  auto it = flowInto.find({tensor, layer});
  if (it == flowInto.end())
    return absl::FailedPreconditionError(
        absl::StrCat("layer ", l.name(), " reads ", tensorName(tensor),
                     " from ", layerName(producer[tensor]),
                     " but no flow brings it: its route is "
                     "missing"));
  const plan::Flow &f = *it->second;
  Rect region = plan::toRect(l.region());
  if (!(plan::toRect(f.destination()) == region))
    return absl::FailedPreconditionError(
        absl::StrCat("flow '", f.name(), "' brings ", tensorName(tensor),
                     " to ", show(plan::toRect(f.destination())), " but layer ",
                     l.name(), " is at ", show(region)));
  if (f.source_layer() != producer[tensor])
    return absl::FailedPreconditionError(
        absl::StrCat("flow '", f.name(), "' carries ", tensorName(tensor),
                     " from ", layerName(f.source_layer()), " but ",
                     layerName(producer[tensor]), " makes it"));
  if (f.bytes() < bytesOf(t))
    return absl::FailedPreconditionError(
        absl::StrCat("flow '", f.name(), "' carries ", f.bytes(), " bytes of ",
                     tensorName(tensor), "'s ", bytesOf(t), " into layer ",
                     l.name(), ": the rest never arrives"));
  stats.flowBytes += bytesOf(t);
  return holdShards(layer, tensor, "arriving");
}

absl::Status PeExecutor::matmul(int64_t layer, const plan::Kernel &kernel,
                                const std::vector<const Array *> &in,
                                std::vector<Array> &results) {
  Array &out = results[0];
  const plan::Layer &l = plan.layers(layer);
  const Array &a = *in[0], &b = *in[1];
  bool ta = attrInt(kernel, "transpose_lhs", 0);
  bool tb = attrInt(kernel, "transpose_rhs", 0);
  int64_t ar = a.shape.size(), br = b.shape.size();
  int64_t rows = ta ? a.shape[ar - 1] : a.shape[ar - 2];
  int64_t depth = ta ? a.shape[ar - 2] : a.shape[ar - 1];
  int64_t cols = tb ? b.shape[br - 2] : b.shape[br - 1];
  std::vector<int64_t> batch(out.shape.begin(), out.shape.end() - 2);
  int64_t batches = 1;
  for (int64_t d : batch)
    batches *= d;
  int64_t m = batches * rows;
  if (m == 0 || cols == 0 || depth == 0)
    return runKernel(kernel, in, results); // Nothing to move.
  const core::LayerSpec &spec = view.layers[layer].spec;
  if (!l.has_summa() || spec.m != m || spec.n != cols || spec.k != depth)
    return absl::FailedPreconditionError(
        absl::StrCat("layer ", l.name(), " multiplies ", m, "x", depth, " by ",
                     depth, "x", cols, " but the plan's SUMMA tiling is for ",
                     spec.m, "x", spec.k, " by ", spec.k, "x", spec.n));
  // checkPlan has fitted the tiling to the region and the contraction.
  const core::SummaTiling &s = *view.layers[layer].summa;
  const int64_t p = s.gridRows, q = s.gridCols, panels = s.panels;
  Rect region = view.layers[layer].region;
  const bool transposed = s.transposed;

  // checkPlan has found the row and column broadcasts that carry the
  // panels; streamed weights laid along the rows come from the stream
  // itself, panel by panel from the tiles that hold their bytes.
  const plan::Tensor &rhs = plan.tensors(kernel.operands(1));
  bool rhsStreamed = weightStreaming && rhs.has_weight() && l.tiles_size() > 0;
  if (rhsStreamed) {
    int64_t width = plan::elementBytes(rhs.element_type());
    for (int64_t t = 0; t < panels; ++t) {
      auto [k0, k1] = partOf(depth, panels, t);
      int64_t begin = tb ? k0 : k0 * cols,
              end = tb ? (cols - 1) * depth + k1 : k1 * cols;
      stats.streamBytes += (end - begin) * width;
    }
  }

  // Each grid PE's output block, and the panels it receives.
  int64_t mBlocks = transposed ? q : p, nBlocks = transposed ? p : q;
  auto blockOf = [&](int64_t i, int64_t j) {
    auto mRange = partOf(m, mBlocks, transposed ? j : i);
    auto nRange = partOf(cols, nBlocks, transposed ? i : j);
    return std::make_pair(mRange, nRange);
  };
  // SRAM during the first panel, the widest: received A and B panels (one
  // B panel per batch the block's rows span) beside what the PE holds.
  PeMemory &mem = memoryOf(layer);
  auto [k0, k1] = partOf(depth, panels, 0);
  // One B panel per batch of B that the block's rows span: one for a
  // weight, however many batches of A its rows cross.
  int64_t bBatches = 1;
  for (size_t d = 0; d + 2 < b.shape.size(); ++d)
    bBatches *= b.shape[d];
  auto spansOf = [&](std::pair<int64_t, int64_t> mRange) -> int64_t {
    if (mRange.second == mRange.first)
      return 0;
    return bBatches == 1 ? 1
                         : (mRange.second - 1) / rows - mRange.first / rows + 1;
  };
  auto panelBytes = [&](std::pair<int64_t, int64_t> mRange, int64_t cols) {
    return saturated((static_cast<double>(mRange.second - mRange.first) +
                      static_cast<double>(spansOf(mRange)) * cols) *
                     (k1 - k0) * 4);
  };
  const char *receiving = "the first SUMMA panels it receives";
  if (mem.tracksEveryPe()) {
    for (int64_t i = 0; i < p; ++i)
      for (int64_t j = 0; j < q; ++j) {
        auto [mRange, nRange] = blockOf(i, j);
        int64_t bytes = panelBytes(mRange, nRange.second - nRange.first);
        if (absl::Status st = mem.hold(i * region.width + j, bytes, receiving);
            !st.ok())
          return st;
        mem.release(i * region.width + j, bytes);
      }
  } else {
    // Only the first PE is tracked: it holds the most of every layout, but
    // a block spanning two batches may receive more B panels than it, so
    // it is charged the most any PE receives.
    int64_t most = 0, widest = partOf(cols, nBlocks, 0).second;
    for (int64_t b = 0; b < mBlocks; ++b)
      most = std::max(most, panelBytes(partOf(m, mBlocks, b), widest));
    if (absl::Status st = mem.hold(0, most, receiving); !st.ok())
      return st;
    mem.release(0, most);
  }
  // Every grid PE receives its rows of A and its columns of B (per batch
  // its rows span) over all the panels.
  int64_t spanned = 0;
  for (int64_t b = 0; b < mBlocks; ++b)
    spanned += spansOf(partOf(m, mBlocks, b));
  stats.broadcastBytes += saturated(
      4.0 * depth *
      (static_cast<double>(m) * nBlocks + static_cast<double>(spanned) * cols));
  stats.summaPanels += panels;
  if (!perPeMath)
    return runKernel(kernel, in, results);

  // Dense row-major operands: A as m x depth over all batches, B per batch
  // it has (a weight has one).
  std::vector<int64_t> aBatch(a.shape.begin(), a.shape.end() - 2),
      bBatch(b.shape.begin(), b.shape.end() - 2);
  auto sourceBatch = [&](const std::vector<int64_t> &operand, int64_t i) {
    // Index of output batch i in an operand whose batch dims broadcast.
    int64_t index = 0, stride = 1;
    for (int64_t d = static_cast<int64_t>(batch.size()) - 1,
                 od = static_cast<int64_t>(operand.size()) - 1;
         d >= 0; --d, --od) {
      int64_t coordinate = i % batch[d];
      i /= batch[d];
      if (od >= 0) {
        if (operand[od] != 1)
          index += coordinate * stride;
        stride *= operand[od];
      }
    }
    return index;
  };
  std::vector<float> lhs(m * depth);
  int64_t aSize = a.shape[ar - 1] * a.shape[ar - 2];
  for (int64_t i = 0; i < batches; ++i) {
    const float *src = &a.floats[sourceBatch(aBatch, i) * aSize];
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < depth; ++c)
        lhs[(i * rows + r) * depth + c] =
            ta ? src[c * rows + r] : src[r * depth + c];
  }
  int64_t bSize = b.shape[br - 1] * b.shape[br - 2];
  std::vector<std::vector<float>> rhsOf(bSize ? b.size() / bSize : 0);
  std::vector<int64_t> rhsBatch(batches);
  for (int64_t i = 0; i < batches; ++i) {
    int64_t index = rhsBatch[i] = sourceBatch(bBatch, i);
    if (!rhsOf[index].empty())
      continue;
    const float *src = &b.floats[index * bSize];
    rhsOf[index].resize(depth * cols);
    for (int64_t r = 0; r < depth; ++r)
      for (int64_t c = 0; c < cols; ++c)
        rhsOf[index][r * cols + c] =
            tb ? src[c * depth + r] : src[r * cols + c];
  }

  // Bias: added by each PE to its block, as the host adds it to each row.
  const Array *bias = in.size() > 2 ? in[2] : nullptr;
  bool rowBias = bias && bias->size() == cols;

  parallelFor(p * q, [&](int64_t item) {
    int64_t i = item / q, j = item % q;
    auto [mRange, nRange] = blockOf(i, j);
    int64_t r0 = mRange.first, blockRows = mRange.second - mRange.first;
    int64_t c0 = nRange.first, blockCols = nRange.second - nRange.first;
    if (blockRows == 0 || blockCols == 0)
      return;
    std::vector<float> block(blockRows * blockCols, 0.0f), aPanel, bPanel;
    for (int64_t t = 0; t < panels; ++t) {
      auto [t0, t1] = partOf(depth, panels, t);
      int64_t width = t1 - t0;
      // The panel of A for the block's rows, received.
      aPanel.resize(blockRows * width);
      for (int64_t r = 0; r < blockRows; ++r)
        std::copy_n(&lhs[(r0 + r) * depth + t0], width, &aPanel[r * width]);
      // Per batch the rows span, that batch's panel of B, then the chains.
      for (int64_t r = 0; r < blockRows;) {
        int64_t batchIndex = (r0 + r) / rows;
        int64_t segment =
            std::min(blockRows - r, (batchIndex + 1) * rows - r0 - r);
        const std::vector<float> &B = rhsOf[rhsBatch[batchIndex]];
        bPanel.resize(width * blockCols);
        for (int64_t k = 0; k < width; ++k)
          std::copy_n(&B[(t0 + k) * cols + c0], blockCols,
                      &bPanel[k * blockCols]);
        accumulateProduct(&aPanel[r * width], width, bPanel.data(), blockCols,
                          &block[r * blockCols], blockCols, segment, width,
                          blockCols);
        r += segment;
      }
    }
    if (rowBias)
      for (int64_t r = 0; r < blockRows; ++r)
        for (int64_t c = 0; c < blockCols; ++c)
          block[r * blockCols + c] += bias->floats[c0 + c];
    for (int64_t r = 0; r < blockRows; ++r)
      std::copy_n(&block[r * blockCols], blockCols,
                  &out.floats[(r0 + r) * cols + c0]);
  });
  if (bias && !rowBias) {
    // Any other bias shape broadcasts over the whole product.
    plan::Kernel add;
    add.set_op("wafer.add");
    Array product = out;
    std::vector<Array> sum = {out};
    if (absl::Status st = runKernel(add, {&product, bias}, sum); !st.ok())
      return st;
    out = std::move(sum[0]);
  }
  return absl::OkStatus();
}

absl::Status PeExecutor::norm(int64_t layer, const plan::Kernel &kernel,
                              const std::vector<const Array *> &in,
                              std::vector<Array> &results) {
  // checkPlan has found the reduction route along the line that splits the
  // rows whenever it is longer than one PE.
  const LayerView &l = view.layers[layer];
  const core::SummaTiling &s = *l.summa;
  int64_t line = s.transposed ? s.gridRows : s.gridCols;
  const Array &x = *in[0];
  Array &out = results[0];
  int64_t n = l.spec.k, rows = l.spec.m;
  if (x.size() != rows * n || in[1]->size() < n ||
      (in.size() > 2 && in[2]->size() < n))
    return runKernel(kernel, in, results); // Not this layout: rows whole.
  bool layerNorm = kernel.op() == "wafer.layer_norm";
  double eps = attrFloat(kernel, "epsilon", layerNorm ? 1e-5 : 1e-6);
  const float *scale = in[1]->floats.data();
  const float *bias = in.size() > 2 ? in[2]->floats.data() : nullptr;
  out.floats = x.floats;
  parallelFor((rows + 63) / 64, [&](int64_t chunk) {
    for (int64_t r = chunk * 64; r < std::min(rows, chunk * 64 + 64); ++r)
      normRow(&out.floats[r * n], n, line, layerNorm, eps, scale, bias);
  });
  if (line > 1)
    stats.reductionBytes += core::SummaReductions::bytesFor(rows);
  return absl::OkStatus();
}

absl::Status PeExecutor::attention(int64_t layer, const plan::Kernel &kernel,
                                   const std::vector<const Array *> &in,
                                   std::vector<Array> &results) {
  // checkPlan has matched the tiling to the kernel's shapes and the region,
  // its keys and values to the broadcast down the region's columns and its
  // chunks' partial results to the reduction along its rows.
  const core::LayerSpec &spec = view.layers[layer].spec;
  const core::AttentionTiling &tiling = *view.layers[layer].attention;
  const core::LayerSpec::Attention &a = spec.attention;
  const int64_t rowsOfGrid = tiling.gridRows, cols = tiling.gridCols;
  const int64_t chunks = tiling.keyChunks;
  Rect region = view.layers[layer].region;
  // SRAM while a PE attends: one key block's scores, the widest key or
  // value panel it receives, each query's running maximum and sum and, with
  // several chunks, the running output it passes on (or receives).
  PeMemory &mem = memoryOf(layer);
  auto working = [&](int64_t i, int64_t j) {
    auto [q0, q1] = core::attentionQueries(spec, tiling, i, j);
    auto [p0, p1] = core::attentionPairs(spec, tiling, j);
    auto [k0, k1] = core::attentionKeys(spec, tiling, j);
    int64_t kv = core::attentionKvPairs(spec, tiling, j);
    int64_t block = partOf(k1 - k0, tiling.keyBlocks, 0).second;
    double rows = static_cast<double>(q1 - q0) * (p1 - p0);
    double panel = static_cast<double>(partOf(block, tiling.panels, 0).second) *
                   kv * std::max(a.headDim, a.valueDim);
    double running = rows * (3 + (chunks > 1 ? a.valueDim : 0));
    return saturated((rows * block + panel + running) * 4);
  };
  const char *what = "one key block's scores, the widest key or value panel "
                     "it receives and its running results";
  if (mem.tracksEveryPe()) {
    for (int64_t i = 0; i < rowsOfGrid; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        int64_t bytes = working(i, j), index = i * region.width + j;
        if (absl::Status st = mem.hold(index, bytes, what); !st.ok())
          return st;
        mem.release(index, bytes);
      }
  } else {
    // The first PE has the most queries, pairs and keys; it is charged the
    // most any PE of the first grid row needs.
    int64_t most = 0;
    for (int64_t j = 0; j < cols; ++j)
      most = std::max(most, working(0, j));
    if (absl::Status st = mem.hold(0, most, what); !st.ok())
      return st;
    mem.release(0, most);
  }
  stats.broadcastBytes +=
      core::CostModel::attentionBroadcastBytes(spec, tiling);
  if (chunks > 1)
    stats.reductionBytes +=
        core::CostModel::attentionCombineBytes(spec, tiling) * (chunks - 1);
  stats.attentionPanels += 2 * tiling.keyBlocks * tiling.panels;

  // Each PE (i, j): for each of its pairs and each key block of its chunk,
  // its queries scored against the block's key panels as they pass, the
  // block folded into each query's running softmax (rescaling its running
  // output), then its output accumulated from the block's value panels, in
  // key order. The first chunk column of a group then combines its chunks'
  // running results along the grid row, from the last chunk to the first,
  // and divides by the sum.
  const Array &q = *in[0], &key = *in[1], &v = *in[2];
  const Array *mask = in.size() > 3 ? in[3] : nullptr;
  Array &out = results[0];
  const int64_t heads = a.heads, group = a.heads / a.kvHeads;
  const int64_t sq = a.queries, sk = a.keys, dh = a.headDim, dv = a.valueDim;
  const float scale = static_cast<float>(attrFloat(kernel, "scale", 1.0));
  const bool causal = attrInt(kernel, "causal", 0);
  // The mask broadcasts to [batch, heads, queries, keys].
  std::array<int64_t, 4> maskStride = {0, 0, 0, 0};
  if (mask)
    maskStride = broadcastStrides4(mask->shape);
  struct Partial {
    std::vector<float> output; // rows x dv, unnormalised.
    std::vector<RunningSoftmax> running;
    void reset(int64_t rows, int64_t dv) {
      output.assign(rows * dv, 0.0f);
      running.assign(rows, RunningSoftmax());
    }
  };
  // Folds the scores of rows [q0, q0 + rows) of pair (b, h) against keys
  // [c0, c0 + keys), in `scores` with leading dimension `ld`, into `p`:
  // scaled, masked, hidden after their query (causal), exponentiated
  // against each row's new maximum, whose running output is rescaled.
  auto foldBlock = [&](float *scores, int64_t ld, int64_t b, int64_t h,
                       int64_t q0, int64_t rows, int64_t c0, int64_t keys,
                       Partial &p) {
    std::vector<float> maskRow(mask ? keys : 0);
    const float *maskOrNull = mask ? maskRow.data() : nullptr;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t k = 0; mask && k < keys; ++k)
        maskRow[k] =
            mask->floats[b * maskStride[0] + h * maskStride[1] +
                         (q0 + r) * maskStride[2] + (c0 + k) * maskStride[3]];
      int64_t visible =
          causal ? std::clamp<int64_t>(q0 + r + 1 - c0, 0, keys) : keys;
      float rescale = foldScores(&scores[r * ld], keys, scale, maskOrNull,
                                 visible, p.running[r]);
      if (rescale != 1.0f)
        for (float &o : absl::MakeSpan(&p.output[r * dv], dv))
          o *= rescale;
    }
  };
  // The output of rows [q0, q0 + rows) of pair (b, h) from its chunks'
  // running results.
  auto writeOutput = [&](int64_t b, int64_t h, int64_t q0, int64_t rows,
                         const std::vector<Partial> &parts) {
    std::vector<ChunkResult> results(chunks);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < chunks; ++c)
        results[c] =
            ChunkResult{parts[c].running[r].max, parts[c].running[r].sum,
                        &parts[c].output[r * dv]};
      combineChunks(results, dv,
                    &out.floats[(b * sq + q0 + r) * out.shape[2] + h * dv]);
    }
  };
  // One PE's part: rows [q0, q1) of pair (b, h) against column j's chunk,
  // block by block, from the panels it receives.
  auto attendChunk = [&](int64_t b, int64_t h, int64_t q0, int64_t q1,
                         int64_t j, Partial &p) {
    int64_t g = h / group, rows = q1 - q0;
    auto [c0, c1] = core::attentionKeys(spec, tiling, j);
    std::vector<float> queries(rows * dh), scores, keysT, values;
    for (int64_t r = 0; r < rows; ++r)
      std::copy_n(&q.floats[(b * sq + q0 + r) * q.shape[2] + h * dh], dh,
                  &queries[r * dh]);
    p.reset(rows, dv);
    for (int64_t blk = 0; blk < tiling.keyBlocks; ++blk) {
      auto [b0, b1] = partOf(c1 - c0, tiling.keyBlocks, blk);
      int64_t first = c0 + b0, keys = b1 - b0;
      scores.assign(rows * keys, 0.0f);
      for (int64_t t = 0; t < tiling.panels; ++t) {
        auto [k0, k1] = partOf(keys, tiling.panels, t);
        keysT.resize(dh * (k1 - k0));
        transposeInto(
            &key.floats[(b * sk + first + k0) * key.shape[2] + g * dh],
            key.shape[2], k1 - k0, dh, keysT.data());
        accumulateProduct(queries.data(), dh, keysT.data(), k1 - k0,
                          &scores[k0], keys, rows, dh, k1 - k0);
      }
      foldBlock(scores.data(), keys, b, h, q0, rows, first, keys, p);
      for (int64_t t = 0; t < tiling.panels; ++t) {
        auto [k0, k1] = partOf(keys, tiling.panels, t);
        values.resize((k1 - k0) * dv);
        for (int64_t k = k0; k < k1; ++k)
          std::copy_n(&v.floats[(b * sk + first + k) * v.shape[2] + g * dv], dv,
                      &values[(k - k0) * dv]);
        accumulateProduct(&scores[k0], keys, values.data(), dv, p.output.data(),
                          dv, rows, k1 - k0, dv);
      }
    }
  };
  // Every query row's chains are its own, so they give the same bits
  // however the rows are grouped: with `perPeMath` each grid row's block of
  // each pair group runs from its own panels; by default each pair's rows
  // run at once, its scores against every key in one product (each score is
  // its own chain), each block folded and accumulated from its slice.
  int64_t blocks = tiling.groups() * tiling.queryCols;
  if (perPeMath)
    parallelFor(rowsOfGrid * blocks, [&](int64_t item) {
      // Grid row i of a group's query column block, from its first chunk
      // column.
      int64_t i = item / blocks, first = item % blocks * chunks;
      auto [q0, q1] = core::attentionQueries(spec, tiling, i, first);
      auto [p0, p1] = core::attentionPairs(spec, tiling, first);
      std::vector<Partial> parts(chunks);
      for (int64_t pair = p0; pair < p1 && q1 > q0; ++pair) {
        for (int64_t c = 0; c < chunks; ++c)
          attendChunk(pair / heads, pair % heads, q0, q1, first + c, parts[c]);
        writeOutput(pair / heads, pair % heads, q0, q1 - q0, parts);
      }
    });
  else
    parallelFor(a.batch * heads, [&](int64_t pair) {
      int64_t b = pair / heads, h = pair % heads, g = h / group;
      // Reused by the thread's next pair: every element is written first.
      thread_local std::vector<float> keysT, scores;
      thread_local std::vector<Partial> parts;
      keysT.resize(dh * sk);
      scores.resize(sq * sk);
      parts.resize(chunks);
      transposeInto(&key.floats[b * sk * key.shape[2] + g * dh], key.shape[2],
                    sk, dh, keysT.data());
      productInto(&q.floats[b * sq * q.shape[2] + h * dh], q.shape[2],
                  keysT.data(), sk, scores.data(), sk, sq, dh, sk);
      if (tiling.keyBlocks == 1) {
        // One block per chunk: each row's chunks folded, accumulated and
        // combined at once (attendChunkedRow), no chunk's output kept.
        thread_local std::vector<std::pair<int64_t, int64_t>> ranges;
        thread_local std::vector<float> maskRow;
        ranges.clear();
        for (int64_t c = 0; c < chunks; ++c)
          ranges.push_back(core::attentionKeys(spec, tiling, c));
        maskRow.resize(mask ? sk : 0);
        for (int64_t r = 0; r < sq; ++r) {
          for (int64_t k = 0; mask && k < sk; ++k)
            maskRow[k] = mask->floats[b * maskStride[0] + h * maskStride[1] +
                                      r * maskStride[2] + k * maskStride[3]];
          attendChunkedRow(&scores[r * sk], ranges, scale,
                           mask ? maskRow.data() : nullptr, causal ? r + 1 : sk,
                           &v.floats[b * sk * v.shape[2] + g * dv], v.shape[2],
                           dv,
                           &out.floats[(b * sq + r) * out.shape[2] + h * dv]);
        }
        return;
      }
      for (int64_t c = 0; c < chunks; ++c) {
        auto [c0, c1] = core::attentionKeys(spec, tiling, c);
        Partial &p = parts[c];
        p.reset(sq, dv);
        for (int64_t blk = 0; blk < tiling.keyBlocks; ++blk) {
          auto [b0, b1] = partOf(c1 - c0, tiling.keyBlocks, blk);
          int64_t first = c0 + b0;
          foldBlock(&scores[first], sk, b, h, 0, sq, first, b1 - b0, p);
          accumulateProduct(&scores[first], sk,
                            &v.floats[(b * sk + first) * v.shape[2] + g * dv],
                            v.shape[2], p.output.data(), dv, sq, b1 - b0, dv);
        }
      }
      writeOutput(b, h, 0, sq, parts);
    });
  return absl::OkStatus();
}

void PeExecutor::endLayer(int64_t layer) {
  PeMemory &mem = memoryOf(layer);
  // checkPlan has found its reshard routed where it spans more than a PE.
  if (plan::toRect(plan.layers(layer).region()).area() > 1)
    stats.reshardBytes += view.layers[layer].spec.relayoutBytes;
  if (mem.peakBytes() > stats.peakBytes) {
    stats.peakBytes = mem.peakBytes();
    stats.peakLayer = plan.layers(layer).name();
    stats.peakPe = mem.peakPe();
    stats.peakPlannedBytes = plan.layers(layer).sram_bytes_per_pe();
  }
  int64_t over = mem.peakBytes() - plan.layers(layer).sram_bytes_per_pe();
  if (over > 0) {
    ++stats.layersOverPlan;
    if (over > stats.mostOverBytes - stats.mostOverPlannedBytes) {
      stats.mostOverLayer = plan.layers(layer).name();
      stats.mostOverBytes = mem.peakBytes();
      stats.mostOverPlannedBytes = plan.layers(layer).sram_bytes_per_pe();
    }
  }
  for (auto it = shards.begin(); it != shards.end();)
    it = it->first.first == layer ? shards.erase(it) : std::next(it);
  for (auto it = heldEverywhere.begin(); it != heldEverywhere.end();)
    it = it->first.first == layer ? heldEverywhere.erase(it) : std::next(it);
  memory[layer].reset();
}

absl::Status PeExecutor::run(int64_t index,
                             const std::vector<const Array *> &operands,
                             std::vector<Array> &results) {
  const plan::Kernel &k = plan.kernels(index);
  int64_t layer = k.layer();
  if (layer < 0)
    return runKernel(k, operands, results);
  const plan::Layer &l = plan.layers(layer);
  if (!memory[layer] && weightStreaming) {
    // The layer's two stream slots, spread over its PEs.
    int64_t area = plan::toRect(l.region()).area();
    int64_t slot[2] = {0, 0};
    for (const plan::StreamTile &tile : l.tiles())
      slot[tile.slot() & 1] = std::max(slot[tile.slot() & 1], tile.bytes());
    for (int s = 0; s < 2; ++s)
      if (absl::Status st = memoryOf(layer).holdEverywhere(
              slot[s] / area + (slot[s] % area != 0),
              absl::StrCat("its share of stream slot ", s));
          !st.ok())
        return st;
  }
  for (int64_t id : k.operands())
    if (absl::Status st = bringIn(layer, id, index); !st.ok())
      return st;
  for (int64_t id : k.results())
    if (absl::Status st = holdShards(layer, id, "the result"); !st.ok())
      return st;
  absl::Status status;
  if (k.op() == "wafer.matmul")
    status = matmul(layer, k, operands, results);
  else if (k.op() == "wafer.attention" && l.has_attention())
    status = attention(layer, k, operands, results);
  else if (view.layers[layer].normKernel == index)
    status = norm(layer, k, operands, results);
  else
    status = runKernel(k, operands, results);
  if (!status.ok())
    return status;
  // Activations go after their last use here, unless they leave the layer.
  for (int64_t id : k.operands()) {
    const plan::Tensor &t = plan.tensors(id);
    if (t.has_weight() || t.has_constant() || lastUse[{id, layer}] != index ||
        leaves.count({id, layer}))
      continue;
    if (isInput[id] || producer[id] >= 0)
      releaseShards(layer, id);
  }
  if (lastKernel[layer] == index)
    endLayer(layer);
  return absl::OkStatus();
}

} // namespace wafer::runtime
