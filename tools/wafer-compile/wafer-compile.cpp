//===- wafer-compile.cpp - ONNX model to a wafer plan ---------------------===//
//
// The compiler driver: imports an ONNX model, runs the pipeline up to the
// requested level, and writes that level's IR (atomically) and a report.
//
//===----------------------------------------------------------------------===//

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"
#include "wafer/Analysis/LayerAnalysis.h"
#include "wafer/Dialect/Wafer/Passes.h"
#include "wafer/Dialect/Wafer/WaferAttrs.h"
#include "wafer/Dialect/Wafer/WaferDialect.h"
#include "wafer/Import/OnnxImporter.h"
#include "wafer/InitAll.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

enum class EmitLevel { graph, kernels, spatial, routed, plan };
enum class ReportFormat { none, text, json };

cl::OptionCategory category("wafer-compile options");
cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model.onnx>"),
                               cl::Required, cl::cat(category));
cl::opt<std::string> outputPath("o", cl::desc("Output file ('-' for stdout)"),
                                cl::value_desc("file"), cl::init("-"),
                                cl::cat(category));
cl::opt<std::string>
    targetSpec("target",
               cl::desc("Target preset with overrides: NAME[:key=value,...] "
                        "(presets: wse2, wse3)"),
               cl::init("wse3"), cl::cat(category));
cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Static shape of a graph input: NAME=DIMxDIM..."),
                cl::cat(category));
cl::list<std::string> dimValues("dim",
                                cl::desc("Value of a symbolic dimension: "
                                         "PARAM=VALUE"),
                                cl::cat(category));
cl::opt<EmitLevel> emitLevel(
    "emit", cl::desc("Level to stop at and write"),
    cl::values(clEnumValN(EmitLevel::graph, "graph", "graph level, as imported"),
               clEnumValN(EmitLevel::kernels, "kernels",
                          "after fusion, with layers annotated"),
               clEnumValN(EmitLevel::spatial, "spatial", "placed layers"),
               clEnumValN(EmitLevel::routed, "routed", "routed flows"),
               clEnumValN(EmitLevel::plan, "plan", "executable plan")),
    cl::init(EmitLevel::kernels), cl::cat(category));
cl::opt<ReportFormat> reportFormat(
    "report", cl::desc("Report on the compiled model"),
    cl::values(clEnumValN(ReportFormat::none, "none", "no report"),
               clEnumValN(ReportFormat::text, "text", "a table"),
               clEnumValN(ReportFormat::json, "json", "JSON")),
    cl::init(ReportFormat::none), cl::cat(category));
cl::opt<std::string> reportPath("report-file",
                                cl::desc("Where the report goes ('-' for "
                                         "stdout)"),
                                cl::init("-"), cl::cat(category));
cl::opt<bool> noFusion("no-fusion",
                       cl::desc("Skip kernel fusion (for comparisons)"),
                       cl::init(false), cl::cat(category));

llvm::json::Object layerJson(const wafer::Layer &layer) {
  llvm::json::Array weights;
  for (const wafer::LayerWeight &w : layer.weights)
    weights.push_back(llvm::json::Object{{"name", w.name}, {"bytes", w.bytes}});
  return llvm::json::Object{
      {"name", layer.name},
      {"kind", wafer::stringifyLayerKind(layer.kind)},
      {"flops", layer.flops},
      {"weight_bytes", layer.weightBytes},
      {"activation_bytes", layer.inputBytes + layer.outputBytes},
      {"activation_in_bytes", layer.inputBytes},
      {"activation_out_bytes", layer.outputBytes},
      {"weights", std::move(weights)}};
}

