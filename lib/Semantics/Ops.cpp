//===- Ops.cpp - one meaning per op, MLIR-free ----------------------------===//

#include "wafer/Semantics/Ops.h"

#include <map>
#include <sstream>

namespace wafer::sem {

namespace {

struct OpEntry {
  OpKind kind;
  const char *name;
  OpFamily family;
};

const std::vector<OpEntry> &entries() {
  static const std::vector<OpEntry> table = {
#define WAFER_OP(Kind, Name, Family) {OpKind::Kind, Name, OpFamily::Family},
#include "wafer/Semantics/Ops.def"
  };
  return table;
}

} // namespace

const std::vector<OpKind> &allOpKinds() {
  static const std::vector<OpKind> kinds = [] {
    std::vector<OpKind> out;
    for (const OpEntry &e : entries())
      out.push_back(e.kind);
    return out;
  }();
  return kinds;
}

const char *opName(OpKind kind) {
  return entries()[static_cast<size_t>(kind)].name;
}

OpFamily opFamily(OpKind kind) {
  return entries()[static_cast<size_t>(kind)].family;
}

std::optional<OpKind> opKindOf(std::string_view name) {
  static const std::map<std::string_view, OpKind> byName = [] {
    std::map<std::string_view, OpKind> out;
    for (const OpEntry &e : entries())
      out.emplace(e.name, e.kind);
    return out;
  }();
  auto it = byName.find(name);
  if (it == byName.end())
    return std::nullopt;
  return it->second;
}

const std::vector<std::string> &compareKindNames() {
  static const std::vector<std::string> names = {"eq", "ne", "lt",
                                                 "le", "gt", "ge"};
  return names;
}

const std::vector<std::string> &reduceKindNames() {
  static const std::vector<std::string> names = {"sum", "mean", "max", "min",
                                                 "prod"};
  return names;
}

const std::vector<std::string> &geluApproximationNames() {
  static const std::vector<std::string> names = {"erf", "tanh"};
  return names;
}

std::optional<int> enumIndex(const std::vector<std::string> &names,
                             std::string_view name) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name)
      return static_cast<int>(i);
  return std::nullopt;
}

std::string formatShape(const Shape &shape) {
  if (shape.empty())
    return "scalar";
  std::string text;
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? "x" : "") + std::to_string(shape[i]);
  return text;
}

std::optional<Shape> broadcastShapes(const Shape &a, const Shape &b) {
  const Shape &longer = a.size() >= b.size() ? a : b;
  const Shape &shorter = a.size() >= b.size() ? b : a;
  Shape out = longer;
  size_t offset = longer.size() - shorter.size();
  for (size_t i = 0; i < shorter.size(); ++i) {
    int64_t x = longer[offset + i], y = shorter[i];
    if (x == y || y == 1)
      continue;
    if (x != 1)
      return std::nullopt;
    out[offset + i] = y;
  }
  return out;
}

