//===- InitAll.h - register wafer's dialects and passes ---------*- C++ -*-===//
//
// The one entry point other MLIR tools call to use wafer: add its dialects
// (and the upstream ones its IR uses) to a registry, and register its passes
// and pipelines with the global pass registry.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_INITALL_H
#define WAFER_INITALL_H

#include <string>

namespace mlir {
class DialectRegistry;
class OpPassManager;
} // namespace mlir

namespace wafer {

/// Adds the wafer dialect and the upstream dialects wafer IR uses (builtin,
/// func, arith, tensor) to `registry`.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers every wafer pass and pass pipeline.
void registerAllPasses();

/// Options of the whole compile pipeline (`wafer-compile-pipeline`), as
/// wafer-compile's flags of the same names.
struct CompilePipelineOptions {
  std::string target = "wse3";
  std::string mode = "auto";
  bool fusion = true;
};

/// The whole compile of an imported module, to the routed level that
/// `wafer-translate --export-plan` writes as a plan: attach the target,
/// decompose convolutions, the graph pipeline (or canonicalize and CSE
/// without fusion), annotate layers, place, route, verify the routes. What
/// `wafer-compile --emit=routed` does for inference.
void buildCompilePipeline(mlir::OpPassManager &pm,
                          const CompilePipelineOptions &options);

/// Makes `--version` print "TOOL VERSION (LLVM VERSION)" for an LLVM
/// command-line tool.
void setVersionPrinter(const char *tool);

/// The graph pipeline (`wafer-graph-pipeline`): decompose convolutions,
/// canonicalize, fuse kernels, canonicalize, CSE. Runs on any op, typically a module.
void buildGraphPipeline(mlir::OpPassManager &pm);
/// The graph pipeline, or without fusion: decompose convolutions,
/// canonicalize, CSE.
void buildGraphPipeline(mlir::OpPassManager &pm, bool fusion);

} // namespace wafer

#endif // WAFER_INITALL_H
