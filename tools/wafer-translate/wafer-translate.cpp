//===- wafer-translate.cpp - wafer's translations -------------------------===//
//
// --import-onnx: an ONNX model (binary or ONNX text) to wafer graph-level IR.
// --export-plan, --export-plan-json: a routed module to the plan wafer-run
// executes (binary or JSON).
//
//===----------------------------------------------------------------------===//

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "wafer/Import/OnnxImporter.h"
#include "wafer/InitAll.h"
#include "wafer/Plan/PlanExport.h"
#include "wafer/Support/OutputFile.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

static llvm::cl::list<std::string> inputShapes(
    "input-shape",
    llvm::cl::desc("Static shape of a graph input: NAME=DIMxDIMx... "
                   "(repeatable)"));
static llvm::cl::list<std::string>
    dimValues("dim", llvm::cl::desc("Value of a symbolic dimension: "
                                    "PARAM=VALUE (repeatable)"));
static llvm::cl::list<std::string> inputValues(
    "input-value",
    llvm::cl::desc("Bind a graph input to a value at compile time: "
                   "NAME=FILE.pb (an ONNX TensorProto; repeatable)"));

static llvm::cl::opt<std::string> planWeightsDir(
    "plan-weights-dir",
    llvm::cl::desc("Where an exported plan's weight references resolve (the "
                   "model's folder; default: the current directory)"),
    llvm::cl::init("."));

/// The plan of a routed module, binary or JSON.
static LogicalResult exportPlan(Operation *op, llvm::raw_ostream &os,
                                bool json) {
  auto module = dyn_cast<ModuleOp>(op);
  if (!module)
    return op->emitError("a plan is exported from a module");
  SmallString<256> dir(planWeightsDir.getValue());
  llvm::sys::fs::make_absolute(dir);
  FailureOr<wafer::plan::Plan> plan = wafer::exportPlan(module, "", dir);
  if (failed(plan))
    return failure();
  absl::StatusOr<std::string> bytes = wafer::plan::serializePlan(*plan, json);
  if (!bytes.ok())
    return module.emitError() << std::string(bytes.status().message());
  os << *bytes;
  return success();
}

static OwningOpRef<Operation *> importOnnx(llvm::SourceMgr &sourceMgr,
                                           MLIRContext *context) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  wafer::OnnxImportOptions options;
  Location loc =
      FileLineColLoc::get(context, buffer->getBufferIdentifier(), 0, 0);
  for (const std::string &text : inputShapes)
    if (std::string err = wafer::parseInputShapeOption(text, options);
        !err.empty()) {
      emitError(loc) << err;
      return nullptr;
    }
  for (const std::string &text : dimValues)
    if (std::string err = wafer::parseDimOption(text, options); !err.empty()) {
      emitError(loc) << err;
      return nullptr;
    }
  for (const std::string &text : inputValues)
    if (std::string err = wafer::parseInputValueOption(text, options);
        !err.empty()) {
      emitError(loc) << err;
      return nullptr;
    }
  OwningOpRef<ModuleOp> module = wafer::importOnnxModel(
      buffer->getBuffer(), buffer->getBufferIdentifier(), context, options);
  if (!module)
    return nullptr;
  return OwningOpRef<Operation *>(module.release());
}

/// Prints a model's op census as text or JSON.
static LogicalResult printOpStats(llvm::SourceMgr &sourceMgr,
                                  llvm::raw_ostream &os, MLIRContext *context,
                                  bool json) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  FailureOr<std::vector<wafer::OnnxOpCount>> census = wafer::onnxOpCensus(
      buffer->getBuffer(), buffer->getBufferIdentifier(), context);
  if (failed(census))
    return failure();
  int64_t nodes = 0, unsupported = 0;
  for (const wafer::OnnxOpCount &op : *census) {
    nodes += op.count;
    unsupported += !op.supported;
  }
  if (json) {
    llvm::json::Array ops;
    for (const wafer::OnnxOpCount &op : *census)
      ops.push_back(llvm::json::Object{{"domain", op.domain},
                                       {"op", op.opType},
                                       {"count", op.count},
                                       {"supported", op.supported}});
    os << llvm::formatv("{0:2}\n",
                        llvm::json::Value(llvm::json::Object{
                            {"model", buffer->getBufferIdentifier()},
                            {"nodes", nodes},
                            {"op_types", static_cast<int64_t>(census->size())},
                            {"unsupported_op_types", unsupported},
                            {"ops", std::move(ops)}}));
    return success();
  }
  os << llvm::formatv("{0,-32} {1,8}  {2}\n", "op type", "count", "supported");
  for (const wafer::OnnxOpCount &op : *census)
    os << llvm::formatv("{0,-32} {1,8}  {2}\n",
                        op.domain.empty() ? op.opType
                                          : op.domain + "." + op.opType,
                        op.count, op.supported ? "yes" : "no");
  os << nodes << " nodes, " << census->size() << " op types, " << unsupported
     << " unsupported\n";
  return success();
}