namespace {

/// A message built from pieces: text, numbers and shapes.
class Message {
public:
  Message &operator<<(const std::string &text) {
    os << text;
    return *this;
  }
  Message &operator<<(const char *text) {
    os << text;
    return *this;
  }
  Message &operator<<(int64_t value) {
    os << value;
    return *this;
  }
  Message &operator<<(const Shape &shape) {
    os << formatShape(shape);
    return *this;
  }
  operator std::optional<std::string>() const { return os.str(); }

private:
  std::ostringstream os;
};

int64_t elementsOf(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// `axis` in [-rank, rank) as [0, rank), if it is there.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

std::optional<std::string> axisError(const char *what, int64_t axis,
                                     int64_t rank) {
  return Message() << what << " " << axis << " is out of range for rank "
                   << rank << " (expected in [" << -rank << ", " << rank
                   << "))";
}

/// Operands, results: how many an op of this family takes, [lo, hi].
struct Arity {
  size_t operandsLo, operandsHi, resultsLo, resultsHi;
};

Arity arityOf(const OpShapes &op) {
  constexpr size_t many = ~size_t(0);
  switch (opFamily(op.kind)) {
  case OpFamily::source:
  case OpFamily::iota:
    return {0, 0, 1, 1};
  case OpFamily::unary:
  case OpFamily::softmax:
  case OpFamily::reduce:
  case OpFamily::reshape:
  case OpFamily::transpose:
  case OpFamily::broadcast:
  case OpFamily::slice:
    return {1, 1, 1, 1};
  case OpFamily::broadcasting:
    return op.kind == OpKind::select ? Arity{3, 3, 1, 1} : Arity{2, 2, 1, 1};
  case OpFamily::matmul:
  case OpFamily::conv:
    return {2, 3, 1, 1};
  case OpFamily::norm:
    return op.kind == OpKind::layerNorm ? Arity{2, 3, 1, 1} : Arity{2, 2, 1, 1};
  case OpFamily::attention:
    return {3, 4, 1, 1};
  case OpFamily::concat:
    return {1, many, 1, 1};
  case OpFamily::split:
    return {1, 1, 1, many};
  case OpFamily::gather:
    return {2, 2, 1, 1};
  }
  return {0, many, 0, many};
}

std::optional<std::string> broadcastingError(const OpShapes &op) {
  Shape shape;
  for (const Shape &operand : op.operands) {
    std::optional<Shape> next = broadcastShapes(shape, operand);
    if (!next) {
      Message m;
      m << "operand shapes ";
      for (size_t i = 0; i < op.operands.size(); ++i)
        m << (i ? ", " : "") << op.operands[i];
      return m << " do not broadcast";
    }
    shape = *next;
  }
  if (op.results[0] != shape)
    return Message() << "result shape " << op.results[0]
                     << " differs from the broadcast shape " << shape;
  return std::nullopt;
}

std::optional<std::string> matmulError(const OpShapes &op) {
  const Shape &lhs = op.operands[0], &rhs = op.operands[1];
  if (lhs.size() < 2 || rhs.size() < 2)
    return Message() << "operands need rank >= 2, found lhs " << lhs
                     << " and rhs " << rhs;
  int64_t m = lhs[lhs.size() - 2], lhsK = lhs.back();
  if (op.intAttr("transpose_lhs").value_or(0))
    std::swap(m, lhsK);
  int64_t rhsK = rhs[rhs.size() - 2], n = rhs.back();
  if (op.intAttr("transpose_rhs").value_or(0))
    std::swap(rhsK, n);
  if (lhsK != rhsK)
    return Message() << "contracting dimensions differ: lhs " << lhs
                     << " has K = " << lhsK << ", rhs " << rhs
                     << " has K = " << rhsK;
  Shape lhsBatch(lhs.begin(), lhs.end() - 2),
      rhsBatch(rhs.begin(), rhs.end() - 2);
  std::optional<Shape> batch = broadcastShapes(lhsBatch, rhsBatch);
  if (!batch)
    return Message() << "batch dimensions " << lhsBatch << " and " << rhsBatch
                     << " do not broadcast";
  Shape expected = *batch;
  expected.push_back(m);
  expected.push_back(n);
  const Shape &result = op.results[0];
  if (result != expected)
    return Message() << "result shape " << result
                     << " differs from the expected " << expected;
  if (op.operands.size() == 3) {
    std::optional<Shape> withBias = broadcastShapes(expected, op.operands[2]);
    if (!withBias || *withBias != result)
      return Message() << "bias shape " << op.operands[2]
                       << " does not broadcast to the result shape " << result;
  }
  return std::nullopt;
}

std::optional<std::string> normError(const OpShapes &op) {
  const Shape &input = op.operands[0];
  int64_t rank = static_cast<int64_t>(input.size());
  int64_t axis = op.intAttr("axis").value_or(-1);
  std::optional<int64_t> normalized = normalizeAxis(axis, rank);
  if (!normalized)
    return axisError("axis", axis, rank);
  Shape features(input.begin() + *normalized, input.end());
  const char *names[] = {"scale", "bias"};
  for (size_t i = 1; i < op.operands.size(); ++i)
    if (op.operands[i] != features)
      return Message() << names[i - 1] << " shape " << op.operands[i]
                       << " differs from the normalised dimensions "
                       << features;
  if (op.results[0] != input)
    return Message() << "result shape " << op.results[0]
                     << " differs from the input shape " << input;
  return std::nullopt;
}

std::optional<std::string> attentionError(const OpShapes &op) {
  const Shape &q = op.operands[0], &k = op.operands[1], &v = op.operands[2],
              &out = op.results[0];
  const char *names[] = {"query", "key", "value", "result"};
  const Shape *shapes[] = {&q, &k, &v, &out};
  for (int i = 0; i < 4; ++i)
    if (shapes[i]->size() != 3)
      return Message() << names[i] << " must be [batch, sequence, features], "
                       << "found " << *shapes[i];
  int64_t heads = op.intAttr("num_heads").value_or(0);
  int64_t kvHeads = op.intAttr("num_kv_heads").value_or(0);
  if (heads < 1 || kvHeads < 1)
    return Message() << "num_heads " << heads << " and num_kv_heads " << kvHeads
                     << " must be at least 1";
  if (heads % kvHeads != 0)
    return Message() << "num_heads " << heads
                     << " is not a multiple of num_kv_heads " << kvHeads;
  if (q[2] % heads != 0)
    return Message() << "query features " << q[2] << " do not divide into "
                     << heads << " heads";
  int64_t headDim = q[2] / heads;
  if (k[2] != kvHeads * headDim)
    return Message() << "key features " << k[2] << " differ from " << kvHeads
                     << " kv heads x head size " << headDim << " = "
                     << kvHeads * headDim;
  if (v[2] % kvHeads != 0)
    return Message() << "value features " << v[2] << " do not divide into "
                     << kvHeads << " kv heads";
  if (k[0] != q[0] || v[0] != q[0])
    return Message() << "batch sizes differ: query " << q[0] << ", key " << k[0]
                     << ", value " << v[0];
  if (v[1] != k[1])
    return Message() << "key sequence " << k[1]
                     << " differs from value sequence " << v[1];
  Shape expected = {q[0], q[1], heads * (v[2] / kvHeads)};
  if (out != expected)
    return Message() << "result shape " << out << " differs from the expected "
                     << expected;
  if (op.operands.size() == 4) {
    Shape scores = {q[0], heads, q[1], k[1]};
    std::optional<Shape> merged = broadcastShapes(scores, op.operands[3]);
    if (!merged || *merged != scores)
      return Message() << "mask shape " << op.operands[3]
                       << " does not broadcast to the scores " << scores;
  }
  return std::nullopt;
}

std::optional<std::string> reduceError(const OpShapes &op) {
  const Shape &shape = op.operands[0];
  int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<bool> reduced(rank, false);
  for (int64_t axis : op.intsAttr("axes").value_or(Shape{})) {
    std::optional<int64_t> normalized = normalizeAxis(axis, rank);
    if (!normalized)
      return axisError("reduction axis", axis, rank);
    if (reduced[*normalized])
      return Message() << "reduction axis " << axis << " appears twice";
    reduced[*normalized] = true;
  }
  bool keepDims = op.intAttr("keep_dims").value_or(0);
  Shape expected;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i])
      expected.push_back(shape[i]);
    else if (keepDims)
      expected.push_back(1);
  }
  if (op.results[0] != expected)
    return Message() << "result shape " << op.results[0]
                     << " differs from the expected " << expected;
  return std::nullopt;
}

