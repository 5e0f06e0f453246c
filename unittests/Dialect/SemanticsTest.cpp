//===- SemanticsTest.cpp - Ops.def against the dialect ----------*- C++ -*-===//
//
// wafer/Semantics/Ops.def lists every graph-level op the dialect registers,
// with the dialect's name: an op added to the ODS without its semantics entry
// (or the reverse) fails here.
//
//===----------------------------------------------------------------------===//

#include <set>
#include <string>

#include "mlir/IR/MLIRContext.h"
#include "wafer/Dialect/Wafer/WaferDialect.h"
#include "wafer/Dialect/Wafer/WaferOps.h"
#include "wafer/Semantics/Ops.h"
#include "gtest/gtest.h"

using namespace wafer;

TEST(Semantics, EveryGraphOpOfTheDialectHasOneEntry) {
  mlir::MLIRContext context;
  context.loadDialect<WaferDialect>();
  // The spatial and routed levels record decisions; they compute nothing.
  const std::set<std::string> notGraph = {"wafer.placement", "wafer.place",
                                          "wafer.stream", "wafer.routing",
                                          "wafer.flow"};
  std::set<std::string> registered;
  for (mlir::RegisteredOperationName op :
       context.getRegisteredOperationsByDialect("wafer"))
    if (!notGraph.count(op.getStringRef().str()))
      registered.insert(op.getStringRef().str());
  std::set<std::string> listed;
  for (sem::OpKind kind : sem::allOpKinds()) {
    listed.insert(sem::opName(kind));
    EXPECT_EQ(sem::opKindOf(sem::opName(kind)), kind) << sem::opName(kind);
  }
  EXPECT_EQ(registered, listed);
  EXPECT_EQ(sem::opKindOf("wafer.nothing"), std::nullopt);
}

TEST(Semantics, EnumerationsAreTheDialectsByName) {
  for (size_t i = 0; i < sem::compareKindNames().size(); ++i)
    EXPECT_EQ(stringifyCompareKind(static_cast<CompareKind>(i)).str(),
              sem::compareKindNames()[i]);
  EXPECT_FALSE(symbolizeCompareKind(sem::compareKindNames().size()));
  for (size_t i = 0; i < sem::reduceKindNames().size(); ++i)
    EXPECT_EQ(stringifyReduceKind(static_cast<ReduceKind>(i)).str(),
              sem::reduceKindNames()[i]);
  EXPECT_FALSE(symbolizeReduceKind(sem::reduceKindNames().size()));
  for (size_t i = 0; i < sem::geluApproximationNames().size(); ++i)
    EXPECT_EQ(stringifyGeluApproximation(static_cast<GeluApproximation>(i))
                  .str(),
              sem::geluApproximationNames()[i]);
  EXPECT_FALSE(
      symbolizeGeluApproximation(sem::geluApproximationNames().size()));
}

TEST(Semantics, ShapeRulesSayWhatTheyExpectAndFound) {
  sem::OpShapes matmul{sem::OpKind::matmul,
                       {{2, 8, 16}, {32, 4}},
                       {{2, 8, 4}},
                       [](std::string_view) { return std::nullopt; },
                       [](std::string_view) { return std::nullopt; }};
  EXPECT_EQ(sem::shapeError(matmul),
            "contracting dimensions differ: lhs 2x8x16 has K = 16, rhs 32x4 "
            "has K = 32");
  matmul.operands[1] = {16, 4};
  EXPECT_EQ(sem::shapeError(matmul), std::nullopt);
  matmul.results[0] = {8, 4};
  EXPECT_EQ(sem::shapeError(matmul),
            "result shape 8x4 differs from the expected 2x8x4");
  sem::OpShapes add{sem::OpKind::add,
                    {{4, 1}, {3}},
                    {{4, 3}},
                    [](std::string_view) { return std::nullopt; },
                    [](std::string_view) { return std::nullopt; }};
  EXPECT_EQ(sem::shapeError(add), std::nullopt);
  add.operands = {{4, 2}, {3}};
  EXPECT_EQ(sem::shapeError(add), "operand shapes 4x2, 3 do not broadcast");
  sem::OpShapes split{sem::OpKind::split,
                      {{4, 6}},
                      {{4, 2}, {4, 3}},
                      [](std::string_view name) -> std::optional<int64_t> {
                        return name == "axis" ? std::optional<int64_t>(1)
                                              : std::nullopt;
                      },
                      [](std::string_view) { return std::nullopt; }};
  EXPECT_EQ(sem::shapeError(split),
            "results add up to 5 along axis 1, input has 6");
  split.operands.clear();
  EXPECT_EQ(sem::shapeError(split),
            "takes 0 operands and 2 results, not what it needs");
}
