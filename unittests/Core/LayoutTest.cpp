//===- LayoutTest.cpp - the one rule for how a layer holds its tensors ----===//

#include "wafer/Core/Layout.h"

#include "wafer/Core/LayerSpec.h"
#include "wafer/Plan/Plan.h"
#include "gtest/gtest.h"

using namespace wafer;
using namespace wafer::core;

namespace {

/// Tensors by id: shapes[id].
struct Tensors {
  std::vector<std::vector<int64_t>> shapes;
  LayerLayouts layouts(const LayerGrid &grid,
                       const std::vector<KernelInfo> &kernels) const {
    return chooseLayouts(
        grid, kernels,
        [&](int64_t id) -> const std::vector<int64_t> & { return shapes[id]; });
  }
};

Layout layoutOf(const LayerLayouts &layouts, int64_t tensor) {
  for (const HeldTensor &held : layouts.held)
    if (held.tensor == tensor)
      return held.layout;
  ADD_FAILURE() << "tensor " << tensor << " has no layout";
  return Layout::rows;
}

} // namespace

TEST(Layout, NormedProductHoldsItsInputAndScaleOnTheGrid) {
  // x(8x32) -> layer_norm(scale 32, bias 32) -> matmul(w 32x64) + bias(64)
  Tensors t{{{8, 32}, {32}, {32}, {8, 32}, {32, 64}, {8, 64}, {64}, {8, 64}}};
  std::vector<KernelInfo> kernels = {
      {"wafer.layer_norm", {0, 1, 2}, {3}},
      {"wafer.matmul", {3, 4}, {5}},
      {"wafer.add", {5, 6}, {7}},
  };
  LayerLayouts l = t.layouts(LayerGrid{8, 64, 32, false}, kernels);
  EXPECT_EQ(l.normKernel, 0);
  EXPECT_EQ(l.normedProduct, 1);
  EXPECT_EQ(layoutOf(l, 0), Layout::summaLhs);
  EXPECT_EQ(layoutOf(l, 1), Layout::summaContractionSlice);
  EXPECT_EQ(layoutOf(l, 3), Layout::summaLhs);
  EXPECT_EQ(layoutOf(l, 4), Layout::summaRhs);
  EXPECT_EQ(layoutOf(l, 5), Layout::summaOutput);
  EXPECT_EQ(layoutOf(l, 6), Layout::summaColumnSlice);
  EXPECT_EQ(layoutOf(l, 7), Layout::summaOutput);
  // In the order the kernels first touch them.
  ASSERT_EQ(l.held.size(), 8u);
  for (int64_t i = 0; i < 8; ++i)
    EXPECT_EQ(l.held[i].tensor, i);

  LayerSpec spec;
  describeHeld(
      l,
      [&](int64_t id) -> const std::vector<int64_t> & { return t.shapes[id]; },
      [](int64_t) { return 4; }, [](int64_t id) { return id == 4; }, spec);
  EXPECT_TRUE(spec.normedLhs);
  EXPECT_EQ(spec.columnVectors, 1);
  EXPECT_EQ(spec.contractionVectors, 2);
  EXPECT_TRUE(spec.rowTensors.empty());
}

TEST(Layout, NormOverAnotherAxisIsNotOnTheGrid) {
  Tensors t{{{8, 32}, {8}, {8}, {8, 32}, {32, 64}, {8, 64}}};
  std::vector<KernelInfo> kernels = {
      {"wafer.layer_norm", {0, 1, 2}, {3}, false, 0},
      {"wafer.matmul", {3, 4}, {5}},
  };
  LayerLayouts l = t.layouts(LayerGrid{8, 64, 32, false}, kernels);
  EXPECT_EQ(l.normKernel, -1);
  EXPECT_EQ(layoutOf(l, 0), Layout::rows);
  EXPECT_EQ(layoutOf(l, 1), Layout::everyPe);
  EXPECT_EQ(layoutOf(l, 3), Layout::summaLhs);
}