std::optional<std::string> transposeError(const OpShapes &op) {
  const Shape &in = op.operands[0], &out = op.results[0];
  Shape perm = op.intsAttr("permutation").value_or(Shape{});
  if (perm.size() != in.size())
    return Message() << "permutation has " << static_cast<int64_t>(perm.size())
                     << " entries for an input of rank "
                     << static_cast<int64_t>(in.size());
  std::vector<bool> seen(in.size(), false);
  Shape expected;
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(in.size()) || seen[p])
      return Message() << "permutation entry " << p
                       << " is out of range or repeated";
    seen[p] = true;
    expected.push_back(in[p]);
  }
  if (out != expected)
    return Message() << "result shape " << out << " differs from the expected "
                     << expected;
  return std::nullopt;
}

std::optional<std::string> sliceError(const OpShapes &op) {
  const Shape &in = op.operands[0], &out = op.results[0];
  Shape offsets = op.intsAttr("offsets").value_or(Shape{});
  Shape strides = op.intsAttr("strides").value_or(Shape{});
  if (offsets.size() != in.size() || strides.size() != in.size() ||
      out.size() != in.size())
    return Message() << "input rank " << static_cast<int64_t>(in.size())
                     << " needs as many offsets (found "
                     << static_cast<int64_t>(offsets.size())
                     << "), strides (found "
                     << static_cast<int64_t>(strides.size())
                     << ") and result dimensions (found "
                     << static_cast<int64_t>(out.size()) << ")";
  for (size_t d = 0; d < in.size(); ++d) {
    int64_t dim = static_cast<int64_t>(d);
    if (strides[d] <= 0)
      return Message() << "stride of dimension " << dim
                       << " must be positive, found " << strides[d];
    if (offsets[d] < 0 || offsets[d] > in[d])
      return Message() << "offset " << offsets[d] << " of dimension " << dim
                       << " is outside [0, " << in[d] << "]";
    // In double: a plan's offsets and strides may be anything.
    double last = static_cast<double>(offsets[d]) +
                  static_cast<double>(out[d] - 1) * strides[d];
    if (out[d] > 0 && last >= static_cast<double>(in[d]))
      return Message() << "dimension " << dim << " reads up to index "
                       << static_cast<int64_t>(last) << " of an extent of "
                       << in[d];
  }
  return std::nullopt;
}

