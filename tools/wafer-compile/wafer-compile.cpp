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
#include "wafer/Analysis/LayerAnalysis.h"
#include "wafer/Analysis/StepCost.h"
#include "wafer/Analysis/RoutingIR.h"
#include "wafer/Core/Optimizer.h"
#include "wafer/Dialect/Wafer/Passes.h"
#include "wafer/Dialect/Wafer/PlaceFunction.h"
#include "wafer/Dialect/Wafer/WaferAttrs.h"
#include "wafer/Dialect/Wafer/WaferDialect.h"
#include "wafer/Dialect/Wafer/WaferOps.h"
#include "wafer/Import/OnnxImporter.h"
#include "wafer/InitAll.h"
#include "wafer/Plan/PlanExport.h"
#include "wafer/Route/Router.h"
#include "wafer/Support/OutputFile.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

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
cl::list<std::string> inputValues(
    "input-value",
    cl::desc("Bind a graph input to a value at compile time: NAME=FILE.pb "
             "(an ONNX TensorProto; the input's shape and value come from "
             "the file, and the compiled model no longer takes it)"),
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
    cl::init(EmitLevel::plan), cl::cat(category));
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
cl::opt<std::string> modeOption(
    "mode",
    cl::desc("Execution mode: auto (pipelined only when everything fits in "
             "SRAM), pipelined or weight-streaming"),
    cl::init("auto"), cl::cat(category));
cl::list<std::string> pinOptions(
    "pin",
    cl::desc("Pin a layer to a rectangle (pipelined mode): LAYER@X,Y,WxH"),
    cl::cat(category));
cl::opt<std::string> svgPath("placement-svg",
                             cl::desc("Draw the placement as SVG to this file"),
                             cl::value_desc("file"), cl::cat(category));
cl::opt<bool> train("train",
                    cl::desc("Compile the training step: the model's first "
                             "output is its loss; every float initializer "
                             "not frozen is trained"),
                    cl::init(false), cl::cat(category));
cl::opt<std::string> optimizerSpec(
    "optimizer",
    cl::desc("With --train: sgd:lr=..,momentum=..,dampening=..,nesterov=..,"
             "weight_decay=.. | adam:lr=..,beta1=..,beta2=..,eps=..,"
             "weight_decay=.. | adamw:(as adam) (PyTorch's defaults)"),
    cl::value_desc("spec"), cl::cat(category));
cl::opt<std::string> lossKind(
    "loss",
    cl::desc("With --train, for a model that returns logits: "
             "cross-entropy adds an int64 'labels' input and the mean token "
             "cross-entropy"),
    cl::value_desc("cross-entropy"), cl::cat(category));
cl::opt<std::string> microBatchOption(
    "micro-batches",
    cl::desc("Cut each wafer's share of the batch (axis 0 of the inputs) "
             "into at least this many micro-batches, run one after another "
             "(training accumulates their gradients before the update); "
             "auto (the default): as few as the training step's activations "
             "allow, chosen with --recompute by the modeled step"),
    cl::value_desc("K|auto"), cl::init("auto"), cl::cat(category));
cl::opt<int64_t> waferCount(
    "wafers",
    cl::desc("Data parallelism: share the batch out over this many wafers, "
             "each with the same per-layer mapping; weights broadcast to "
             "them, gradients summed from them"),
    cl::init(1), cl::cat(category));
cl::opt<cl::boolOrDefault> recompute(
    "recompute",
    cl::desc("With --train: keep only the activations that cross the "
             "forward pass's narrowest cuts and recompute the rest in the "
             "backward pass (activation checkpointing); =false never; "
             "unset: chosen with --micro-batches=auto by the modeled step"),
    cl::cat(category));
cl::list<std::string> freezeNames("freeze",
                                  cl::desc("With --train: weights not "
                                           "trained (NAME,NAME,...)"),
                                  cl::CommaSeparated, cl::cat(category));
cl::opt<bool> noFusion("no-fusion",
                       cl::desc("Skip kernel fusion (for comparisons)"),
                       cl::init(false), cl::cat(category));

llvm::json::Object layerJson(const wafer::Layer &layer) {
  llvm::json::Array weights;
  for (const wafer::LayerWeight &w : layer.weights)
    weights.push_back(llvm::json::Object{{"name", w.name}, {"bytes", w.bytes}});
  return llvm::json::Object{
      {"name", layer.name},
      {"kind", wafer::core::layerKindName(layer.kind)},
      {"flops", layer.flops},
      {"weight_bytes", layer.weightBytes},
      {"activation_bytes", layer.inputBytes + layer.outputBytes},
      {"activation_in_bytes", layer.inputBytes},
      {"activation_out_bytes", layer.outputBytes},
      {"weights", std::move(weights)}};
}

