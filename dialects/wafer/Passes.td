//===- Passes.td - wafer passes ----------------------------*- tablegen -*-===//

#ifndef WAFER_PASSES_TD
#define WAFER_PASSES_TD

include "mlir/Pass/PassBase.td"

def WaferAttachTarget : Pass<"wafer-attach-target", "::mlir::ModuleOp"> {
  let summary = "Attaches the compilation target to the module";
  let description = [{
    Sets the module attribute `wafer.target` from a target spec: a preset
    name (`wse2`, `wse3`) optionally followed by overrides, as in
    `wse3:rows=16,cols=16`. Every later pass reads the target from there. An
    unknown preset or key, or numbers that do not make a machine (a usable
    rectangle off the fabric, a reserve larger than the SRAM), is an error
    that names the key and the values.

    Input:

    ```mlir
    module {
      func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> { return %x : tensor<4xf32> }
    }
    ```

    After `--wafer-attach-target="target=wse3:rows=16,cols=16"`:

    ```mlir
    module attributes {wafer.target = #wafer.target<name = "wse3", rows = 16,
        cols = 16, usable = #wafer.region<x = 0, y = 0, width = 16,
        height = 16>, sram_bytes = 49152, ...>} {
      func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> { return %x : tensor<4xf32> }
    }
    ```
  }];
  let options = [
    Option<"targetSpec", "target", "std::string", /*default=*/"\"wse3\"",
           "Target preset with optional overrides (NAME[:key=value,...])">,
  ];
  let dependentDialects = ["::wafer::WaferDialect"];
}

