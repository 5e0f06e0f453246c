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

#endif // WAFER_PASSES_TD