/// The step's batch, split over parts and wafers (the plan's runs).
llvm::json::Object batchJson(const wafer::core::BatchSplit &split) {
  llvm::json::Array waferParts;
  for (int64_t parts : split.waferParts)
    waferParts.push_back(parts);
  return llvm::json::Object{{"batch", split.batch},
                            {"part_rows", split.partRows},
                            {"parts", split.parts()},
                            {"wafer_parts", std::move(waferParts)}};
}

/// Data parallelism: the step on the plan's wafers against the same parts
/// run one after another on one wafer.
llvm::json::Object scaleOutJson(const wafer::core::BatchSplit &split,
                                double partSeconds,
                                const wafer::core::StepOverhead &overhead) {
  wafer::core::BatchSplit oneWafer = split;
  oneWafer.waferParts = {split.parts()};
  double step = wafer::core::stepSeconds(split, partSeconds, overhead);
  double alone = wafer::core::stepSeconds(oneWafer, partSeconds, overhead);
  double speedup = alone / std::max(step, 1e-30);
  return llvm::json::Object{
      {"wafers", split.wafers()},
      {"step_seconds", step},
      {"one_wafer_step_seconds", alone},
      {"speedup_vs_one_wafer", speedup},
      {"efficiency", speedup / static_cast<double>(split.wafers())},
      {"tree_levels", wafer::core::treeLevels(split.wafers())}};
}

/// What a training step moves and achieves (the function returns
/// gradients): per step, its tokens and samples (the first input's leading
/// one or two dimensions over the whole batch), per wafer the weights
/// streamed in (forward and backward layers' streams, once per part it
/// runs; weight streaming only) and the gradients out, the weight store's
/// bytes (an fp32 master copy and the optimizer's state per trained
/// parameter), the FLOPs the backward pass recomputes, and the model FLOP
/// utilisation against the wafers' usable PEs' peak in the model's
/// precision (fp16 for 16-bit weights, else fp32).
llvm::json::Object trainingJson(ModuleOp module, func::FuncOp func,
                                const wafer::LayerAnalysis &layers,
                                const wafer::TargetDesc &target,
                                double partSeconds, bool streaming) {
  int64_t gradientBytes = 0, parameters = 0;
  bool sixteenBit = false; // The peak of the precision the model computes in.
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    if (func.getResultAttr(i, wafer::WaferDialect::getGradientOfAttrName())) {
      auto type = cast<RankedTensorType>(func.getResultTypes()[i]);
      sixteenBit = type.getElementTypeBitWidth() == 16;
      parameters += type.getNumElements();
      gradientBytes += type.getNumElements() *
                       ((type.getElementTypeBitWidth() + 7) / 8);
    }
  wafer::core::OptimizerSpec optimizer;
  if (Attribute config =
          module->getAttr(wafer::WaferDialect::getTrainingAttrName()))
    (void)wafer::WaferDialect::readTraining(config, optimizer);
  int64_t storeBytes =
      parameters * 4 * (1 + wafer::core::stateSlots(optimizer));
  wafer::core::BatchSplit split = wafer::getBatchSplit(module, func);
  wafer::core::StepOverhead overhead =
      wafer::getStepOverhead(module, func, layers, target);
  auto first = func.getNumArguments()
                   ? dyn_cast<RankedTensorType>(func.getArgumentTypes()[0])
                   : RankedTensorType();
  int64_t samples = split.batch;
  int64_t tokens = first && first.getRank() >= 2
                       ? samples * first.getDimSize(1)
                       : samples;
  double stepSeconds = wafer::core::stepSeconds(split, partSeconds, overhead);
  // What the backward pass computes again: ops cloned by
  // wafer-recompute-activations and attention's scores.
  double recomputed = 0;
  bool checkpointed = false; // wafer-recompute-activations ran.
  func.walk([&](Operation *op) {
    if (auto name = dyn_cast<NameLoc>(op->getLoc())) {
      bool clone = name.getName().getValue().ends_with(".recompute");
      checkpointed |= clone;
      if (clone || name.getName().getValue().ends_with(".scores"))
        recomputed += wafer::estimateFlops(op);
    }
  });
  double peak = static_cast<double>(sixteenBit ? target.fp16FlopsPerCycle
                                               : target.fp32FlopsPerCycle) *
                static_cast<double>(target.usable.area()) * target.clockHz() *
                static_cast<double>(split.wafers());
  double step = std::max(stepSeconds, 1e-30);
  int64_t parts = split.parts(), waferParts = split.mostParts();
  return llvm::json::Object{
      {"tokens_per_step", tokens},
      {"samples_per_step", samples},
      {"tokens_per_second", tokens / step},
      {"samples_per_second", samples / step},
      // Model FLOPs: what the step computes once, recompute left out.
      {"mfu", parts * (layers.getTotalFlops() - recomputed) / (step * peak)},
      {"weight_store_bytes", storeBytes},
      {"micro_batches", waferParts},
      {"step_seconds", stepSeconds},
      {"bubble_seconds", overhead.bubbleSeconds},
      {"streamed_in_bytes",
       streaming ? waferParts * layers.getTotalWeightBytes() : 0},
      {"streamed_out_bytes", waferParts * gradientBytes},
      {"recomputed_flops", parts * recomputed},
      {"recompute", checkpointed},
      {"held_activation_bytes", layers.getMostHeld().bytes},
      {"optimizer", wafer::core::formatOptimizerSpec(optimizer)}};
}