/// mlirTranslateMain opens its output (truncating it) while its input is
/// still mapped, and parses its options itself: before it runs, an output
/// (-o FILE, -o=FILE) that is any file named on the command line is refused.
/// `output` is set to the -o value ("" when none), `rest` to the other
/// arguments.
bool outputReplacesAnInput(int argc, char **argv, std::string &output,
                           std::vector<char *> &rest) {
  rest.assign(argv, argv + 1);
  for (int i = 1; i < argc; ++i) {
    StringRef arg(argv[i]);
    if ((arg == "-o" || arg == "--o") && i + 1 < argc) {
      output = argv[++i];
      continue;
    }
    if (arg.consume_front("-o=") || arg.consume_front("--o=")) {
      output = arg.str();
      continue;
    }
    rest.push_back(argv[i]);
    wafer::protectInput(arg.str());
    if (arg.starts_with("-") && arg.contains('='))
      wafer::protectInput(arg.split('=').second.str());
  }
  std::string error = output.empty() ? "" : wafer::checkOutputPath(output);
  if (error.empty())
    return false;
  llvm::errs() << "error: -o: " << error << "\n";
  return true;
}

int main(int argc, char **argv) {
  wafer::setVersionPrinter("wafer-translate");
  TranslateRegistration opStats(
      "op-stats", "print the op census of an ONNX model",
      [](const std::shared_ptr<llvm::SourceMgr> &sourceMgr,
         llvm::raw_ostream &os, MLIRContext *context) {
        return printOpStats(*sourceMgr, os, context, /*json=*/false);
      });
  TranslateRegistration opStatsJson(
      "op-stats-json", "print the op census of an ONNX model as JSON",
      [](const std::shared_ptr<llvm::SourceMgr> &sourceMgr,
         llvm::raw_ostream &os, MLIRContext *context) {
        return printOpStats(*sourceMgr, os, context, /*json=*/true);
      });
  TranslateToMLIRRegistration importRegistration(
      "import-onnx", "import an ONNX model (.onnx or .onnxtext)", importOnnx,
      [](DialectRegistry &registry) { wafer::registerAllDialects(registry); });
  for (bool json : {false, true})
    TranslateFromMLIRRegistration(
        json ? "export-plan-json" : "export-plan",
        json ? "export a routed module as a wafer-run plan (JSON)"
             : "export a routed module as a wafer-run plan (binary)",
        [json](Operation *op, llvm::raw_ostream &os) {
          return exportPlan(op, os, json);
        },
        [](DialectRegistry &registry) {
          wafer::registerAllDialects(registry);
        });
  std::string output;
  std::vector<char *> args;
  if (outputReplacesAnInput(argc, argv, output, args))
    return 1;
  if (output.empty() || output == "-")
    return failed(mlirTranslateMain(argc, argv, "wafer translation tool"));
  // Upstream writes -o FILE itself, truncating it first: it writes to
  // standard output instead (the arguments without -o), captured in
  // memory, and the output goes through wafer's writer only when the
  // translation succeeds.
  std::string captured;
  bool ok = wafer::captureStandardOutput(captured, [&] {
    return succeeded(mlirTranslateMain(static_cast<int>(args.size()),
                                       args.data(), "wafer translation tool"));
  });
  if (!ok)
    return 1;
  if (std::string error = wafer::writeOutputFile(output, captured);
      !error.empty()) {
    llvm::errs() << "error: " << error << "\n";
    return 1;
  }
  return 0;
}
