//===- Ops.h - one meaning per op, MLIR-free --------------------*- C++ -*-===//
//
// What each op of the graph level means, in one place that does not depend
// on MLIR: its kind (Ops.def), its name, and the rule its operand and result
// shapes obey. The dialect's verifiers and wafer-run's plan checks both ask
// shapeError, so an op's shape rule is written once, with the same words in
// `wafer-opt` and `wafer-run`.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_SEMANTICS_OPS_H
#define WAFER_SEMANTICS_OPS_H

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wafer::sem {

enum class OpKind {
#define WAFER_OP(Kind, Name, Family) Kind,
#include "wafer/Semantics/Ops.def"
};

/// Which shape rule an op obeys.
enum class OpFamily {
  source,       // constant, weight: no operands.
  iota,         // a result with a counting dimension.
  unary,        // one operand, a result of its shape.
  broadcasting, // operands broadcast to the result (NumPy).
  matmul,
  conv, // Graph level only: decomposed into a product before layers.
  norm,
  softmax,
  attention,
  reduce,
  reshape,
  transpose,
  broadcast,
  slice,
  concat,
  split,
  gather,
};

/// Every op kind, in Ops.def's order.
const std::vector<OpKind> &allOpKinds();
/// The dialect's name of an op: "wafer.matmul".
const char *opName(OpKind kind);
OpFamily opFamily(OpKind kind);
/// The kind of the op the dialect names `name`, if it is one.
std::optional<OpKind> opKindOf(std::string_view name);

/// The enumerations ops take as attributes, by name wherever they cross
/// from the dialect to the plan (`wafer.compare`'s predicate, `wafer.reduce`'s
/// kind, `wafer.gelu`'s approximation), in the dialect's order.
enum class CompareKind { eq, ne, lt, le, gt, ge };
enum class ReduceKind { sum, mean, max, min, prod };
enum class GeluApproximation { erf, tanh };
const std::vector<std::string> &compareKindNames();
const std::vector<std::string> &reduceKindNames();
const std::vector<std::string> &geluApproximationNames();
/// The value named `name` among `names`, as its index.
std::optional<int> enumIndex(const std::vector<std::string> &names,
                             std::string_view name);

using Shape = std::vector<int64_t>;

/// An op's operand and result shapes and the attributes its shape rule
/// reads: integers (a unit or boolean attribute reads 1 when set) and
/// integer lists, each absent when the op does not set it (its default
/// applies).
struct OpShapes {
  OpKind kind;
  std::vector<Shape> operands, results;
  std::function<std::optional<int64_t>(std::string_view)> intAttr;
  std::function<std::optional<Shape>(std::string_view)> intsAttr;
  /// An enumeration attribute by its name (CompareKind, ...).
  std::function<std::optional<std::string>(std::string_view)> enumAttr;
};

/// Why `op`'s shapes (and enumeration attributes) do not obey its rule, in
/// the words the verifiers use; nothing when they do.
std::optional<std::string> shapeError(const OpShapes &op);

/// FLOPs of one op on its shapes (a multiply-add counts 2; data movement
/// counts none): what the cost model charges a layer's PEs for it.
double flops(const OpShapes &op);

/// "2x3x4", or "scalar".
std::string formatShape(const Shape &shape);
/// The NumPy broadcast of two shapes, if they broadcast.
std::optional<Shape> broadcastShapes(const Shape &a, const Shape &b);

} // namespace wafer::sem

#endif // WAFER_SEMANTICS_OPS_H