void writeReport(llvm::raw_ostream &os, const wafer::LayerAnalysis &layers,
                 const wafer::TargetDesc &target, ModuleOp module,
                 func::FuncOp func,
                 wafer::PlacementOp placement, wafer::RoutingOp routing) {
  llvm::StringMap<wafer::PlaceOp> places;
  if (placement)
    for (wafer::PlaceOp place : placement.getBody().front().getOps<wafer::PlaceOp>())
      places[place.getLayer()] = place;
  double clock = target.clockHz();
  // The step is the slowest layer (or the stream schedule) unless the
  // busiest link needs longer; the plan carries the same figure.
  int64_t linkCycles =
      routing ? wafer::route::linkCycles(
                    target, routing.getMaxLinkLoad().convertToDouble())
              : 0;
  int64_t predictedCycles =
      placement ? std::max<int64_t>(placement.getPredictedCycles(), linkCycles)
                : 0;
  if (reportFormat == ReportFormat::json) {
    llvm::json::Array list;
    for (const wafer::Layer &layer : layers.getLayers()) {
      llvm::json::Object entry = layerJson(layer);
      if (wafer::PlaceOp place = places.lookup(layer.name)) {
        wafer::RegionAttr r = place.getRegion();
        entry["region"] = llvm::json::Object{{"x", r.getX()},
                                             {"y", r.getY()},
                                             {"width", r.getWidth()},
                                             {"height", r.getHeight()}};
        entry["sram_bytes_per_pe"] =
            static_cast<int64_t>(place.getSramBytesPerPe());
        entry["predicted_seconds"] = place.getCycles() / clock;
      }
      list.push_back(std::move(entry));
    }
    llvm::json::Object report{
        {"model", inputPath.getValue()},
        {"target", target.name},
        {"layers", std::move(list)},
        {"totals",
         llvm::json::Object{
             {"flops", layers.getTotalFlops()},
             {"weight_bytes", layers.getTotalWeightBytes()},
             {"layers", static_cast<int64_t>(layers.getLayers().size())}}}};
    if (placement) {
      report["mode"] = placement.getMode() == wafer::ExecutionMode::pipelined
                           ? "pipelined"
                           : "weight-streaming";
      report["schedule"] = llvm::json::Object{
          {"predicted_step_seconds", predictedCycles / clock},
          {"lower_bound_seconds", placement.getLowerBoundCycles() / clock},
          {"predicted_cycles", predictedCycles},
          {"compute_cycles",
           static_cast<int64_t>(placement.getPredictedCycles())},
          {"lower_bound_cycles",
           static_cast<int64_t>(placement.getLowerBoundCycles())},
          {"slot_bytes_per_pe", static_cast<int64_t>(placement.getSlotBytes())},
          {"passes", static_cast<int64_t>(placement.getPasses())}};
    }
    if (placement && train)
      report["training"] = trainingJson(
          module, func, layers, target, predictedCycles / clock,
          placement.getMode() == wafer::ExecutionMode::weight_streaming);
    if (placement) {
      wafer::core::BatchSplit split = wafer::getBatchSplit(module, func);
      report["batch"] = batchJson(split);
      report["scale_out"] = scaleOutJson(
          split, predictedCycles / clock,
          wafer::getStepOverhead(module, func, layers, target));
    }
    if (routing)
      report["routing"] = llvm::json::Object{
          {"max_colors_per_router",
           static_cast<int64_t>(routing.getMaxColorsPerRouter())},
          {"color_limit", static_cast<int64_t>(routing.getColorLimit())},
          {"max_terminal_colors_per_pe",
           static_cast<int64_t>(routing.getMaxTerminalColors())},
          {"max_link_load", routing.getMaxLinkLoad().convertToDouble()},
          {"link_cycles", linkCycles},
          {"link_load_lower_bound",
           routing.getLinkLoadLowerBound().convertToDouble()},
          {"total_hops", static_cast<int64_t>(routing.getTotalHops())},
          {"deadlock_free", routing.getDeadlockFree()},
          {"flows", static_cast<int64_t>(
                        std::distance(routing.getBody().front().begin(),
                                      routing.getBody().front().end()))}};
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(report)))
       << "\n";
    return;
  }
  os << llvm::formatv("{0,-40} {1,-10} {2,14} {3,14} {4,14}\n", "layer",
                      "kind", "GFLOP", "weight MB", "activation MB");
  for (const wafer::Layer &layer : layers.getLayers())
    os << llvm::formatv("{0,-40} {1,-10} {2,14:F3} {3,14:F3} {4,14:F3}\n",
                        layer.name, wafer::core::layerKindName(layer.kind),
                        layer.flops / 1e9, layer.weightBytes / 1e6,
                        (layer.inputBytes + layer.outputBytes) / 1e6);
  os << llvm::formatv("{0} layers, {1:F3} GFLOP, {2:F3} MB of weights\n",
                      layers.getLayers().size(), layers.getTotalFlops() / 1e9,
                      layers.getTotalWeightBytes() / 1e6);
  if (placement)
    os << llvm::formatv(
        "{0} on {1}: predicted step {2:E3} s, lower bound {3:E3} s ({4:F3}x)\n",
        placement.getMode() == wafer::ExecutionMode::pipelined
            ? "pipelined"
            : "weight-streaming",
        target.name, predictedCycles / clock,
        placement.getLowerBoundCycles() / clock,
        static_cast<double>(predictedCycles) /
            std::max<int64_t>(1, placement.getLowerBoundCycles()));
  if (routing)
    os << llvm::formatv(
        "routing: {0} flows, max {1} of {2} colors per router, max link load "
        "{3:E3} B/step (bound {4:E3}), {5} hops, deadlock-free: {6}\n",
        std::distance(routing.getBody().front().begin(),
                      routing.getBody().front().end()),
        routing.getMaxColorsPerRouter(), routing.getColorLimit(),
        routing.getMaxLinkLoad().convertToDouble(),
        routing.getLinkLoadLowerBound().convertToDouble(),
        routing.getTotalHops(), routing.getDeadlockFree() ? "yes" : "no");
  if (placement) {
    wafer::core::BatchSplit split = wafer::getBatchSplit(module, func);
    if (split.parts() > 1) {
      llvm::json::Object s = scaleOutJson(
          split, predictedCycles / clock,
          wafer::getStepOverhead(module, func, layers, target));
      os << llvm::formatv(
          "batch of {0} in {1} part(s) of {2} row(s) over {3} wafer(s) (at "
          "most {4} per wafer): step {5:E3} s, {6:F2}x one wafer "
          "(efficiency {7:F3})\n",
          split.batch, split.parts(), split.partRows, split.wafers(),
          split.mostParts(), *s.getNumber("step_seconds"),
          *s.getNumber("speedup_vs_one_wafer"), *s.getNumber("efficiency"));
    }
  }
  if (placement && train) {
    llvm::json::Object t = trainingJson(
        module, func, layers, target, predictedCycles / clock,
        placement.getMode() == wafer::ExecutionMode::weight_streaming);
    os << llvm::formatv(
        "training ({0}): {1:E3} tokens/s, {2:E3} samples/s, MFU {3:F3}; "
        "weight store {4:E3} B; per step and wafer {5:E3} B of weights in, "
        "{6:E3} B of gradients out; {7:E3} FLOP recomputed; {8} "
        "micro-batch(es) per wafer, recompute {9}\n",
        *t.getString("optimizer"), *t.getNumber("tokens_per_second"),
        *t.getNumber("samples_per_second"), *t.getNumber("mfu"),
        static_cast<double>(*t.getInteger("weight_store_bytes")),
        static_cast<double>(*t.getInteger("streamed_in_bytes")),
        static_cast<double>(*t.getInteger("streamed_out_bytes")),
        *t.getNumber("recomputed_flops"), *t.getInteger("micro_batches"),
        *t.getBoolean("recompute") ? "on" : "off");
  }
}