def WaferDecomposeConv : Pass<"wafer-decompose-conv"> {
  let summary = "Rewrites convolutions as products over an im2col view";
  let description = [{
    Rewrites every `wafer.conv` as a `wafer.matmul` of its input's patches,
    laid out as rows `[N, O, C K]`, with its filter as `[M, C K]` (one
    product per group), and brings the result back to `[N, M, O...]`. When
    the stride equals the kernel and nothing is padded or dilated (a Vision
    Transformer's patch embedding) the patches are a reshape and a transpose
    of the input; otherwise they are strided slices of the zero-padded input,
    one per kernel tap, stacked. A filter that is a weight or a constant used
    only by the convolution is reshaped in place, so the product streams it
    as any linear layer's weight. The graph pipeline and `wafer-compile` run
    this first.

    Input (a patch embedding):

    ```mlir
    %y = wafer.conv %x, %w, %b {dilations = array<i64: 1, 1>,
        pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 4, 4>}
        : tensor<1x3x8x8xf32>, tensor<16x3x4x4xf32>, tensor<16xf32>
        -> tensor<1x16x2x2xf32>
    ```

    Output:

    ```mlir
    %0 = wafer.reshape %x : tensor<1x3x8x8xf32> -> tensor<1x3x2x4x2x4xf32>
    %1 = wafer.transpose %0 {permutation = array<i64: 0, 2, 4, 1, 3, 5>}
        : tensor<1x3x2x4x2x4xf32> -> tensor<1x2x2x3x4x4xf32>
    %2 = wafer.reshape %1 : tensor<1x2x2x3x4x4xf32> -> tensor<1x4x48xf32>
    %3 = wafer.reshape %w : tensor<16x3x4x4xf32> -> tensor<16x48xf32>
    %4 = wafer.matmul %2, %3, %b {transpose_rhs}
        : tensor<1x4x48xf32>, tensor<16x48xf32>, tensor<16xf32>
        -> tensor<1x4x16xf32>
    %5 = wafer.transpose %4 {permutation = array<i64: 0, 2, 1>}
        : tensor<1x4x16xf32> -> tensor<1x16x4xf32>
    %y = wafer.reshape %5 : tensor<1x16x4xf32> -> tensor<1x16x2x2xf32>
    ```
  }];
}

def WaferFuseKernels : Pass<"wafer-fuse-kernels"> {
  let summary = "Fuses exporter spellings of transformer kernels into wafer ops";
  let description = [{
    Recognises the ways exporters spell the kernels of a transformer and
    replaces each with its wafer op (patterns in `FusionPatterns.h`, one
    family per file):

    * `norm`: LayerNorm (mean, centre, variance, sqrt, divide, scale, shift)
      into `wafer.layer_norm`; RMSNorm into `wafer.rms_norm`;
    * `activation`: GELU in its erf and tanh forms into `wafer.gelu`;
      x * sigmoid(x) into `wafer.silu`;
    * `linear`: matmul plus a per-column bias into one `wafer.matmul`;
    * `attention`: Q K^T, scale, optional additive or causal mask, softmax,
      times V, on heads split as [B, H, S, D] or [B*H, S, D], into one
      `wafer.attention` on merged heads with `num_heads`, `scale` and
      `causal`.

    Run `canonicalize` before (it folds transposes into matmuls) and after
    (it cancels the head split/merge around the new attention ops); the
    `wafer-graph-pipeline` does both.

    Input (GELU as exported by PyTorch's erf form):

    ```mlir
    %c = wafer.constant dense<1.41421354> : tensor<f32>
    %0 = wafer.div %x, %c : tensor<2x256xf32>, tensor<f32> -> tensor<2x256xf32>
    %1 = wafer.erf %0 : tensor<2x256xf32>
    %one = wafer.constant dense<1.0> : tensor<f32>
    %2 = wafer.add %1, %one : tensor<2x256xf32>, tensor<f32> -> tensor<2x256xf32>
    %3 = wafer.mul %x, %2 : tensor<2x256xf32>, tensor<2x256xf32> -> tensor<2x256xf32>
    %half = wafer.constant dense<0.5> : tensor<f32>
    %4 = wafer.mul %3, %half : tensor<2x256xf32>, tensor<f32> -> tensor<2x256xf32>
    ```

    Output:

    ```mlir
    %4 = wafer.gelu %x : tensor<2x256xf32>
    ```

    Attention (GPT-2 style, after canonicalization):

    ```mlir
    %s = wafer.matmul %qh, %kh {transpose_rhs} : ... -> tensor<2x4x16x16xf32>
    %t = wafer.mul %s, %scale : ...
    %m = wafer.select %causal_mask, %ninf, %t : ...
    %p = wafer.softmax %m : tensor<2x4x16x16xf32>
    %o = wafer.matmul %p, %vh : ... -> tensor<2x4x16x16xf32>
    ```

    becomes

    ```mlir
    %o = wafer.attention %q, %k, %v {causal, num_heads = 4 : i64,
        num_kv_heads = 4 : i64, scale = 2.500000e-01 : f32}
        : tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>
        -> tensor<2x16x64xf32>
    ```
  }];
  let options = [
    ListOption<"families", "families", "std::string",
               "Pattern families to apply (norm, activation, linear, "
               "attention); all when empty">,
  ];
  let dependentDialects = ["::wafer::WaferDialect"];
}

def WaferAppendLoss : Pass<"wafer-append-loss", "::mlir::func::FuncOp"> {
  let summary = "Ends a model that returns logits with its training loss";
  let description = [{
    For a model whose first result is logits `[..., C]` (as exported for
    inference), adds an integer argument `labels` shaped like the logits
    without their last axis (named `labels`) and replaces the first result
    with the mean token cross-entropy of the logits against the labels, as
    ONNX Runtime's training artifacts and PyTorch's `cross_entropy` define
    it: `-mean(log_softmax(logits)[label])`. Other results are dropped (a
    training step returns its loss). Logits that are not a float tensor of
    rank 2 or more are an error.

    Input:

    ```mlir
    func.func @f(%ids: tensor<2x8xi64>) -> tensor<2x8x64xf32> {
      ...
      return %logits : tensor<2x8x64xf32>
    }
    ```

    After `--wafer-append-loss`:

    ```mlir
    func.func @f(%ids: tensor<2x8xi64>,
                 %labels: tensor<2x8xi64> {wafer.name = "labels"})
        -> (tensor<f32> {wafer.name = "loss"}) {
      ...
      %lp = wafer.log_softmax %logits : ...
      %c = wafer.iota {dimension = 2 : i64} : tensor<1x1x64xi64>
      %l = wafer.reshape %labels : tensor<2x8xi64> -> tensor<2x8x1xi64>
      %hot = wafer.compare eq, %l, %c : ... -> tensor<2x8x64xi1>
      %pick = wafer.select %hot, %lp, %zero : ...
      %nll = wafer.reduce sum %pick {axes = array<i64: 2>} : ...
      %mean = wafer.reduce mean %nll {axes = array<i64: 0, 1>} : ...
      %loss = wafer.neg %mean : tensor<f32>
      return %loss : tensor<f32>
    }
    ```
  }];
  let dependentDialects = ["::wafer::WaferDialect"];
}

def WaferSplitBatch : Pass<"wafer-split-batch", "::mlir::func::FuncOp"> {
  let summary = "Cuts the model's batch into the parts one run of the plan takes";
  let description = [{
    Data parallelism and micro-batches: the module's `wafer.data_parallel`
    attribute (`{batch = B, part_rows = R, wafer_parts = array<i64: ...>}`,
    decided by `wafer-compile --wafers --micro-batches`) says the step's batch
    of B rows (axis 0 of every input) runs as B / R parts of R rows, each one
    run of the function, shared out over wafers. This pass rewrites the
    function for one part: every value that carries the batch on its axis 0
    (the inputs and what is computed from them along that axis) gets R rows
    instead of B. A reduction over the batch axis makes a value each part
    computes for its own rows only; it combines across parts by `mean` or
    `sum` (recorded on the results that return it as `wafer.combine`, so the
    runtime and the gradient reduction combine them right), and only linear
    ops may follow it. What would mix rows of different parts (a product or
    reduction over the batch axis other than mean or sum, a transpose,
    slice, concat or split that moves or cuts axis 0, a reshape whose first
    dimension does not cut evenly, a value as large as the batch that does
    not come from the inputs) is an error naming the op and its node.

    Input (`wafer.data_parallel = {batch = 4, part_rows = 2, wafer_parts =
    array<i64: 1, 1>}` on the module):

    ```mlir
    func.func @f(%x: tensor<4x8xf32>) -> tensor<f32> {
      %w = wafer.weight @w : tensor<8x8xf32>
      %y = wafer.matmul %x, %w : tensor<4x8xf32>, tensor<8x8xf32>
          -> tensor<4x8xf32>
      %l = wafer.reduce mean %y {axes = array<i64: 0, 1>}
          : tensor<4x8xf32> -> tensor<f32>
      return %l : tensor<f32>
    }
    ```

    Output:

    ```mlir
    func.func @f(%x: tensor<2x8xf32>)
        -> (tensor<f32> {wafer.combine = "mean"}) {
      %w = wafer.weight @w : tensor<8x8xf32>
      %y = wafer.matmul %x, %w : tensor<2x8xf32>, tensor<8x8xf32>
          -> tensor<2x8xf32>
      %l = wafer.reduce mean %y {axes = array<i64: 0, 1>}
          : tensor<2x8xf32> -> tensor<f32>
      return %l : tensor<f32>
    }
    ```
  }];
  let dependentDialects = ["::wafer::WaferDialect"];
}

def WaferAutodiff : Pass<"wafer-autodiff", "::mlir::func::FuncOp"> {
  let summary = "Appends the backward pass: the loss's gradient for each weight";
  let description = [{
    Differentiates a function whose first result is a scalar loss, in
    reverse mode, with respect to every float `wafer.weight` not named in
    `freeze`, and returns each weight's gradient as an extra result with the
    result attribute `wafer.gradient_of` (the weight's name). Each op on a
    path from a trained weight to the loss contributes its rule
    (`DifferentiableOpInterface`, `lib/Dialect/Wafer/IR/GradientRules.cpp`);
    gradients reaching a value along several paths are added. The backward
    ops are ordinary wafer ops marked `wafer.backward` and located at their
    forward op's ONNX node name with `.grad` (`.d_lhs`, `.d_rhs` for a
    product's two operand gradients), so layers, placement, weight streams
    (a backward product streams its weight again) and routes treat them like
    the forward pass. Weights the loss does not depend on take no gradient
    (as in PyTorch). An op without a rule on such a path, a first result
    that is not a float scalar, or a frozen name that is no weight is an
    error naming it.

    Input:

    ```mlir
    func.func @f(%x: tensor<4x3xf32>) -> tensor<f32> {
      %w = wafer.weight @w {...} : tensor<3x2xf32>
      %y = wafer.matmul %x, %w : ... -> tensor<4x2xf32> loc("fc")
      %l = wafer.reduce sum %y {axes = array<i64: 0, 1>} : ... -> tensor<f32>
      return %l : tensor<f32>
    }
    ```

    Output:

    ```mlir
    func.func @f(%x: tensor<4x3xf32>)
        -> (tensor<f32>, tensor<3x2xf32> {wafer.gradient_of = "w"}) {
      ...
      %one = wafer.constant {wafer.backward} dense<1.0> : tensor<f32>
      %g = wafer.reshape %one {wafer.backward} : ... -> tensor<1x1xf32>
      %gy = wafer.broadcast %g {wafer.backward} : ... -> tensor<4x2xf32>
      %gw = wafer.matmul %x, %gy {transpose_lhs, wafer.backward}
          : ... -> tensor<3x2xf32> loc("fc.d_rhs")
      return %l, %gw : tensor<f32>, tensor<3x2xf32>
    }
    ```
  }];
  let options = [
    ListOption<"freeze", "freeze", "std::string",
               "Weights that are not trained (their names)">,
  ];
  let dependentDialects = ["::wafer::WaferDialect"];
}

def WaferRecomputeActivations
    : Pass<"wafer-recompute-activations", "::mlir::func::FuncOp"> {
  let summary = "Recomputes forward activations in the backward pass";
  let description = [{
    Activation checkpointing for a function `wafer-autodiff` differentiated
    (backward ops marked `wafer.backward`). The forward pass is cut into
    segments where the fewest bytes are live between forward ops (in a
    transformer, the residual stream between blocks and sub-blocks); only
    the values that cross a cut (the checkpoints), the arguments, weights
    and constants stay for the backward pass. Just before the first backward
    op that reads a segment's other values, the forward ops of that segment
    that produce them are cloned (marked `wafer.backward`, located at their
    node's name with `.recompute`), and the backward ops read the clones. A
    training step then holds the checkpoints and one segment's activations
    instead of every activation, at the price of a second forward pass per
    segment (products whose weights stream in again). Run it after CSE,
    which would merge the clones back.

    Input (one segment of two ops between checkpoints `%x` and `%r`):

    ```mlir
    %h = wafer.relu %x : ...
    %r = wafer.mul %h, %x : ...
    ...
    %g = wafer.mul %dr, %h {wafer.backward} : ...
    ```

    Output:

    ```mlir
    %h = wafer.relu %x : ...
    %r = wafer.mul %h, %x : ...
    ...
    %h2 = wafer.relu %x {wafer.backward} : ... loc("relu.recompute")
    %g = wafer.mul %dr, %h2 {wafer.backward} : ...
    ```
  }];
  let dependentDialects = ["::wafer::WaferDialect"];
}

def WaferAnnotateLayers : Pass<"wafer-annotate-layers", "::mlir::func::FuncOp"> {
  let summary = "Groups kernels into layers and records each op's layer";
  let description = [{
    Runs the layer analysis (`wafer/Analysis/LayerAnalysis.h`): every anchor
    kernel (a matmul, an attention, an embedding lookup) starts a layer;
    normalisations and other ops that read no layer's result join the first
    layer that reads them; every other op joins the layer of its
    latest-produced operand (bias, activation, residual). Each op gets the
    discardable attribute `wafer.layer` with its layer's name (the anchor's
    ONNX node name), and each anchor gets `wafer.cost` with the layer's kind,
    FLOPs, weight bytes and activation bytes in and out.

    A grouping already recorded in the IR is kept: when every op outside the
    weights and constants names its layer in `wafer.layer` and each layer has
    one anchor carrying `wafer.cost`, the layer analysis — and so placement,
    routing and the plan — takes the layers as recorded (a pass may form
    layers the analysis would not). An incomplete record is formed again.

    Input:

    ```mlir
    %h = wafer.layer_norm %x, %g : ... loc("ln_1")
    %y = wafer.matmul %h, %w : ... loc("fc")
    %z = wafer.gelu %y : ... loc("act")
    ```

    Output:

    ```mlir
    %h = wafer.layer_norm %x, %g {wafer.layer = "fc"} : ...
    %y = wafer.matmul %h, %w {wafer.cost = {activation_in_bytes = 8192 : i64,
        activation_out_bytes = 32768 : i64, flops = 2.09E+6 : f64,
        kind = "linear", weight_bytes = 65536 : i64},
        wafer.layer = "fc"} : ...
    %z = wafer.gelu %y {wafer.layer = "fc"} : ...
    ```
  }];
  let dependentDialects = ["::wafer::WaferDialect"];
}

def WaferPlace : Pass<"wafer-place", "::mlir::ModuleOp"> {
  let summary = "Places layers on the PE grid and schedules weight streaming";
  let description = [{
    For each function, forms layers (as `wafer-annotate-layers` does), asks
    the placer (`wafer/Place/Placer.h`, docs/placement.md) for a placement on
    the module's `wafer.target`, and records it as a `wafer.placement` beside
    the function. `mode=auto` picks pipelined execution only when every
    layer's weights and activations fit in SRAM after the target's reserve.
    The result is checked as `wafer-verify-spatial` checks it; a model that
    cannot be placed is an error that names the layer and the numbers.
    Deterministic: the same input gives the same placement.

    Input:

    ```mlir
    module attributes {wafer.target = #wafer.target<...>} {
      func.func @main(%x: tensor<16x64xf32>) -> tensor<16x256xf32> {
        %w = wafer.weight "fc.weight" at "model.bin"[0, 65536] : tensor<64x256xf32>
        %y = wafer.matmul %x, %w : ... loc("fc")
        return %y : tensor<16x256xf32>
      }
    }
    ```

    Output (`mode=weight-streaming`):

    ```mlir
    wafer.placement for @main mode(weight_streaming) attributes {...} {
      wafer.place "fc" at <x = 0, y = 0, width = 16, height = 16>
          sram(4352) cycles[...] {
        wafer.stream "fc.weight"[0, 65536] slot 0 arrive[...] compute[...]
      }
    }
    ```
  }];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"auto\"",
           "Execution mode: auto, pipelined or weight-streaming">,
    ListOption<"pins", "pins", "std::string",
               "Layers pinned to rectangles, each LAYER@X,Y,WxH (pipelined "
               "mode)">,
  ];
  let dependentDialects = ["::wafer::WaferDialect"];
}

def WaferVerifySpatial : Pass<"wafer-verify-spatial", "::mlir::ModuleOp"> {
  let summary = "Checks the spatial level against the target";
  let description = [{
    Checks every `wafer.placement`: every layer of its function placed
    exactly once and nothing else placed; regions inside the target's usable
    rectangle, and pairwise disjoint in pipelined mode; SRAM per PE within
    the target's after the reserve ("layer h3.mlp.fc needs 61 KiB per PE,
    target has 42 KiB after reserve"); in weight-streaming mode every weight
    of every layer streamed once in full and in order, and no buffer slot
    holding two tiles at once. Changes nothing.
  }];
}

def WaferRoute : Pass<"wafer-route", "::mlir::ModuleOp"> {
  let summary = "Routes and colors every flow of each placed function";
  let description = [{
    For each `wafer.placement`, collects the flows its function needs —
    values crossing from one layer's region to another's, inputs from the
    west edge, outputs to the east edge, and in weight-streaming mode each
    layer's weight stream from the west edge across its region — and routes
    them (`wafer/Route/Router.h`, docs/routing.md): lane bundles of
    dimension-ordered tracks, colors assigned so flows active together never
    share a router on one color, link loads from difference arrays. The
    result is a `wafer.routing` beside the function, checked as
    `wafer-verify-routes` checks it. A flow that cannot be routed is an error
    that names it, its endpoints and why.

    Input:

    ```mlir
    wafer.placement for @main mode(pipelined) attributes {...} {
      wafer.place "fc1" at <x = 0, y = 0, width = 4, height = 8> ...
      wafer.place "fc2" at <x = 4, y = 0, width = 4, height = 8> ...
    }
    ```

    Output (added):

    ```mlir
    wafer.routing for @main attributes {color_limit = 18 : i64, ...} {
      wafer.flow "fc1->fc2" activation from <x = 0, y = 0, width = 4, height = 8>
          to <x = 4, y = 0, width = 4, height = 8> bytes(32768) color(0)
          active[0, 0] route([3, 0, 1, 8, 0])
    }
    ```
  }];
  let dependentDialects = ["::wafer::WaferDialect"];
}

def WaferVerifyRoutes : Pass<"wafer-verify-routes", "::mlir::ModuleOp"> {
  let summary = "Checks the routed level";
  let description = [{
    Checks every `wafer.routing`: each flow's tracks start in its source,
    connect, and end in its destination; colors within the routable budget;
    flows that share a router and a color are never active at the same time
    (so every color's channel dependency graph is a set of disjoint XY paths
    and cannot deadlock); no PE terminates more colors than it has input
    queues. Changes nothing.
  }];
}

#endif // WAFER_PASSES_TD