std::optional<std::string> convError(const OpShapes &op) {
  const Shape &in = op.operands[0], &filter = op.operands[1],
              &out = op.results[0];
  int64_t rank = static_cast<int64_t>(in.size());
  if (rank != 3 && rank != 4)
    return Message() << "input " << in
                     << " must be [N, C, L] or [N, C, H, W] (rank 3 or 4)";
  int64_t spatial = rank - 2;
  if (static_cast<int64_t>(filter.size()) != rank ||
      static_cast<int64_t>(out.size()) != rank)
    return Message() << "filter " << filter << " and result " << out
                     << " must have the input's rank " << rank;
  Shape strides = op.intsAttr("strides").value_or(Shape{});
  Shape dilations = op.intsAttr("dilations").value_or(Shape{});
  Shape pads = op.intsAttr("pads").value_or(Shape{});
  if (static_cast<int64_t>(strides.size()) != spatial ||
      static_cast<int64_t>(dilations.size()) != spatial ||
      static_cast<int64_t>(pads.size()) != 2 * spatial)
    return Message() << spatial << " spatial dimension(s) need as many "
                     << "strides (found " << static_cast<int64_t>(strides.size())
                     << ") and dilations (found "
                     << static_cast<int64_t>(dilations.size())
                     << ") and twice as many pads (found "
                     << static_cast<int64_t>(pads.size()) << ")";
  int64_t groups = op.intAttr("groups").value_or(1);
  if (groups < 1 || in[1] % groups != 0 || filter[0] % groups != 0)
    return Message() << "groups " << groups << " must divide the "
                     << in[1] << " input and " << filter[0]
                     << " output channels";
  if (filter[1] * groups != in[1])
    return Message() << "filter " << filter << " takes " << filter[1]
                     << " channel(s) per group, the input gives "
                     << in[1] / groups;
  if (op.operands.size() == 3 && op.operands[2] != Shape{filter[0]})
    return Message() << "bias " << op.operands[2] << " must be ["
                     << filter[0] << "]";
  Shape expected = {in[0], filter[0]};
  for (int64_t d = 0; d < spatial; ++d) {
    if (strides[d] < 1 || dilations[d] < 1 || pads[d] < 0 ||
        pads[d + spatial] < 0)
      return Message() << "spatial dimension " << d
                       << " needs a positive stride and dilation and "
                          "non-negative pads";
    // In double: attributes may be anything.
    double span = static_cast<double>(dilations[d]) * (filter[d + 2] - 1) + 1;
    double padded = static_cast<double>(in[d + 2]) + pads[d] + pads[d + spatial];
    if (span > padded)
      return Message() << "spatial dimension " << d << ": the kernel spans "
                       << static_cast<int64_t>(span) << ", the padded input "
                       << static_cast<int64_t>(padded);
    expected.push_back(
        static_cast<int64_t>((padded - span) / strides[d]) + 1);
  }
  if (out != expected)
    return Message() << "result shape " << out << " should be " << expected;
  return std::nullopt;
}