std::string escapeXml(StringRef text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

/// Draws the target's grid with every layer's region, labelled.
void writeSvg(llvm::raw_ostream &os, const wafer::TargetDesc &target,
              wafer::PlacementOp placement, wafer::RoutingOp routing) {
  double scale = 1000.0 / std::max(target.cols, target.rows);
  double width = target.cols * scale, height = target.rows * scale;
  os << llvm::formatv("<svg xmlns=\"http://www.w3.org/2000/svg\" "
                      "width=\"{0:F0}\" height=\"{1:F0}\" "
                      "viewBox=\"0 0 {0:F1} {1:F1}\">\n",
                      width, height);
  os << llvm::formatv("<title>{0}: {1} layers, {2}</title>\n", target.name,
                      std::distance(placement.getBody().front().begin(),
                                    placement.getBody().front().end()),
                      placement.getMode() == wafer::ExecutionMode::pipelined
                          ? "pipelined"
                          : "weight-streaming");
  os << llvm::formatv("<rect x=\"0\" y=\"0\" width=\"{0:F1}\" "
                      "height=\"{1:F1}\" fill=\"#222\"/>\n",
                      width, height);
  const wafer::Rect &u = target.usable;
  os << llvm::formatv("<rect x=\"{0:F2}\" y=\"{1:F2}\" width=\"{2:F2}\" "
                      "height=\"{3:F2}\" fill=\"#444\"/>\n",
                      u.x * scale, u.y * scale, u.width * scale,
                      u.height * scale);
  const char *colors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                          "#59a14f", "#edc948", "#b07aa1", "#ff9da7"};
  int index = 0;
  for (wafer::PlaceOp place : placement.getBody().front().getOps<wafer::PlaceOp>()) {
    wafer::RegionAttr r = place.getRegion();
    std::string name = escapeXml(place.getLayer());
    os << llvm::formatv(
        "<g><title>{0}: ({1}, {2}) {3}x{4}, {5} B/PE, {6} cycles</title>"
        "<rect x=\"{7:F2}\" y=\"{8:F2}\" width=\"{9:F2}\" "
        "height=\"{10:F2}\" fill=\"{11}\" fill-opacity=\"0.8\" "
        "stroke=\"#000\" stroke-width=\"0.5\"/>",
        name, r.getX(), r.getY(), r.getWidth(), r.getHeight(),
        place.getSramBytesPerPe(), place.getCycles(), r.getX() * scale,
        r.getY() * scale, r.getWidth() * scale, r.getHeight() * scale,
        colors[index++ % 8]);
    // Label along the region's longer side.
    bool vertical = r.getHeight() > r.getWidth();
    double across = (vertical ? r.getWidth() : r.getHeight()) * scale;
    double fontSize = std::min(across * 0.6, 12.0);
    if (placement.getMode() == wafer::ExecutionMode::pipelined &&
        fontSize >= 2) {
      double x = vertical ? (r.getX() + r.getWidth() / 2.0) * scale -
                                fontSize / 3
                          : r.getX() * scale + 2;
      double y = vertical ? r.getY() * scale + 2
                          : (r.getY() + r.getHeight() / 2.0) * scale +
                                fontSize / 3;
      os << llvm::formatv("<text x=\"{0:F2}\" y=\"{1:F2}\" "
                          "font-size=\"{2:F1}\" fill=\"#fff\"{4}>{3}</text>",
                          x, y, fontSize, name,
                          vertical ? llvm::formatv(
                                         " transform=\"rotate(90 {0:F2} {1:F2})\"",
                                         x, y)
                                         .str()
                                   : std::string());
    }
    os << "</g>\n";
  }
  // Routes: each segment's lane bundle, drawn as a band along its tracks.
  if (routing)
    for (const wafer::route::RoutedFlow &flow :
         wafer::readRouting(routing).flows)
      for (const wafer::route::Segment &segment : flow.segments) {
        wafer::Rect band = segment.footprint();
        os << llvm::formatv(
            "<rect x=\"{0:F2}\" y=\"{1:F2}\" width=\"{2:F2}\" "
            "height=\"{3:F2}\" fill=\"none\" stroke=\"#fff\" "
            "stroke-width=\"0.8\" stroke-dasharray=\"2,1\"><title>{4}: "
            "color {5}, {6} bytes</title></rect>\n",
            band.x * scale, band.y * scale, band.width * scale,
            band.height * scale, escapeXml(flow.flow.name), flow.color,
            flow.flow.bytes);
      }
  os << "</svg>\n";
}

