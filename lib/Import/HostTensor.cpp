//===- HostTensor.cpp - small constants the importer folds ----------------===//

#include "HostTensor.h"

#include <cmath>
#include <limits>

#include "llvm/ADT/APFloat.h"

using namespace mlir;

namespace wafer::detail {

int64_t elementCount(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0)
      return -1;
    if (dim != 0 && count > std::numeric_limits<int64_t>::max() / dim)
      return std::numeric_limits<int64_t>::max();
    count *= dim;
  }
  return count;
}

int64_t HostTensor::numElements() const { return elementCount(shape); }

HostTensor HostTensor::zeros(Type elementType, ArrayRef<int64_t> shape) {
  HostTensor t;
  t.elementType = elementType;
  t.shape.assign(shape.begin(), shape.end());
  if (t.isFloat())
    t.reals.assign(t.numElements(), 0.0);
  else
    t.ints.assign(t.numElements(), 0);
  return t;
}

HostTensor HostTensor::fromInts(Type elementType, ArrayRef<int64_t> shape,
                                ArrayRef<int64_t> values) {
  HostTensor t = zeros(elementType, shape);
  for (auto [i, v] : llvm::enumerate(values))
    t.setInt(i, v);
  return t;
}

HostTensor HostTensor::scalarLike(const HostTensor &like, double value) {
  HostTensor t = zeros(like.elementType, {});
  t.set(0, value);
  return t;
}

/// Rounds `value` to what `type` can hold, as a conversion to it would.
static double roundTo(Type type, double value) {
  if (type.isF64())
    return value;
  if (type.isF32())
    return static_cast<float>(value);
  auto floatType = cast<FloatType>(type);
  bool lostInfo;
  llvm::APFloat f(value);
  f.convert(floatType.getFloatSemantics(), llvm::APFloat::rmNearestTiesToEven,
            &lostInfo);
  return f.convertToDouble();
}

/// Truncates `value` to the integer width of `type` (two's complement).
static int64_t wrapTo(Type type, int64_t value) {
  unsigned width = type.getIntOrFloatBitWidth();
  if (width == 1)
    return value != 0;
  if (width >= 64)
    return value;
  uint64_t mask = (uint64_t(1) << width) - 1;
  uint64_t bits = static_cast<uint64_t>(value) & mask;
  if (bits >> (width - 1))
    bits |= ~mask; // Sign-extend.
  return static_cast<int64_t>(bits);
}

void HostTensor::set(int64_t i, double value) {
  if (isFloat()) {
    reals[i] = roundTo(elementType, value);
    return;
  }
  if (elementType.isInteger(1)) {
    ints[i] = value != 0;
    return;
  }
  // Float to integer truncates toward zero; NaN and out-of-range clamp.
  double clamped = std::isnan(value) ? 0 : value;
  clamped = std::fmax(std::fmin(clamped, 9.2e18), -9.2e18);
  ints[i] = wrapTo(elementType, static_cast<int64_t>(std::trunc(clamped)));
}

void HostTensor::setInt(int64_t i, int64_t value) {
  if (isFloat())
    reals[i] = roundTo(elementType, static_cast<double>(value));
  else
    ints[i] = wrapTo(elementType, value);
}

std::vector<int64_t> HostTensor::toInts() const {
  std::vector<int64_t> out(numElements());
  for (int64_t i = 0, e = numElements(); i < e; ++i)
    out[i] = getInt(i);
  return out;
}

DenseElementsAttr HostTensor::toAttr() const {
  RankedTensorType type = getType();
  if (isFloat()) {
    auto floatType = cast<FloatType>(elementType);
    SmallVector<llvm::APFloat> values;
    values.reserve(reals.size());
    for (double v : reals) {
      bool lostInfo;
      llvm::APFloat f(v);
      f.convert(floatType.getFloatSemantics(),
                llvm::APFloat::rmNearestTiesToEven, &lostInfo);
      values.push_back(f);
    }
    return DenseElementsAttr::get(type, values);
  }
  if (elementType.isInteger(1)) {
    SmallVector<bool> values(ints.begin(), ints.end());
    return DenseElementsAttr::get(type, values);
  }
  unsigned width = elementType.getIntOrFloatBitWidth();
  SmallVector<llvm::APInt> values;
  values.reserve(ints.size());
  for (int64_t v : ints)
    values.emplace_back(width, static_cast<uint64_t>(v), /*isSigned=*/true,
                        /*implicitTrunc=*/true);
  return DenseElementsAttr::get(type, values);
}

std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                    ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

/// Row-major strides of `shape`.
static SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