/// concat (`pieces` are the inputs, `whole` the result) or split.
std::optional<std::string> piecesError(const OpShapes &op, bool concat) {
  const Shape &whole = concat ? op.results[0] : op.operands[0];
  const std::vector<Shape> &pieces = concat ? op.operands : op.results;
  const char *piece = concat ? "input" : "result";
  int64_t rank = static_cast<int64_t>(whole.size());
  int64_t axis = op.intAttr("axis").value_or(0);
  if (axis < 0 || axis >= rank)
    return axisError("axis", axis, rank);
  int64_t total = 0;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const Shape &shape = pieces[i];
    if (static_cast<int64_t>(shape.size()) != rank)
      return Message() << piece << " " << static_cast<int64_t>(i)
                       << " has rank " << static_cast<int64_t>(shape.size())
                       << ", expected " << rank;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && shape[d] != whole[d])
        return Message() << piece << " " << static_cast<int64_t>(i)
                         << " has extent " << shape[d] << " in dimension " << d
                         << ", expected " << whole[d];
    total += shape[axis];
  }
  if (total != whole[axis])
    return Message() << piece << "s add up to " << total << " along axis "
                     << axis << ", " << (concat ? "result" : "input") << " has "
                     << whole[axis];
  return std::nullopt;
}

std::optional<std::string> gatherError(const OpShapes &op) {
  const Shape &data = op.operands[0], &indices = op.operands[1];
  int64_t rank = static_cast<int64_t>(data.size());
  int64_t axis = op.intAttr("axis").value_or(0);
  if (axis < 0 || axis >= rank)
    return axisError("axis", axis, rank);
  Shape expected(data.begin(), data.begin() + axis);
  expected.insert(expected.end(), indices.begin(), indices.end());
  expected.insert(expected.end(), data.begin() + axis + 1, data.end());
  if (op.results[0] != expected)
    return Message() << "result shape " << op.results[0]
                     << " differs from the expected " << expected;
  return std::nullopt;
}

} // namespace

std::optional<std::string> shapeError(const OpShapes &op) {
  Arity arity = arityOf(op);
  if (op.operands.size() < arity.operandsLo ||
      op.operands.size() > arity.operandsHi ||
      op.results.size() < arity.resultsLo ||
      op.results.size() > arity.resultsHi)
    return Message() << "takes " << static_cast<int64_t>(op.operands.size())
                     << " operands and "
                     << static_cast<int64_t>(op.results.size())
                     << " results, not what it needs";
  // Enumeration attributes are one of their names (absent: the default).
  const std::vector<std::string> *names =
      op.kind == OpKind::compare  ? &compareKindNames()
      : op.kind == OpKind::reduce ? &reduceKindNames()
      : op.kind == OpKind::gelu   ? &geluApproximationNames()
                                  : nullptr;
  const char *enumName = op.kind == OpKind::compare  ? "predicate"
                         : op.kind == OpKind::reduce ? "kind"
                                                     : "approximation";
  if (names && op.enumAttr)
    if (std::optional<std::string> value = op.enumAttr(enumName);
        value && !enumIndex(*names, *value)) {
      Message m;
      m << enumName << " '" << *value << "' is not one of";
      for (const std::string &name : *names)
        m << " " << name;
      return m;
    }
  switch (opFamily(op.kind)) {
  case OpFamily::source:
    return std::nullopt;
  case OpFamily::iota: {
    int64_t rank = static_cast<int64_t>(op.results[0].size());
    int64_t dimension = op.intAttr("dimension").value_or(0);
    if (dimension < 0 || dimension >= rank)
      return Message() << "dimension " << dimension
                       << " is out of range for rank " << rank;
    return std::nullopt;
  }
  case OpFamily::unary:
    if (op.results[0] != op.operands[0])
      return Message() << "result shape " << op.results[0]
                       << " differs from the input shape " << op.operands[0];
    return std::nullopt;
  case OpFamily::softmax: {
    int64_t rank = static_cast<int64_t>(op.operands[0].size());
    int64_t axis = op.intAttr("axis").value_or(-1);
    if (!normalizeAxis(axis, rank))
      return axisError("axis", axis, rank);
    if (op.results[0] != op.operands[0])
      return Message() << "result shape " << op.results[0]
                       << " differs from the input shape " << op.operands[0];
    return std::nullopt;
  }
  case OpFamily::broadcasting:
    return broadcastingError(op);
  case OpFamily::matmul:
    return matmulError(op);
  case OpFamily::conv:
    return convError(op);
  case OpFamily::norm:
    return normError(op);
  case OpFamily::attention:
    return attentionError(op);
  case OpFamily::reduce:
    return reduceError(op);
  case OpFamily::reshape:
    if (elementsOf(op.operands[0]) != elementsOf(op.results[0]))
      return Message() << "input " << op.operands[0] << " has "
                       << elementsOf(op.operands[0]) << " elements, result "
                       << op.results[0] << " has " << elementsOf(op.results[0]);
    return std::nullopt;
  case OpFamily::transpose:
    return transposeError(op);
  case OpFamily::broadcast: {
    std::optional<Shape> merged =
        broadcastShapes(op.operands[0], op.results[0]);
    if (!merged || *merged != op.results[0])
      return Message() << "input shape " << op.operands[0]
                       << " does not broadcast to " << op.results[0];
    return std::nullopt;
  }
  case OpFamily::slice:
    return sliceError(op);
  case OpFamily::concat:
    return piecesError(op, /*concat=*/true);
  case OpFamily::split:
    return piecesError(op, /*concat=*/false);
  case OpFamily::gather:
    return gatherError(op);
  }
  return std::nullopt;
}