/// The weight store (MemoryX) keeps an fp32 master copy of every trained
/// parameter and the optimizer's state beside it: a model whose store does
/// not fit the target's is refused with the numbers.
LogicalResult checkWeightStore(ModuleOp module,
                               const wafer::TargetDesc &target,
                               const wafer::core::OptimizerSpec &optimizer) {
  int64_t parameters = 0;
  for (auto func : module.getOps<func::FuncOp>())
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      if (func.getResultAttr(i, wafer::WaferDialect::getGradientOfAttrName()))
        parameters +=
            cast<RankedTensorType>(func.getResultTypes()[i]).getNumElements();
  int64_t perParameter = 4 * (1 + wafer::core::stateSlots(optimizer));
  if (parameters <= target.weightMemoryBytes / perParameter)
    return success();
  llvm::errs() << llvm::formatv(
      "error: the weight store needs {0:E3} bytes ({1} trained parameters x "
      "{2} bytes: an fp32 master copy and {3} optimizer state slot(s)); the "
      "target's holds {4:E3} (weight_memory_bytes; for example "
      "--target={5}:weight_memory_bytes=55e12, the MemoryX of the 1T-parameter "
      "CS-3 run)\n",
      static_cast<double>(parameters) * perParameter, parameters, perParameter,
      wafer::core::stateSlots(optimizer),
      static_cast<double>(target.weightMemoryBytes), target.name);
  return failure();
}