std::vector<int64_t> broadcastIndices(ArrayRef<int64_t> outShape,
                                      ArrayRef<int64_t> inShape) {
  int64_t count = elementCount(outShape);
  size_t rank = outShape.size(), offset = rank - inShape.size();
  SmallVector<int64_t> inStrides = stridesOf(inShape);
  std::vector<int64_t> indices(count);
  SmallVector<int64_t> index(rank, 0);
  for (int64_t linear = 0; linear < count; ++linear) {
    int64_t in = 0;
    for (size_t d = offset; d < rank; ++d)
      if (inShape[d - offset] != 1)
        in += index[d] * inStrides[d - offset];
    indices[linear] = in;
    for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
  return indices;
}

HostTensor mapBroadcast(ArrayRef<const HostTensor *> operands,
                        Type resultType, ArrayRef<int64_t> resultShape,
                        const std::function<double(ArrayRef<double>)> &fn) {
  HostTensor out = HostTensor::zeros(resultType, resultShape);
  std::vector<std::vector<int64_t>> maps;
  for (const HostTensor *operand : operands)
    maps.push_back(broadcastIndices(resultShape, operand->shape));
  SmallVector<double> args(operands.size());
  for (int64_t i = 0, e = out.numElements(); i < e; ++i) {
    for (size_t k = 0; k < operands.size(); ++k)
      args[k] = operands[k]->getReal(maps[k][i]);
    out.set(i, fn(args));
  }
  return out;
}

HostTensor castTensor(const HostTensor &input, Type elementType) {
  HostTensor out = HostTensor::zeros(elementType, input.shape);
  for (int64_t i = 0, e = input.numElements(); i < e; ++i) {
    if (input.isFloat())
      out.set(i, input.reals[i]);
    else
      out.setInt(i, input.ints[i]);
  }
  return out;
}

HostTensor reshapeTensor(const HostTensor &input, ArrayRef<int64_t> shape) {
  HostTensor out = input;
  out.shape.assign(shape.begin(), shape.end());
  return out;
}

/// Copies element `from` of `in` to element `to` of `out` (same types).
static void copyElement(const HostTensor &in, int64_t from, HostTensor &out,
                        int64_t to) {
  if (in.isFloat())
    out.reals[to] = in.reals[from];
  else
    out.ints[to] = in.ints[from];
}

HostTensor transposeTensor(const HostTensor &input,
                           ArrayRef<int64_t> permutation) {
  SmallVector<int64_t> shape;
  for (int64_t p : permutation)
    shape.push_back(input.shape[p]);
  HostTensor out = HostTensor::zeros(input.elementType, shape);
  SmallVector<int64_t> inStrides = stridesOf(input.shape);
  SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t linear = 0, e = out.numElements(); linear < e; ++linear) {
    int64_t from = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      from += index[d] * inStrides[permutation[d]];
    copyElement(input, from, out, linear);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  return out;
}

HostTensor sliceTensor(const HostTensor &input, ArrayRef<int64_t> offsets,
                       ArrayRef<int64_t> strides, ArrayRef<int64_t> sizes) {
  HostTensor out = HostTensor::zeros(input.elementType, sizes);
  SmallVector<int64_t> inStrides = stridesOf(input.shape);
  SmallVector<int64_t> index(sizes.size(), 0);
  for (int64_t linear = 0, e = out.numElements(); linear < e; ++linear) {
    int64_t from = 0;
    for (size_t d = 0; d < sizes.size(); ++d)
      from += (offsets[d] + index[d] * strides[d]) * inStrides[d];
    copyElement(input, from, out, linear);
    for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
      if (++index[d] < sizes[d])
        break;
      index[d] = 0;
    }
  }
  return out;
}

HostTensor concatTensors(ArrayRef<const HostTensor *> inputs, int64_t axis) {
  SmallVector<int64_t> shape = inputs.front()->shape;
  shape[axis] = 0;
  for (const HostTensor *input : inputs)
    shape[axis] += input->shape[axis];
  HostTensor out = HostTensor::zeros(inputs.front()->elementType, shape);
  int64_t outer = elementCount(ArrayRef<int64_t>(shape).take_front(axis));
  int64_t inner = elementCount(ArrayRef<int64_t>(shape).drop_front(axis + 1));
  int64_t to = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (const HostTensor *input : inputs) {
      int64_t chunk = input->shape[axis] * inner;
      for (int64_t k = 0; k < chunk; ++k)
        copyElement(*input, o * chunk + k, out, to++);
    }
  return out;
}

HostTensor gatherTensor(const HostTensor &data, const HostTensor &indices,
                        int64_t axis) {
  SmallVector<int64_t> shape(data.shape.begin(), data.shape.begin() + axis);
  shape.append(indices.shape.begin(), indices.shape.end());
  shape.append(data.shape.begin() + axis + 1, data.shape.end());
  HostTensor out = HostTensor::zeros(data.elementType, shape);
  int64_t outer = elementCount(ArrayRef<int64_t>(data.shape).take_front(axis));
  int64_t inner =
      elementCount(ArrayRef<int64_t>(data.shape).drop_front(axis + 1));
  int64_t extent = data.shape[axis], count = indices.numElements();
  int64_t to = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < count; ++k)
      for (int64_t i = 0; i < inner; ++i)
        copyElement(data, (o * extent + indices.ints[k]) * inner + i, out,
                    to++);
  return out;
}

} // namespace wafer::detail
