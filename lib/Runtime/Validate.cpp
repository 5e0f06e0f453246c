//===- Validate.cpp - kernel shapes of a plan from elsewhere --------------===//
//
// A plan may come from another machine or another hand: before any kernel
// touches memory, its operand and result shapes must fit what the kernel
// reads and writes. These are the dialect's verifier rules, restated for
// the MLIR-free runtime.
//
//===----------------------------------------------------------------------===//

#include <set>

#include "Kernels.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace wafer::runtime {
namespace {

using Shape = std::vector<int64_t>;

/// The most elements one tensor may have, and all activations together:
/// larger plans are refused before anything is allocated.
constexpr int64_t kMaxElements = int64_t(1) << 31;
constexpr int64_t kMaxActivationBytes = int64_t(16) << 30;

std::string show(const Shape &s) {
  return s.empty() ? "scalar" : absl::StrJoin(s, "x");
}

bool broadcastsTo(const Shape &from, const Shape &to) {
  if (from.size() > to.size())
    return false;
  size_t offset = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[offset + i])
      return false;
  return true;
}

int64_t count(const Shape &s) {
  int64_t n = 1;
  for (int64_t d : s)
    n *= d;
  return n;
}

} // namespace

absl::Status validateKernels(const plan::Plan &plan, bool hostLimits) {
  // Without execution only overflow matters: a 1T plan has weights of
  // billions of elements that are timed, never loaded.
  const int64_t maxElements = hostLimits ? kMaxElements : int64_t(1) << 40;
  int64_t activationBytes = 0;
  for (const plan::Tensor &t : plan.tensors()) {
    int64_t n = 1;
    for (int64_t d : t.shape()) {
      if (d < 0)
        return absl::InvalidArgumentError(
            absl::StrCat("tensor ", t.id(), " has a negative dimension"));
      if (d != 0 && n > maxElements / d)
        return absl::ResourceExhaustedError(absl::StrCat(
            "tensor ", t.id(), " has more than ", maxElements, " elements"));
      n *= d;
    }
    if (plan::elementBytes(t.element_type()) == 0)
      return absl::InvalidArgumentError(
          absl::StrCat("tensor ", t.id(), " has no element type"));
    if (!t.has_weight() && hostLimits)
      activationBytes += n * 4;
  }
  if (activationBytes > kMaxActivationBytes)
    return absl::ResourceExhaustedError(absl::StrCat(
        "the plan's tensors need ", activationBytes >> 20,
        " MiB on the host, more than wafer-run allows (",
        kMaxActivationBytes >> 20, " MiB)"));

  auto shapeOf = [&](int64_t id) {
    const plan::Tensor &t = plan.tensors(id);
    return Shape(t.shape().begin(), t.shape().end());
  };
  for (const plan::Kernel &k : plan.kernels()) {
    const std::string &op = k.op();
    std::vector<Shape> in, out;
    for (int64_t id : k.operands())
      in.push_back(shapeOf(id));
    for (int64_t id : k.results())
      out.push_back(shapeOf(id));
    auto bad = [&](const std::string &why) {
      return absl::InvalidArgumentError(absl::StrCat(op, ": ", why));
    };
    auto arity = [&](size_t lo, size_t hi, size_t results) {
      return in.size() >= lo && in.size() <= hi && out.size() == results;
    };
    static const std::set<std::string> unary = {
        "wafer.neg",     "wafer.abs",        "wafer.exp",  "wafer.log",
        "wafer.sqrt",    "wafer.rsqrt",      "wafer.reciprocal",
        "wafer.tanh",    "wafer.sigmoid",    "wafer.erf",  "wafer.relu",
        "wafer.silu",    "wafer.gelu",       "wafer.not",  "wafer.cast",
        "wafer.softmax", "wafer.log_softmax"};
    static const std::set<std::string> binary = {
        "wafer.add", "wafer.sub", "wafer.mul", "wafer.div",     "wafer.pow",
        "wafer.max", "wafer.min", "wafer.and", "wafer.or", "wafer.compare"};
    if (unary.count(op)) {
      if (!arity(1, 1, 1) || in[0] != out[0])
        return bad("needs one operand and one result of the same shape");
      if (op == "wafer.softmax" || op == "wafer.log_softmax") {
        int64_t axis = attrInt(k, "axis", -1), rank = in[0].size();
        if (axis < -rank || axis >= rank)
          return bad(absl::StrCat("axis ", axis, " is out of range"));
      }
    } else if (binary.count(op) || op == "wafer.select" ||
               op == "wafer.broadcast") {
      size_t operands = op == "wafer.select" ? 3 : op == "wafer.broadcast" ? 1 : 2;
      if (!arity(operands, operands, 1))
        return bad("has the wrong number of operands or results");
      for (const Shape &s : in)
        if (!broadcastsTo(s, out[0]))
          return bad(absl::StrCat("operand ", show(s),
                                  " does not broadcast to ", show(out[0])));
    } else if (op == "wafer.matmul") {
      if (!arity(2, 3, 1) || in[0].size() < 2 || in[1].size() < 2 ||
          out[0].size() < 2)
        return bad("needs two operands of rank >= 2 (and a bias)");
      bool ta = attrInt(k, "transpose_lhs", 0), tb = attrInt(k, "transpose_rhs", 0);
      const Shape &a = in[0], &b = in[1], &c = out[0];
      int64_t m = a[a.size() - (ta ? 1 : 2)], ka = a[a.size() - (ta ? 2 : 1)];
      int64_t kb = b[b.size() - (tb ? 1 : 2)], n = b[b.size() - (tb ? 2 : 1)];
      if (ka != kb || c[c.size() - 2] != m || c.back() != n)
        return bad(absl::StrCat("shapes ", show(a), " x ", show(b), " -> ",
                                show(c), " do not multiply"));
      Shape batch(c.begin(), c.end() - 2);
      if (!broadcastsTo(Shape(a.begin(), a.end() - 2), batch) ||
          !broadcastsTo(Shape(b.begin(), b.end() - 2), batch) ||
          (in.size() == 3 && !broadcastsTo(in[2], c)))
        return bad("batch or bias dimensions do not broadcast");
    } else if (op == "wafer.attention") {
      if (!arity(3, 4, 1))
        return bad("needs query, key, value (and a mask)");
      for (const Shape &s : {in[0], in[1], in[2], out[0]})
        if (s.size() != 3)
          return bad("operands must be [batch, sequence, features]");
      int64_t heads = attrInt(k, "num_heads", 0), kv = attrInt(k, "num_kv_heads", 0);
      if (heads <= 0 || kv <= 0 || heads % kv || in[0][2] % heads ||
          in[2][2] % kv)
        return bad("head counts do not divide the features");
      int64_t dh = in[0][2] / heads;
      if (in[1][2] != kv * dh || in[1][0] != in[0][0] ||
          in[2][0] != in[0][0] || in[2][1] != in[1][1] ||
          out[0] != Shape{in[0][0], in[0][1], heads * (in[2][2] / kv)})
        return bad("query, key, value and result shapes disagree");
      if (in.size() == 4 &&
          !broadcastsTo(in[3], {in[0][0], heads, in[0][1], in[1][1]}))
        return bad("the mask does not broadcast to the scores");
    } else if (op == "wafer.layer_norm" || op == "wafer.rms_norm") {
      if (!arity(2, op == "wafer.layer_norm" ? 3 : 2, 1) || in[0] != out[0])
        return bad("needs input, scale (and bias) and a result like the input");
      int64_t rank = in[0].size(), axis = attrInt(k, "axis", -1);
      if (axis < -rank || axis >= rank)
        return bad(absl::StrCat("axis ", axis, " is out of range"));
      Shape features(in[0].begin() + (axis < 0 ? axis + rank : axis),
                     in[0].end());
      for (size_t i = 1; i < in.size(); ++i)
        if (count(in[i]) != count(features))
          return bad("scale or bias does not match the normalised features");
    } else if (op == "wafer.reduce") {
      if (!arity(1, 1, 1))
        return bad("needs one operand and one result");
      int64_t rank = in[0].size(), group = 1;
      std::set<int64_t> seen;
      for (int64_t a : attrInts(k, "axes")) {
        if (a < -rank || a >= rank || !seen.insert(a < 0 ? a + rank : a).second)
          return bad(absl::StrCat("axis ", a, " is out of range or repeated"));
        group *= in[0][a < 0 ? a + rank : a];
      }
      if (group == 0 || count(in[0]) % group != 0 ||
          count(in[0]) / group != count(out[0]))
        return bad("result size does not match the reduction");
    } else if (op == "wafer.reshape") {
      if (!arity(1, 1, 1) || count(in[0]) != count(out[0]))
        return bad("changes the number of elements");
    } else if (op == "wafer.transpose") {
      Shape perm = attrInts(k, "permutation");
      if (!arity(1, 1, 1) || perm.size() != in[0].size() ||
          out[0].size() != perm.size())
        return bad("permutation does not match the rank");
      std::set<int64_t> seen;
      for (size_t d = 0; d < perm.size(); ++d)
        if (perm[d] < 0 || perm[d] >= static_cast<int64_t>(perm.size()) ||
            !seen.insert(perm[d]).second || out[0][d] != in[0][perm[d]])
          return bad("is not a permutation of its input's shape");
    } else if (op == "wafer.slice") {
      Shape offsets = attrInts(k, "offsets"), strides = attrInts(k, "strides");
      if (!arity(1, 1, 1) || offsets.size() != in[0].size() ||
          strides.size() != in[0].size() || out[0].size() != in[0].size())
        return bad("offsets, strides and result do not match the rank");
      for (size_t d = 0; d < offsets.size(); ++d)
        if (strides[d] <= 0 || offsets[d] < 0 ||
            (out[0][d] > 0 &&
             offsets[d] + (out[0][d] - 1) * strides[d] >= in[0][d]))
          return bad(absl::StrCat("dimension ", d, " reads out of range"));
    } else if (op == "wafer.concat" || op == "wafer.split") {
      bool concat = op == "wafer.concat";
      if (concat ? (in.empty() || out.size() != 1)
                 : (in.size() != 1 || out.empty()))
        return bad("has the wrong number of operands or results");
      const Shape &whole = concat ? out[0] : in[0];
      const std::vector<Shape> &pieces = concat ? in : out;
      int64_t axis = attrInt(k, "axis", 0), total = 0;
      if (axis < 0 || axis >= static_cast<int64_t>(whole.size()))
        return bad(absl::StrCat("axis ", axis, " is out of range"));
      for (const Shape &piece : pieces) {
        if (piece.size() != whole.size())
          return bad("pieces differ in rank");
        for (size_t d = 0; d < whole.size(); ++d)
          if (static_cast<int64_t>(d) != axis && piece[d] != whole[d])
            return bad("pieces differ off the axis");
        total += piece[axis];
      }
      if (total != whole[axis])
        return bad("pieces do not add up along the axis");
    } else if (op == "wafer.gather") {
      int64_t axis = attrInt(k, "axis", 0);
      if (!arity(2, 2, 1) || axis < 0 ||
          axis >= static_cast<int64_t>(in[0].size()))
        return bad("needs data, indices and an axis in range");
      Shape expected(in[0].begin(), in[0].begin() + axis);
      expected.insert(expected.end(), in[1].begin(), in[1].end());
      expected.insert(expected.end(), in[0].begin() + axis + 1, in[0].end());
      if (out[0] != expected)
        return bad(absl::StrCat("result ", show(out[0]), " should be ",
                                show(expected)));
    } else if (op == "wafer.iota") {
      int64_t dim = attrInt(k, "dimension", 0);
      if (!arity(0, 0, 1) || dim < 0 ||
          dim >= static_cast<int64_t>(out[0].size()))
        return bad("dimension is out of range");
    } else {
      return absl::UnimplementedError(
          absl::StrCat("wafer-run has no kernel for '", op, "'"));
    }
  }
  return absl::OkStatus();
}

} // namespace wafer::runtime