/// Renders one output with `write`; the bytes are written only once every
/// output of the run is ready (wafer::writeOutputFile).
std::string render(llvm::function_ref<void(llvm::raw_ostream &)> write) {
  std::string text;
  llvm::raw_string_ostream os(text);
  write(os);
  return text;
}

/// Writes the run's outputs in order; stops at the first error.
LogicalResult
writeOutputs(ArrayRef<std::pair<std::string, std::string>> pathsAndBytes) {
  for (const auto &[path, bytes] : pathsAndBytes)
    if (std::string error = wafer::writeOutputFile(path, bytes);
        !error.empty()) {
      llvm::errs() << "error: " << error << "\n";
      return failure();
    }
  return success();
}

/// Refuses, before any work, outputs that would replace an input or share
/// a file with another output.
LogicalResult checkOutputs() {
  wafer::protectInput(inputPath);
  SmallVector<std::pair<StringRef, std::string>> outputs = {
      {"-o", outputPath}};
  if (!svgPath.empty())
    outputs.push_back({"--placement-svg", svgPath});
  if (reportFormat != ReportFormat::none)
    outputs.push_back({"--report-file", reportPath});
  for (const auto &[flag, path] : outputs)
    if (std::string error = wafer::checkOutputPath(path); !error.empty()) {
      llvm::errs() << "error: " << flag << ": " << error << "\n";
      return failure();
    }
  for (size_t i = 0; i < outputs.size(); ++i)
    for (size_t j = i + 1; j < outputs.size(); ++j)
      if (outputs[i].second == outputs[j].second &&
          (outputs[i].second != "-" ||
           (emitLevel == EmitLevel::plan &&
            !StringRef(outputPath).ends_with(".json")))) {
        llvm::errs() << "error: " << outputs[i].first << " and "
                     << outputs[j].first << " both write '"
                     << outputs[i].second << "'\n";
        return failure();
      }
  return success();
}

/// How a training step cuts its batch and keeps its activations.
struct StepChoice {
  int64_t microBatches = 1; // At least this many per wafer.
  bool recompute = false;
};

/// The model for `choice`: imported, with its target, training and cut of
/// the batch, and run through the passes to its layers (--emit=kernels or
/// later). Null after a diagnosed error.
OwningOpRef<ModuleOp> buildLayers(MLIRContext &context,
                                  const llvm::MemoryBuffer &input,
                                  const wafer::OnnxImportOptions &options,
                                  const wafer::TargetDesc &target,
                                  const wafer::core::OptimizerSpec &optimizer,
                                  const StepChoice &choice) {
  OwningOpRef<ModuleOp> module = wafer::importOnnxModel(
      input.getBuffer(), inputPath, &context, options);
  if (!module)
    return nullptr;
  (*module)->setAttr(wafer::WaferDialect::getTargetAttrName(),
                     wafer::TargetAttr::get(&context, target));
  if (train)
    (*module)->setAttr(
        wafer::WaferDialect::getTrainingAttrName(),
        DictionaryAttr::get(
            &context,
            {NamedAttribute(StringAttr::get(&context, "optimizer"),
                            StringAttr::get(&context,
                                            wafer::core::formatOptimizerSpec(
                                                optimizer)))}));
  // The batch (axis 0 of the inputs) cut into parts over the wafers.
  bool splitBatch = waferCount > 1 || choice.microBatches > 1;
  if (splitBatch) {
    auto func = *module->getOps<func::FuncOp>().begin();
    wafer::core::BatchSplit split;
    std::string error =
        wafer::batchRows(func) == 0
            ? "the model has no input with a batch axis to cut"
            : wafer::core::splitBatch(wafer::batchRows(func), waferCount,
                                      choice.microBatches, split);
    if (!error.empty()) {
      llvm::errs() << "error: --wafers=" << waferCount
                   << " --micro-batches=" << choice.microBatches << ": "
                   << error << "\n";
      return nullptr;
    }
    (*module)->setAttr(wafer::WaferDialect::getDataParallelAttrName(),
                       wafer::WaferDialect::makeDataParallel(&context, split));
  }
  if (emitLevel < EmitLevel::kernels)
    return module;
  PassManager pm(&context);
  wafer::buildGraphPipeline(pm, /*fusion=*/!noFusion);
  if (train && !lossKind.empty())
    pm.addNestedPass<func::FuncOp>(wafer::createWaferAppendLoss());
  if (splitBatch)
    pm.addNestedPass<func::FuncOp>(wafer::createWaferSplitBatch());
  if (train) {
    // The backward pass after fusion: one rule per fused kernel. Frozen
    // initializers the importer kept inline are constants, not weights:
    // the pass is told only of those that are weights.
    wafer::WaferAutodiffOptions autodiff;
    module->walk([&](wafer::WeightOp weight) {
      if (llvm::is_contained(freezeNames, weight.getSymName()))
        autodiff.freeze.push_back(weight.getSymName().str());
    });
    pm.addNestedPass<func::FuncOp>(wafer::createWaferAutodiff(autodiff));
    pm.addNestedPass<func::FuncOp>(createCSEPass());
    // After CSE, which would merge the recomputed ops back.
    if (choice.recompute)
      pm.addNestedPass<func::FuncOp>(
          wafer::createWaferRecomputeActivations());
  }
  pm.addNestedPass<func::FuncOp>(wafer::createWaferAnnotateLayers());
  if (failed(pm.run(*module)))
    return nullptr;
  return module;
}