double flops(const OpShapes &op) {
  if (op.results.empty())
    return 0;
  double elements = static_cast<double>(elementsOf(op.results[0]));
  switch (opFamily(op.kind)) {
  case OpFamily::matmul: {
    const Shape &lhs = op.operands[0];
    int64_t k = op.intAttr("transpose_lhs").value_or(0) ? lhs[lhs.size() - 2]
                                                        : lhs.back();
    return 2.0 * elements * k + (op.operands.size() == 3 ? elements : 0.0);
  }
  case OpFamily::conv: {
    // Every output element: a dot product over C / groups x K... inputs.
    const Shape &filter = op.operands[1];
    double taps = 1;
    for (size_t d = 1; d < filter.size(); ++d)
      taps *= static_cast<double>(filter[d]);
    return 2.0 * elements * taps + (op.operands.size() == 3 ? elements : 0.0);
  }
  case OpFamily::attention: {
    const Shape &q = op.operands[0], &v = op.operands[2];
    double heads = static_cast<double>(op.intAttr("num_heads").value_or(1));
    double kvHeads =
        static_cast<double>(op.intAttr("num_kv_heads").value_or(1));
    double headDim = static_cast<double>(q[2]) / heads;
    double valueDim = static_cast<double>(v[2]) / kvHeads;
    double scores = static_cast<double>(q[0]) * heads * q[1] *
                    static_cast<double>(op.operands[1][1]);
    // Q K^T and P V, plus scale, mask and softmax on the scores.
    return 2.0 * scores * headDim + 2.0 * scores * valueDim + 6.0 * scores;
  }
  case OpFamily::source:
  case OpFamily::iota:
  case OpFamily::reshape:
  case OpFamily::transpose:
  case OpFamily::slice:
  case OpFamily::concat:
  case OpFamily::split:
  case OpFamily::broadcast:
  case OpFamily::gather:
    return 0;
  case OpFamily::norm:
    return (op.kind == OpKind::layerNorm ? 8 : 5) * elements;
  case OpFamily::softmax:
    return 5 * elements;
  case OpFamily::reduce:
    return static_cast<double>(elementsOf(op.operands[0]));
  case OpFamily::unary:
    if (op.kind == OpKind::cast)
      return 0;
    if (op.kind == OpKind::gelu)
      return 8 * elements;
    if (op.kind == OpKind::silu)
      return 4 * elements;
    return elements;
  case OpFamily::broadcasting:
    return elements;
  }
  return elements;
}

} // namespace wafer::sem
