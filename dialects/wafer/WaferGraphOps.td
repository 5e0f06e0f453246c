//===- WaferGraphOps.td - wafer graph-level ops ------------*- tablegen -*-===//
//
// Value-semantics ops on ranked tensors: the level the ONNX importer produces
// and the graph passes fuse.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_GRAPH_OPS_TD
#define WAFER_GRAPH_OPS_TD

include "WaferAttrs.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Wafer_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def Wafer_IndexTensor : RankedTensorOf<[I32, I64]>;
def Wafer_BoolTensor : RankedTensorOf<[I1]>;
def Wafer_Tensor : RankedTensorOf<[F32, F16, BF16, I64, I32, I8, I1]>;

class Wafer_GraphOp<string mnemonic, list<Trait> traits = []>
    : Wafer_Op<mnemonic, !listconcat([Pure], traits)>;

//===----------------------------------------------------------------------===//
// Constants and weights
//===----------------------------------------------------------------------===//

def Wafer_ConstantOp : Wafer_GraphOp<"constant", [ConstantLike,
    AllTypesMatch<["value", "result"]>]> {
  let summary = "A small constant held in the IR";
  let description = [{
    A constant whose elements are stored in the IR: scalars, masks, shapes and
    other small tensors. Model weights use `wafer.weight`, which holds a
    reference instead of bytes.

    Example:

    ```mlir
    %eps = wafer.constant dense<1.0e-05> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Wafer_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def Wafer_WeightOp : Wafer_GraphOp<"weight"> {
  let summary = "A weight held by reference to its bytes";
  let description = [{
    A model weight: its name (the ONNX initializer's), its type, and where its
    bytes live, as `length` bytes at `offset` in `file` (a path relative to the
    model's folder). The compiler never reads the bytes; the plan carries the
    same reference, and the emulator reads them when it runs. The IR of a
    1T-parameter model therefore stays as small as its graph.

    `length` must equal the element count times the element size.

    Example:

    ```mlir
    %w = wafer.weight "h.0.mlp.fc.weight" at "model.data"[4096, 65536]
        : tensor<128x128xf32>
    ```
  }];
  let arguments = (ins StrAttr:$sym_name, StrAttr:$file,
                       ConfinedAttr<I64Attr, [IntMinValue<0>]>:$offset,
                       ConfinedAttr<I64Attr, [IntMinValue<0>]>:$length);
  let results = (outs Wafer_Tensor:$result);
  let assemblyFormat = [{
    $sym_name `at` $file `[` $offset `,` $length `]` attr-dict `:`
    type($result)
  }];
  let hasVerifier = 1;
}

def Wafer_IotaOp : Wafer_GraphOp<"iota"> {
  let summary = "Counts 0, 1, 2, ... along one dimension";
  let description = [{
    A tensor whose elements equal their index along `dimension`, converted to
    the element type. ONNX `Range` with static bounds lowers to `iota` scaled
    and shifted by elementwise ops (or folds to a constant).

    Example:

    ```mlir
    %pos = wafer.iota {dimension = 0 : i64} : tensor<128xi64>
    ```
  }];
  let arguments = (ins ConfinedAttr<I64Attr, [IntMinValue<0>]>:$dimension);
  let results = (outs Wafer_Tensor:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Wafer_UnaryOp<string mnemonic, string formula, string ex,
                    Type operandType = Wafer_FloatTensor,
                    list<Trait> traits = []>
    : Wafer_GraphOp<mnemonic, !listconcat([SameOperandsAndResultType,
                                           Elementwise], traits)> {
  let summary = "Elementwise " # formula;
  let description = [{
    Applies `}] # formula # [{` to every element; the result has the operand's
    type.

    Example:

    ```mlir
    }] # ex # [{
    ```
  }];
  let arguments = (ins operandType:$input);
  let results = (outs operandType:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Wafer_NegOp : Wafer_UnaryOp<"neg", "-x",
    "%y = wafer.neg %x : tensor<4xf32>">;
def Wafer_AbsOp : Wafer_UnaryOp<"abs", "|x|",
    "%y = wafer.abs %x : tensor<4xf32>">;
def Wafer_ExpOp : Wafer_UnaryOp<"exp", "e^x",
    "%y = wafer.exp %x : tensor<4xf32>">;
def Wafer_LogOp : Wafer_UnaryOp<"log", "ln(x)",
    "%y = wafer.log %x : tensor<4xf32>">;
def Wafer_SqrtOp : Wafer_UnaryOp<"sqrt", "sqrt(x)",
    "%y = wafer.sqrt %x : tensor<4xf32>">;
def Wafer_RsqrtOp : Wafer_UnaryOp<"rsqrt", "1 / sqrt(x)",
    "%y = wafer.rsqrt %x : tensor<4xf32>">;
def Wafer_ReciprocalOp : Wafer_UnaryOp<"reciprocal", "1 / x",
    "%y = wafer.reciprocal %x : tensor<4xf32>">;
def Wafer_TanhOp : Wafer_UnaryOp<"tanh", "tanh(x)",
    "%y = wafer.tanh %x : tensor<4xf32>">;
def Wafer_SigmoidOp : Wafer_UnaryOp<"sigmoid", "1 / (1 + e^-x)",
    "%y = wafer.sigmoid %x : tensor<4xf32>">;
def Wafer_ErfOp : Wafer_UnaryOp<"erf", "erf(x)",
    "%y = wafer.erf %x : tensor<4xf32>">;
def Wafer_SinOp : Wafer_UnaryOp<"sin", "sin(x)",
    "%y = wafer.sin %angles : tensor<16x32xf32>">;
def Wafer_CosOp : Wafer_UnaryOp<"cos", "cos(x)",
    "%y = wafer.cos %angles : tensor<16x32xf32>">;
def Wafer_ReluOp : Wafer_UnaryOp<"relu", "max(x, 0)",
    "%y = wafer.relu %x : tensor<4xf32>">;
def Wafer_SiluOp : Wafer_UnaryOp<"silu", "x * sigmoid(x) (SiLU, swish)",
    "%y = wafer.silu %x : tensor<2x64xf32>">;
def Wafer_NotOp : Wafer_UnaryOp<"not", "logical not",
    "%y = wafer.not %mask : tensor<4xi1>", Wafer_BoolTensor>;

def Wafer_GeluOp : Wafer_GraphOp<"gelu", [SameOperandsAndResultType,
                                          Elementwise]> {
  let summary = "Elementwise GELU";
  let description = [{
    The Gaussian error linear unit, `x * Phi(x)`. `approximation = erf` is the
    exact form `0.5 x (1 + erf(x / sqrt 2))`; `approximation = tanh` is
    `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))` (GPT-2's "gelu_new").

    Example:

    ```mlir
    %y = wafer.gelu %x {approximation = #wafer<gelu_approximation tanh>}
        : tensor<2x256xf32>
    ```
  }];
  let arguments = (ins Wafer_FloatTensor:$input,
      DefaultValuedAttr<Wafer_GeluApproximationAttr,
                        "::wafer::GeluApproximation::erf">:$approximation);
  let results = (outs Wafer_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

class Wafer_BinaryOp<string mnemonic, string formula, list<Trait> traits = []>
    : Wafer_GraphOp<mnemonic, traits> {
  let summary = "Elementwise " # formula # " with broadcasting";
  let description = [{
    Computes `}] # formula # [{` element by element. The operands broadcast as
    in NumPy: shapes are aligned on their trailing dimensions and a dimension
    of 1 stretches to match the other. The result has the broadcast shape and
    the operands' element type.

    Example:

    ```mlir
    %y = wafer.}] # mnemonic # [{ %a, %b : tensor<2x1x64xf32>, tensor<8x64xf32>
        -> tensor<2x8x64xf32>
    ```
  }];
  let arguments = (ins Wafer_Tensor:$lhs, Wafer_Tensor:$rhs);
  let results = (outs Wafer_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Wafer_AddOp : Wafer_BinaryOp<"add", "a + b", [Commutative]>;
def Wafer_SubOp : Wafer_BinaryOp<"sub", "a - b">;
def Wafer_MulOp : Wafer_BinaryOp<"mul", "a * b", [Commutative]>;
def Wafer_DivOp : Wafer_BinaryOp<"div", "a / b">;
def Wafer_PowOp : Wafer_BinaryOp<"pow", "a ^ b">;
def Wafer_MaxOp : Wafer_BinaryOp<"max", "max(a, b)", [Commutative]>;
def Wafer_MinOp : Wafer_BinaryOp<"min", "min(a, b)", [Commutative]>;
def Wafer_AndOp : Wafer_BinaryOp<"and", "a and b (booleans)", [Commutative]>;
def Wafer_OrOp : Wafer_BinaryOp<"or", "a or b (booleans)", [Commutative]>;

def Wafer_CompareOp : Wafer_GraphOp<"compare"> {
  let summary = "Elementwise comparison with broadcasting";
  let description = [{
    Compares the operands element by element with `predicate` (eq, ne, lt,
    le, gt, ge), broadcasting as in NumPy, and yields booleans.

    Example:

    ```mlir
    %m = wafer.compare lt, %a, %b : tensor<4x4xi64>, tensor<4x1xi64>
        -> tensor<4x4xi1>
    ```
  }];
  let arguments = (ins Wafer_CompareKind:$predicate, Wafer_Tensor:$lhs,
                       Wafer_Tensor:$rhs);
  let results = (outs Wafer_BoolTensor:$result);
  let assemblyFormat = [{
    $predicate `,` $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def Wafer_SelectOp : Wafer_GraphOp<"select"> {
  let summary = "Elementwise choice with broadcasting";
  let description = [{
    Yields `true_value` where `condition` holds and `false_value` elsewhere
    (ONNX `Where`); all three operands broadcast as in NumPy.

    Example:

    ```mlir
    %y = wafer.select %mask, %scores, %neg_inf
        : tensor<1x1x8x8xi1>, tensor<2x4x8x8xf32>, tensor<f32>
        -> tensor<2x4x8x8xf32>
    ```
  }];
  let arguments = (ins Wafer_BoolTensor:$condition, Wafer_Tensor:$true_value,
                       Wafer_Tensor:$false_value);
  let results = (outs Wafer_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $true_value `,` $false_value attr-dict `:`
    type($condition) `,` type($true_value) `,` type($false_value) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def Wafer_CastOp : Wafer_GraphOp<"cast", [SameOperandsAndResultShape,
                                          Elementwise]> {
  let summary = "Converts the element type";
  let description = [{
    Converts every element to the result's element type: floats round to
    nearest, floats to integers truncate toward zero, and a nonzero value
    becomes `true` in `i1`.

    Example:

    ```mlir
    %y = wafer.cast %x : tensor<4xi64> to tensor<4xf32>
    ```
  }];
  let arguments = (ins Wafer_Tensor:$input);
  let results = (outs Wafer_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra and transformer kernels
//===----------------------------------------------------------------------===//

def Wafer_MatmulOp : Wafer_GraphOp<"matmul"> {
  let summary = "Batched matrix multiplication with optional bias";
  let description = [{
    `result = op(lhs) x op(rhs) + bias`, where `op` transposes the two
    innermost dimensions when `transpose_lhs` or `transpose_rhs` is set.
    After the transposes `lhs` is `[..., M, K]` and `rhs` is `[..., K, N]`;
    their leading (batch) dimensions broadcast as in NumPy. The optional
    `bias` broadcasts to the result `[..., M, N]`. Both operands have rank at
    least 2.

    Example:

    ```mlir
    %y = wafer.matmul %x, %w, %b {transpose_rhs}
        : tensor<2x16x64xf32>, tensor<256x64xf32>, tensor<256xf32>
        -> tensor<2x16x256xf32>
    ```
  }];
  let arguments = (ins Wafer_FloatTensor:$lhs, Wafer_FloatTensor:$rhs,
                       Optional<Wafer_FloatTensor>:$bias,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs Wafer_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`,` $bias^)? attr-dict `:` type($lhs) `,` type($rhs)
    (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Wafer_ConvOp : Wafer_GraphOp<"conv"> {
  let summary = "1-D or 2-D convolution, channels first, as ONNX Conv";
  let description = [{
    `input` is `[N, C, S...]` and `filter` `[M, C / groups, K...]` with one
    or two spatial dimensions; the result is `[N, M, O...]` with
    `O = (S + pad_begin + pad_end - dilation * (K - 1) - 1) / stride + 1`.
    `pads` holds the zero padding at the beginnings of the spatial
    dimensions, then at their ends (ONNX's order); `groups` divides `C` and
    `M`. The optional `bias` `[M]` is added to every output position.

    The op is a graph-level spelling only: `wafer-decompose-conv` rewrites it
    as a product over an im2col view of the input (strided slices of the
    padded input, or a plain reshape when the stride equals the kernel), so
    placement, routing, the cost model and the emulator see a linear layer.

    Example (a Vision Transformer's patch embedding):

    ```mlir
    %y = wafer.conv %x, %w, %b {dilations = array<i64: 1, 1>, groups = 1 : i64,
        pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 16, 16>}
        : tensor<1x3x224x224xf32>, tensor<768x3x16x16xf32>, tensor<768xf32>
        -> tensor<1x768x14x14xf32>
    ```
  }];
  let arguments = (ins Wafer_FloatTensor:$input, Wafer_FloatTensor:$filter,
                       Optional<Wafer_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads,
                       DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs Wafer_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $filter (`,` $bias^)? attr-dict `:` type($input) `,`
    type($filter) (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def Wafer_LayerNormOp : Wafer_GraphOp<"layer_norm"> {
  let summary = "Layer normalisation";
  let description = [{
    Normalises `input` over the dimensions from `axis` to the last to zero
    mean and unit variance (`epsilon` added to the variance), then multiplies
    by `scale` and adds the optional `bias`. `scale` and `bias` have the
    shape of the normalised dimensions. A negative `axis` counts from the end.

    Example:

    ```mlir
    %y = wafer.layer_norm %x, %gamma, %beta {axis = -1 : i64,
        epsilon = 1.0e-05 : f32}
        : tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32>
        -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Wafer_FloatTensor:$input, Wafer_FloatTensor:$scale,
                       Optional<Wafer_FloatTensor>:$bias,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1.0e-5f">:$epsilon);
  let results = (outs Wafer_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`,` $bias^)? attr-dict `:` type($input) `,`
    type($scale) (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def Wafer_RmsNormOp : Wafer_GraphOp<"rms_norm"> {
  let summary = "Root-mean-square normalisation";
  let description = [{
    `input / sqrt(mean(input^2) + epsilon) * scale`, the mean taken over the
    dimensions from `axis` to the last (Llama, T5). `scale` has the shape of
    those dimensions.

    Example:

    ```mlir
    %y = wafer.rms_norm %x, %gamma {epsilon = 1.0e-06 : f32}
        : tensor<2x16x64xf32>, tensor<64xf32> -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Wafer_FloatTensor:$input, Wafer_FloatTensor:$scale,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1.0e-6f">:$epsilon);
  let results = (outs Wafer_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale attr-dict `:` type($input) `,` type($scale) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

class Wafer_SoftmaxBase<string mnemonic, string formula>
    : Wafer_GraphOp<mnemonic, [SameOperandsAndResultType]> {
  let summary = formula # " along one dimension";
  let description = [{
    Computes `}] # formula # [{` of `input` along `axis` (negative counts from
    the end), subtracting the maximum first for stability.

    Example:

    ```mlir
    %p = wafer.}] # mnemonic # [{ %scores {axis = -1 : i64} : tensor<2x4x8x8xf32>
    ```
  }];
  let arguments = (ins Wafer_FloatTensor:$input,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Wafer_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Wafer_SoftmaxOp : Wafer_SoftmaxBase<"softmax", "softmax">;
def Wafer_LogSoftmaxOp : Wafer_SoftmaxBase<"log_softmax", "log(softmax)">;

def Wafer_AttentionOp : Wafer_GraphOp<"attention"> {
  let summary = "Multi-head scaled dot-product attention";
  let description = [{
    Multi-head attention on un-split heads: `query` is `[B, Sq, H*Dh]`,
    `key` and `value` are `[B, Sk, Hkv*Dh]` and `[B, Sk, Hkv*Dv]`, with
    `num_heads` = H query heads sharing `num_kv_heads` = Hkv key/value heads
    (grouped-query attention when Hkv < H; H must be a multiple of Hkv). Per
    head, `softmax(scale * Q K^T + mask) V`; the heads are merged back into
    `[B, Sq, H*Dv]`. The optional additive `mask` broadcasts to
    `[B, H, Sq, Sk]`; `causal` masks out keys after the query's position.

    Example:

    ```mlir
    %o = wafer.attention %q, %k, %v {num_heads = 4 : i64,
        num_kv_heads = 4 : i64, scale = 0.25 : f32, causal}
        : tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>
        -> tensor<2x8x64xf32>
    ```
  }];
  let arguments = (ins Wafer_FloatTensor:$query, Wafer_FloatTensor:$key,
                       Wafer_FloatTensor:$value,
                       Optional<Wafer_FloatTensor>:$mask,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$num_heads,
                       ConfinedAttr<I64Attr, [IntMinValue<1>]>:$num_kv_heads,
                       F32Attr:$scale, UnitAttr:$causal);
  let results = (outs Wafer_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`,` $mask^)? attr-dict `:` type($query) `,`
    type($key) `,` type($value) (`,` type($mask)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

def Wafer_ReduceOp : Wafer_GraphOp<"reduce"> {
  let summary = "Reduces along a set of dimensions";
  let description = [{
    Combines the elements along `axes` with `kind` (sum, mean, max, min,
    prod). With `keep_dims` the reduced dimensions stay with extent 1;
    otherwise they are removed. `axes` are distinct and in range (negative
    values count from the end).

    Example:

    ```mlir
    %m = wafer.reduce mean %x {axes = array<i64: -1>, keep_dims}
        : tensor<2x16x64xf32> -> tensor<2x16x1xf32>
    ```
  }];
  let arguments = (ins Wafer_ReduceKind:$kind, Wafer_Tensor:$input,
                       DenseI64ArrayAttr:$axes, UnitAttr:$keep_dims);
  let results = (outs Wafer_Tensor:$result);
  let assemblyFormat = [{
    $kind $input attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Wafer_ReshapeOp : Wafer_GraphOp<"reshape"> {
  let summary = "Reinterprets a tensor with another static shape";
  let description = [{
    The elements in row-major order, unchanged, under the result's shape.
    Both shapes hold the same number of elements.

    Example:

    ```mlir
    %y = wafer.reshape %x : tensor<2x8x64xf32> -> tensor<2x8x4x16xf32>
    ```
  }];
  let arguments = (ins Wafer_Tensor:$input);
  let results = (outs Wafer_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Wafer_TransposeOp : Wafer_GraphOp<"transpose"> {
  let summary = "Permutes dimensions";
  let description = [{
    Result dimension `i` is input dimension `permutation[i]`.

    Example:

    ```mlir
    %y = wafer.transpose %x {permutation = array<i64: 0, 2, 1, 3>}
        : tensor<2x8x4x16xf32> -> tensor<2x4x8x16xf32>
    ```
  }];
  let arguments = (ins Wafer_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Wafer_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Wafer_BroadcastOp : Wafer_GraphOp<"broadcast"> {
  let summary = "Broadcasts to a larger shape";
  let description = [{
    Stretches `input` to the result's shape by NumPy rules (ONNX `Expand`):
    the result's shape is the broadcast of the input's shape and itself.

    Example:

    ```mlir
    %y = wafer.broadcast %x : tensor<1x64xf32> -> tensor<16x64xf32>
    ```
  }];
  let arguments = (ins Wafer_Tensor:$input);
  let results = (outs Wafer_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Wafer_SliceOp : Wafer_GraphOp<"slice"> {
  let summary = "Takes a strided box of a tensor";
  let description = [{
    For each dimension `d`, takes the elements
    `offsets[d] + i * strides[d]` for `i` in `[0, result dim d)`. Offsets are
    in range, strides are positive, and the last element taken lies inside
    the input.

    Example:

    ```mlir
    %y = wafer.slice %x {offsets = array<i64: 0, 32>,
        strides = array<i64: 1, 1>} : tensor<8x64xf32> -> tensor<8x32xf32>
    ```
  }];
  let arguments = (ins Wafer_Tensor:$input, DenseI64ArrayAttr:$offsets,
                       DenseI64ArrayAttr:$strides);
  let results = (outs Wafer_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Wafer_ConcatOp : Wafer_GraphOp<"concat"> {
  let summary = "Joins tensors along one dimension";
  let description = [{
    The inputs, in order, joined along `axis`; every other dimension agrees.

    Example:

    ```mlir
    %y = wafer.concat %a, %b {axis = 1 : i64}
        : tensor<8x16xf32>, tensor<8x16xf32> -> tensor<8x32xf32>
    ```
  }];
  let arguments = (ins Variadic<Wafer_Tensor>:$inputs,
                       ConfinedAttr<I64Attr, [IntMinValue<0>]>:$axis);
  let results = (outs Wafer_Tensor:$result);
  let assemblyFormat = [{
    $inputs attr-dict `:` type($inputs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Wafer_SplitOp : Wafer_GraphOp<"split"> {
  let summary = "Cuts a tensor into consecutive pieces along one dimension";
  let description = [{
    Result `i` holds the next `result i` extent of `axis`; the extents add up
    to the input's, and every other dimension agrees.

    Example:

    ```mlir
    %q, %k, %v = wafer.split %qkv {axis = 2 : i64} : tensor<2x8x192xf32>
        -> tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>
    ```
  }];
  let arguments = (ins Wafer_Tensor:$input,
                       ConfinedAttr<I64Attr, [IntMinValue<0>]>:$axis);
  let results = (outs Variadic<Wafer_Tensor>:$results);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($results)";
  let hasVerifier = 1;
}

def Wafer_GatherOp : Wafer_GraphOp<"gather"> {
  let summary = "Gathers slices of a tensor by index (embedding lookup)";
  let description = [{
    ONNX `Gather`: the result's shape is
    `data[:axis] + indices.shape + data[axis+1:]`, and each index picks a
    slice of `data` along `axis`. Indices out of range are an error at run
    time; negative indices count from the end.

    Example:

    ```mlir
    %e = wafer.gather %table, %tokens {axis = 0 : i64}
        : tensor<50257x64xf32>, tensor<2x16xi64> -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Wafer_Tensor:$data, Wafer_IndexTensor:$indices,
                       ConfinedAttr<I64Attr, [IntMinValue<0>]>:$axis);
  let results = (outs Wafer_Tensor:$result);
  let assemblyFormat = [{
    $data `,` $indices attr-dict `:` type($data) `,` type($indices) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

#endif // WAFER_GRAPH_OPS_TD