LogicalResult compile(MLIRContext &context) {
  if (failed(checkOutputs()))
    return failure();
  wafer::core::OptimizerSpec optimizer;
  if (!train && (!optimizerSpec.empty() || !freezeNames.empty() ||
                 !lossKind.empty() || recompute != cl::BOU_UNSET)) {
    llvm::errs()
        << "error: --optimizer, --freeze, --loss and --recompute go with "
           "--train\n";
    return failure();
  }
  bool microAuto = microBatchOption == "auto";
  int64_t microBatches = 1;
  if (!microAuto && (!llvm::to_integer(microBatchOption.getValue(),
                                       microBatches, 10) ||
                     microBatches < 1 || microBatches > (1 << 20))) {
    llvm::errs() << "error: --micro-batches takes auto or a whole number "
                    "from 1 to "
                 << (1 << 20) << ", not '" << microBatchOption << "'\n";
    return failure();
  }
  if (waferCount < 1 || waferCount > (1 << 20)) {
    llvm::errs() << "error: --wafers takes a whole number from 1 to "
                 << (1 << 20) << ", not " << waferCount << "\n";
    return failure();
  }
  if (!lossKind.empty() && lossKind != "cross-entropy") {
    llvm::errs() << "error: --loss takes cross-entropy, not '" << lossKind
                 << "'\n";
    return failure();
  }
  if (train) {
    if (optimizerSpec.empty()) {
      llvm::errs() << "error: --train needs --optimizer (for example "
                      "--optimizer=adamw:lr=1e-4)\n";
      return failure();
    }
    if (std::string error =
            wafer::core::parseOptimizerSpec(optimizerSpec, optimizer);
        !error.empty()) {
      llvm::errs() << "error: " << error << "\n";
      return failure();
    }
  }
  wafer::OnnxImportOptions options;
  // Every float initializer of a trained model is a parameter, held by
  // reference however small.
  options.floatInitializersAsWeights = train;
  options.requireNamesUsed = true;
  options.frozen.insert(freezeNames.begin(), freezeNames.end());
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
  for (const std::string &text : inputValues)
    if (std::string err = wafer::parseInputValueOption(text, options);
        !err.empty()) {
      llvm::errs() << "error: " << err << "\n";
      return failure();
    }
  absl::StatusOr<wafer::TargetDesc> target = wafer::parseTargetSpec(targetSpec);
  if (!target.ok()) {
    llvm::errs() << "error: " << std::string(target.status().message())
                 << "\n";
    return failure();
  }

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> input =
      openInputFile(inputPath, &error);
  if (!input) {
    llvm::errs() << "error: " << error << "\n";
    return failure();
  }
  auto build = [&](const StepChoice &choice) {
    return buildLayers(context, *input, options, *target, optimizer, choice);
  };
  OwningOpRef<ModuleOp> module;
  if (!train || emitLevel < EmitLevel::spatial ||
      (!microAuto && recompute != cl::BOU_UNSET)) {
    module = build({microAuto ? 1 : microBatches,
                    recompute == cl::BOU_TRUE});
  } else {
    // The training step's cut of the batch and recompute, chosen by the
    // modeled step among those whose held activations fit.
    SmallVector<bool, 2> recomputeChoices;
    if (recompute != cl::BOU_TRUE)
      recomputeChoices.push_back(false);
    if (recompute != cl::BOU_FALSE)
      recomputeChoices.push_back(true);
    double best = std::numeric_limits<double>::infinity();
    std::string refusal;
    for (bool withRecompute : recomputeChoices) {
      int64_t k = microAuto ? 1 : microBatches;
      while (true) {
        OwningOpRef<ModuleOp> candidate = build({k, withRecompute});
        if (!candidate)
          return failure();
        auto func = *candidate->getOps<func::FuncOp>().begin();
        absl::StatusOr<wafer::place::Placement> placed = wafer::placeFunction(
            func, *target, modeOption.getValue(),
            std::vector<std::string>(pinOptions.begin(), pinOptions.end()));
        if (placed.ok()) {
          wafer::LayerAnalysis layers(func);
          double step = wafer::core::stepSeconds(
              wafer::getBatchSplit(*candidate, func),
              placed->predictedCycles / target->clockHz(),
              wafer::getStepOverhead(*candidate, func, layers, *target));
          if (step < best) {
            best = step;
            module = std::move(candidate);
          }
          break;
        }
        refusal = llvm::formatv(
            "cannot place @{0} on '{1}' ({2} micro-batch(es){3}): {4}",
            func.getSymName(), target->name, k,
            withRecompute ? ", recompute" : "",
            std::string(placed.status().message()));
        auto factor = placed.status().GetPayload(
            wafer::place::kMicroBatchFactorPayload);
        int64_t times = 0;
        if (!microAuto || !factor ||
            !llvm::to_integer(std::string(*factor), times, 10) || times < 2)
          break;
        k *= times;
        wafer::core::BatchSplit split;
        if (std::string more = wafer::core::splitBatch(
                wafer::batchRows(func), waferCount, k, split);
            !more.empty()) {
          refusal += "; " + more;
          break;
        }
      }
    }
    if (!module) {
      llvm::errs() << "error: " << refusal << "\n";
      return failure();
    }
  }
  if (!module)
    return failure();

  if (emitLevel >= EmitLevel::spatial) {
    PassManager pm(&context);
    pm.addPass(wafer::createWaferPlace(wafer::WaferPlaceOptions{
        modeOption.getValue(),
        llvm::SmallVector<std::string>(pinOptions.begin(), pinOptions.end())}));
    if (emitLevel >= EmitLevel::routed) {
      // The plan is emitted from the routed IR.
      pm.addPass(wafer::createWaferRoute());
      pm.addPass(wafer::createWaferVerifyRoutes());
    }
    if (failed(pm.run(*module)))
      return failure();
  }
  if (train && emitLevel >= EmitLevel::kernels &&
      failed(checkWeightStore(*module, *target, optimizer)))
    return failure();
  wafer::PlacementOp placement;
  if (auto placements = module->getOps<wafer::PlacementOp>();
      !placements.empty())
    placement = *placements.begin();
  wafer::RoutingOp routing;
  if (auto routings = module->getOps<wafer::RoutingOp>(); !routings.empty())
    routing = *routings.begin();
  if (!svgPath.empty() && !placement) {
    llvm::errs() << "error: --placement-svg needs --emit=spatial or later\n";
    return failure();
  }

  // Every output is made before any is written: a failed run writes none.
  SmallVector<std::pair<std::string, std::string>> outputs;
  if (emitLevel == EmitLevel::plan) {
    SmallString<256> dir(llvm::sys::path::parent_path(inputPath.getValue()));
    if (dir.empty())
      dir = ".";
    llvm::sys::fs::make_absolute(dir);
    FailureOr<wafer::plan::Plan> plan =
        wafer::exportPlan(*module, inputPath, dir);
    if (failed(plan))
      return failure();
    absl::StatusOr<std::string> bytes = wafer::plan::serializePlan(
        *plan, StringRef(outputPath).ends_with(".json"));
    if (!bytes.ok()) {
      llvm::errs() << "error: " << std::string(bytes.status().message())
                   << "\n";
      return failure();
    }
    outputs.push_back({outputPath, std::move(*bytes)});
  } else {
    outputs.push_back({outputPath, render([&](llvm::raw_ostream &os) {
                         module->print(os);
                         os << "\n";
                       })});
  }
  if (!svgPath.empty())
    outputs.push_back({svgPath, render([&](llvm::raw_ostream &os) {
                         writeSvg(os, *target, placement, routing);
                       })});
  if (reportFormat != ReportFormat::none) {
    auto func = *module->getOps<func::FuncOp>().begin();
    wafer::LayerAnalysis layers(func);
    outputs.push_back({reportPath, render([&](llvm::raw_ostream &os) {
                         writeReport(os, layers, *target, *module, func,
                                     placement,
                                     routing);
                       })});
  }
  if (failed(writeOutputs(outputs)))
    return failure();
  return success();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  wafer::setVersionPrinter("wafer-compile");
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "wafer-compile: an ONNX transformer to a plan for a wafer-scale "
      "engine\n");
  DialectRegistry registry;
  wafer::registerAllDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Errors name the layer and the numbers; the IR dump would bury them.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  return succeeded(compile(context)) ? 0 : 1;
}