TEST(Layout, SplitOfTheProductStaysInItsBlocks) {
  Tensors t{{{4, 16}, {16, 48}, {4, 48}, {4, 16}, {4, 16}, {4, 16}}};
  std::vector<KernelInfo> kernels = {
      {"wafer.matmul", {0, 1}, {2}},
      {"wafer.split", {2}, {3, 4, 5}, false, 1},
  };
  LayerLayouts l = t.layouts(LayerGrid{4, 48, 16, false}, kernels);
  // The first piece has the left operand's shape: it is that operand.
  EXPECT_EQ(layoutOf(l, 0), Layout::summaLhs);
  for (int64_t piece = 0; piece < 3; ++piece) {
    const HeldTensor &held = l.held[3 + piece];
    EXPECT_EQ(held.tensor, 3 + piece);
    EXPECT_EQ(held.layout, Layout::summaColumnPiece);
    EXPECT_EQ(held.firstColumn, 16 * piece);
    EXPECT_EQ(held.columns, 16);
  }
}

TEST(Layout, AttentionRolesOnlyWithAnAttentionTiling) {
  Tensors t{{{2, 8, 32}, {2, 8, 32}, {2, 8, 32}, {1, 1, 8, 8}, {2, 8, 32}}};
  std::vector<KernelInfo> kernels = {{"wafer.attention", {0, 1, 2, 3}, {4}}};
  LayerLayouts l = t.layouts(LayerGrid{0, 0, 0, true}, kernels);
  EXPECT_EQ(layoutOf(l, 0), Layout::attentionQuery);
  EXPECT_EQ(layoutOf(l, 1), Layout::attentionKey);
  EXPECT_EQ(layoutOf(l, 2), Layout::attentionValue);
  EXPECT_EQ(layoutOf(l, 3), Layout::attentionMask);
  EXPECT_EQ(layoutOf(l, 4), Layout::attentionOutput);
  LayerLayouts rows = t.layouts(LayerGrid{}, kernels);
  for (const HeldTensor &held : rows.held)
    EXPECT_EQ(held.layout, Layout::rows);
}

TEST(Layout, EmptyTensorsTakeNoLayout) {
  Tensors t{{{0, 4}, {4}}};
  LayerLayouts l = t.layouts(LayerGrid{}, {{"wafer.neg", {0}, {1}}});
  ASSERT_EQ(l.held.size(), 1u);
  EXPECT_EQ(l.held[0].tensor, 1);
  EXPECT_EQ(l.held[0].layout, Layout::everyPe);
}

TEST(Layout, ThePlanSpellsEveryLayoutAsTheCoreNamesIt) {
  // plan::Layout and core::Layout list the same layouts in the same order.
  for (int i = plan::Layout_MIN; i <= plan::Layout_MAX; ++i) {
    std::string name = plan::Layout_Name(static_cast<plan::Layout>(i));
    for (char &c : name)
      c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
    EXPECT_EQ(name, layoutName(static_cast<Layout>(i)));
  }
  EXPECT_EQ(static_cast<int>(Layout::attentionOutput), plan::Layout_MAX);
}

TEST(Layout, ThePlanSpellsEveryLayerKindAsTheCoreNamesIt) {
  for (core::LayerKind kind :
       {core::LayerKind::embedding, core::LayerKind::linear,
        core::LayerKind::attention, core::LayerKind::other}) {
    plan::LayerSpec recorded;
    core::LayerSpec spec;
    spec.kind = kind;
    plan::fromLayerSpec(spec, recorded);
    std::string name = plan::LayerKind_Name(recorded.kind());
    for (char &c : name)
      c = static_cast<char>(std::tolower(c));
    EXPECT_EQ(name, layerKindName(kind));
    plan::Layer layer;
    *layer.mutable_spec() = recorded;
    EXPECT_EQ(plan::toLayerSpec(layer).kind, kind);
  }
}