void writeReport(llvm::raw_ostream &os, const wafer::LayerAnalysis &layers,
                 const wafer::TargetDesc &target) {
  if (reportFormat == ReportFormat::json) {
    llvm::json::Array list;
    for (const wafer::Layer &layer : layers.getLayers())
      list.push_back(layerJson(layer));
    llvm::json::Object report{
        {"model", inputPath.getValue()},
        {"target", target.name},
        {"layers", std::move(list)},
        {"totals",
         llvm::json::Object{
             {"flops", layers.getTotalFlops()},
             {"weight_bytes", layers.getTotalWeightBytes()},
             {"layers", static_cast<int64_t>(layers.getLayers().size())}}}};
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(report)))
       << "\n";
    return;
  }
  os << llvm::formatv("{0,-40} {1,-10} {2,14} {3,14} {4,14}\n", "layer",
                      "kind", "GFLOP", "weight MB", "activation MB");
  for (const wafer::Layer &layer : layers.getLayers())
    os << llvm::formatv("{0,-40} {1,-10} {2,14:F3} {3,14:F3} {4,14:F3}\n",
                        layer.name, wafer::stringifyLayerKind(layer.kind),
                        layer.flops / 1e9, layer.weightBytes / 1e6,
                        (layer.inputBytes + layer.outputBytes) / 1e6);
  os << llvm::formatv("{0} layers, {1:F3} GFLOP, {2:F3} MB of weights\n",
                      layers.getLayers().size(), layers.getTotalFlops() / 1e9,
                      layers.getTotalWeightBytes() / 1e6);
}

/// Writes `text` to `path` through a temporary file renamed into place, so a
/// failed run never leaves a partial output.
LogicalResult writeAtomically(StringRef path,
                              llvm::function_ref<void(llvm::raw_ostream &)> write) {
  if (llvm::Error err = llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
        write(os);
        return llvm::Error::success();
      })) {
    llvm::errs() << "error: cannot write '" << path
                 << "': " << llvm::toString(std::move(err)) << "\n";
    return failure();
  }
  return success();
}

LogicalResult compile(MLIRContext &context) {
  wafer::OnnxImportOptions options;
  for (const std::string &text : inputShapes)
    if (std::string err = wafer::parseInputShapeOption(text, options);
        !err.empty()) {
      llvm::errs() << "error: " << err << "\n";
      return failure();
    }
  for (const std::string &text : dimValues)
    if (std::string err = wafer::parseDimOption(text, options); !err.empty()) {
      llvm::errs() << "error: " << err << "\n";
      return failure();
    }
  absl::StatusOr<wafer::TargetDesc> target = wafer::parseTargetSpec(targetSpec);
  if (!target.ok()) {
    llvm::errs() << "error: " << std::string(target.status().message())
                 << "\n";
    return failure();
  }
  if (emitLevel > EmitLevel::kernels) {
    llvm::errs() << "error: --emit="
                 << (emitLevel == EmitLevel::spatial
                         ? "spatial"
                         : emitLevel == EmitLevel::routed ? "routed" : "plan")
                 << " is not available yet: wafer-compile stops at "
                    "--emit=kernels until placement lands\n";
    return failure();
  }

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> input =
      openInputFile(inputPath, &error);
  if (!input) {
    llvm::errs() << "error: " << error << "\n";
    return failure();
  }
  OwningOpRef<ModuleOp> module = wafer::importOnnxModel(
      input->getBuffer(), inputPath, &context, options);
  if (!module)
    return failure();
  (*module)->setAttr(wafer::WaferDialect::getTargetAttrName(),
                     wafer::TargetAttr::get(&context, *target));

  if (emitLevel >= EmitLevel::kernels) {
    PassManager pm(&context);
    if (noFusion) {
      pm.addPass(createCanonicalizerPass());
      pm.addPass(createCSEPass());
    } else {
      wafer::buildGraphPipeline(pm);
    }
    pm.addNestedPass<func::FuncOp>(wafer::createWaferAnnotateLayers());
    if (failed(pm.run(*module)))
      return failure();
  }

  if (failed(writeAtomically(outputPath, [&](llvm::raw_ostream &os) {
        module->print(os);
        os << "\n";
      })))
    return failure();

  if (reportFormat != ReportFormat::none) {
    auto func = *module->getOps<func::FuncOp>().begin();
    wafer::LayerAnalysis layers(func);
    if (failed(writeAtomically(reportPath, [&](llvm::raw_ostream &os) {
          writeReport(os, layers, *target);
        })))
      return failure();
  }
  return success();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "wafer-compile: an ONNX transformer to a plan for a wafer-scale "
      "engine\n");
  DialectRegistry registry;
  wafer::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  return succeeded(compile(context)) ? 0 : 1;
}
