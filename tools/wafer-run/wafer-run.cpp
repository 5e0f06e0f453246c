//===- wafer-run.cpp - run a wafer plan in the functional emulator --------===//
//
//   wafer-run model.wplan --inputs DIR [--outputs DIR] [--compare]
//       [--repeat N] [--report=text|json] [--trace FILE] [--timing-only]
//       [--weights-dir DIR] [--atol A] [--rtol R] [--threads N] [--per-pe-math]
//
// Checks the plan against its target, executes it, compares with
// DIR/output_N.pb, and models its time with the compiler's cost model.
// Does not depend on MLIR.
//
//===----------------------------------------------------------------------===//

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "wafer/Plan/Plan.h"
#include "wafer/Runtime/Runtime.h"
#include "wafer/Support/OutputFile.h"
#include "wafer/Support/Version.h"

#ifdef WAFER_HAVE_MPI
#include "MpiFabric.h"
#endif

using namespace wafer;

namespace {

struct Options {
  std::string plan, inputs, outputs, trace, weightsDir;
  std::string report = "text";
  bool compare = false, timingOnly = false, perPeMath = false;
  bool nanEqual = false; // --compare: a NaN matches a NaN.
  int repeat = 1, threads = 0;
  double atol = 1e-4, rtol = 1e-3;
  bool train = false; // Train for `steps` steps on the --inputs batch.
  int steps = 1;
  std::string saveModel;
};

/// Bounds of the numeric flags: a thread per core of a large host at most,
/// and runs a benchmark may ask for.
constexpr int kMaxThreads = 256;
constexpr int kMaxRepeat = 1000000;

constexpr const char *kUsage =
    "usage: wafer-run PLAN --inputs DIR [--outputs DIR] "
    "[--compare [--nan-equal]] [--repeat N] [--report=text|json] "
    "[--trace FILE] "
    "[--timing-only] [--weights-dir DIR] [--atol A] [--rtol R] "
    "[--threads N] [--per-pe-math]\n"
    "       wafer-run PLAN --train --inputs DIR [--steps N] "
    "[--save-model OUT.onnx] [--report=text|json]\n";

int usage(const char *message) {
  std::fprintf(stderr, "error: %s\n%s", message, kUsage);
  return 1;
}

/// `--help`: what wafer-run does and how to call it, on standard output.
int help() {
  std::printf(
      "wafer-run: executes a wafer plan (from wafer-compile) on an emulated "
      "wafer and models its time\n%s\n"
      "  --inputs DIR       the model's inputs (input_N.pb, as ONNX's test "
      "data sets)\n"
      "  --outputs DIR      write the outputs there (output_N.pb)\n"
      "  --compare          compare the outputs with DIR's output_N.pb "
      "(--atol, --rtol; --nan-equal counts NaN = NaN)\n"
      "  --repeat N         run N times (timing)\n"
      "  --report=FORMAT    text (default) or json\n"
      "  --trace FILE       a Chrome trace of the modeled schedule\n"
      "  --timing-only      model the time without computing\n"
      "  --weights-dir DIR  where the plan's weight files are (default: "
      "beside the plan)\n"
      "  --threads N        host threads (default: all cores)\n"
      "  --per-pe-math      compute every PE's block on its own (slow; the "
      "reference for the fast paths)\n"
      "  --train            run training steps (a plan compiled with "
      "--train); --steps N, --save-model OUT.onnx\n"
      "  --version          print the version\n"
      "Under mpirun -np N, each rank emulates its share of the plan's "
      "wafers (docs/scale-out.md).\n",
      kUsage);
  return 0;
}

/// What the PEs held and moved: a JSON member or a line of text.
void printPes(const runtime::PeStats &pe, bool json) {
  const char *format =
      json ? "  \"pes\": {\"fullest_pe\": \"%s\", \"layer\": \"%s\", "
             "\"bytes\": %lld, \"capacity_bytes\": %lld, \"planned_bytes\": "
             "%lld, \"summa_panels\": %lld, \"attention_panels\": %lld, "
             "\"broadcast_bytes\": %lld, \"reduction_bytes\": %lld, "
             "\"flow_bytes\": %lld, \"stream_bytes\": %lld, "
             "\"layers_over_plan\": %lld, \"reshard_bytes\": %lld},\n"
           : "PEs: fullest PE %s of layer %s holds %lld of its %lld bytes "
             "(compiler planned %lld); %lld SUMMA panels, %lld attention "
             "panels, %lld bytes broadcast, %lld reduced, %lld over flows, "
             "%lld from streams\n";
  std::printf(format, pe.peakPe.c_str(), pe.peakLayer.c_str(),
              static_cast<long long>(pe.peakBytes),
              static_cast<long long>(pe.capacityBytes),
              static_cast<long long>(pe.peakPlannedBytes),
              static_cast<long long>(pe.summaPanels),
              static_cast<long long>(pe.attentionPanels),
              static_cast<long long>(pe.broadcastBytes),
              static_cast<long long>(pe.reductionBytes),
              static_cast<long long>(pe.flowBytes),
              static_cast<long long>(pe.streamBytes),
              static_cast<long long>(pe.layersOverPlan),
              static_cast<long long>(pe.reshardBytes));
  // The plan's SRAM per PE is the compiler's claim; a PE may hold more
  // while it still fits, but then the placement was planned on less.
  if (!json && pe.layersOverPlan > 0)
    std::printf("PEs over plan: %lld layers' fullest PE holds more than the "
                "compiler planned; most: layer %s holds %lld, planned %lld\n",
                static_cast<long long>(pe.layersOverPlan),
                pe.mostOverLayer.c_str(),
                static_cast<long long>(pe.mostOverBytes),
                static_cast<long long>(pe.mostOverPlannedBytes));
}

/// A one-line bar on stderr, drawn only once the work has run for half a
/// second and then at most ten times a second.
class Progress {
public:
  explicit Progress(int64_t total)
      : total(std::max<int64_t>(total, 1)),
        start(std::chrono::steady_clock::now()), last(start) {}
  void step() {
    ++done;
    auto now = std::chrono::steady_clock::now();
    if (now - start < std::chrono::milliseconds(500) ||
        now - last < std::chrono::milliseconds(100))
      return;
    last = now;
    drawn = true;
    int width = 40, filled = static_cast<int>(width * done / total);
    std::fprintf(stderr, "\r[%s%s] %3d%% %.1f s",
                 std::string(filled, '#').c_str(),
                 std::string(width - filled, ' ').c_str(),
                 static_cast<int>(100 * done / total),
                 std::chrono::duration<double>(now - start).count());
    std::fflush(stderr);
  }
  void finish() {
    if (drawn)
      std::fprintf(stderr, "\r%*s\r", 60, "");
  }

private:
  int64_t total, done = 0;
  std::chrono::steady_clock::time_point start, last;
  bool drawn = false;
};

std::string renderTrace(const plan::Plan &p, const runtime::Timing &timing) {
  std::ostringstream out;
  double usPerCycle = 1.0 / p.target().clock_mhz();
  out << "{\"traceEvents\": [\n";
  bool first = true;
  auto event = [&](const std::string &name, const char *cat, int tid,
                   double start, double dur) {
    out << (first ? "" : ",\n") << "{\"name\": \"";
    for (char c : name)
      out << (c == '"' || c == '\\' ? '_' : c);
    out << "\", \"cat\": \"" << cat << "\", \"ph\": \"X\", \"pid\": 1, "
        << "\"tid\": " << tid << ", \"ts\": " << start * usPerCycle
        << ", \"dur\": " << std::max(dur, 1.0) * usPerCycle << "}";
    first = false;
  };
  // Tracks: 0 the weight streams, 1.. the layers (all on 1 when they run
  // one after another), then one per kind of routed flow.
  auto track = [&](int tid, const std::string &name) {
    out << (first ? "" : ",\n")
        << "{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, "
        << "\"tid\": " << tid << ", \"args\": {\"name\": \"" << name << "\"}}";
    first = false;
  };
  bool streaming = p.mode() == plan::WEIGHT_STREAMING;
  track(0, "weight streams");
  for (int i = 0; i < p.layers_size(); ++i) {
    const plan::Layer &l = p.layers(i);
    if (!streaming || i == 0)
      track(i + 1, streaming ? "layers" : l.name());
    event(l.name(), "layer", streaming ? 1 : i + 1,
          streaming ? l.start_cycle() : 0, timing.layers[i].cycles);
    for (const plan::StreamTile &t : l.tiles())
      event(t.weight(), "stream", 0, t.arrive_start(),
            t.arrive_end() - t.arrive_start());
  }
  // Link activity: each routed flow busy on its narrowest bundle for its
  // bytes at the link rate each step (pipelined), or over its active window.
  std::map<std::string, int> kindTrack;
  double link = std::max<int64_t>(1, p.target().link_bytes_per_cycle());
  for (const plan::Flow &f : p.flows()) {
    if (f.segments().empty())
      continue;
    std::string kind = plan::flowKindName(f.kind());
    auto [it, fresh] = kindTrack.try_emplace(
        kind, 100000 + static_cast<int>(kindTrack.size()));
    if (fresh)
      track(it->second, "links: " + kind);
    int64_t lanes = f.segments(0).lanes();
    for (const plan::Segment &s : f.segments())
      lanes = std::min(lanes, s.lanes());
    double busy = static_cast<double>(f.bytes()) /
                  (static_cast<double>(std::max<int64_t>(lanes, 1)) * link);
    double window = static_cast<double>(f.active_end() - f.active_start());
    event(f.name(), "link", it->second, f.active_start(),
          window > 0 ? std::max(window, busy) : busy);
  }
  out << "\n], \"displayTimeUnit\": \"ns\"}\n";
  return out.str();
}

/// The plan's inputs from `o.inputs` (input_N.pb), and the run options and
/// thread count the flags give.
absl::StatusOr<std::vector<runtime::Array>>
readInputs(const Options &o, const plan::Plan &p,
           runtime::RunOptions &options) {
  std::vector<runtime::Array> inputs;
  for (int i = 0; i < p.inputs_size(); ++i) {
    absl::StatusOr<runtime::Array> a = runtime::readTensorFile(
        o.inputs + "/input_" + std::to_string(i) + ".pb");
    if (!a.ok())
      return a.status();
    inputs.push_back(std::move(*a));
  }
  if (o.threads > 0)
    runtime::setThreadCount(o.threads);
  options.weightsDir = o.weightsDir;
  options.perPeMath = o.perPeMath;
  return inputs;
}

/// "rank N: " when this process is one of several MPI ranks.
std::string rankPrefix;

/// Prints "error: " and the message, naming the rank under MPI.
__attribute__((format(printf, 1, 2))) void errorf(const char *format, ...) {
  std::fprintf(stderr, "error: %s", rankPrefix.c_str());
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
}

int fail(const absl::Status &s) {
  errorf("%s\n", std::string(s.message()).c_str());
  return 1;
}

/// Fault injection for the tests of a job that loses a rank:
/// WAFER_RUN_KILL=RANK:STEP kills rank RANK as step STEP (from 1) starts.
void faultPoint(const runtime::Fabric &fabric, int step) {
  const char *spec = std::getenv("WAFER_RUN_KILL");
  int rank = -1, at = -1;
  if (spec && std::sscanf(spec, "%d:%d", &rank, &at) == 2 &&
      rank == fabric.rank() && at == step + 1) {
    std::fprintf(stderr, "note: WAFER_RUN_KILL: rank %d killed at step %d\n",
                 rank, at);
    std::fflush(stderr);
    raise(SIGKILL);
  }
}

/// The modeled step: the busiest wafer's parts, the fabric's tree and the
/// training bubble (core::stepSeconds), from the plan's figures.
double modeledStepSeconds(const plan::Plan &p, const runtime::Timing &timing) {
  core::StepOverhead overhead;
  overhead.fabricLevelSeconds =
      static_cast<double>(p.target().fabric_level_ns()) * 1e-9;
  overhead.bubbleSeconds = p.training().bubble_seconds();
  return core::stepSeconds(plan::toBatchSplit(p), timing.stepSeconds, overhead);
}

/// The training loop: each step broadcasts the trained weights from the
/// weight store (rank 0) to every wafer, runs the plan's forward and
/// backward layers on each part of the batch, sums the gradients in the
/// plan's order into wafer 0 and applies the optimizer in the store.
int train(const Options &o, const plan::Plan &p, const runtime::Timing &timing,
          runtime::Fabric &fabric) {
  if (!p.has_training())
    return fail(absl::FailedPreconditionError(
        "the plan is not a training step: compile it with --train"));
  bool root = fabric.rank() == 0;
  if (!o.saveModel.empty() && root)
    if (std::string error = checkOutputPath(o.saveModel); !error.empty())
      return fail(absl::InvalidArgumentError("--save-model: " + error));
  runtime::RunOptions options;
  absl::StatusOr<std::vector<runtime::Array>> read = readInputs(o, p, options);
  if (!read.ok())
    return fail(read.status());
  const std::vector<runtime::Array> &inputs = *read;
  // The weight store on rank 0; a replica, filled only by the broadcast,
  // on every other rank, which then takes every weight from it.
  auto holds = fabric.size() > 1 ? runtime::WeightStore::Holds::everyWeight
                                 : runtime::WeightStore::Holds::trained;
  absl::StatusOr<std::unique_ptr<runtime::WeightStore>> store =
      root ? runtime::WeightStore::open(p, options, holds)
           : runtime::WeightStore::replica(p, holds);
  if (!store.ok())
    return fail(store.status());
  options.store = store->get();
  runtime::Session session(p, options);
  std::vector<double> losses, stepSeconds;
  auto start = std::chrono::steady_clock::now();
  for (int step = 0; step < o.steps; ++step) {
    auto stepStart = std::chrono::steady_clock::now();
    faultPoint(fabric, step);
    if (fabric.size() > 1) {
      std::string weights = root ? (*store)->packWeights() : std::string();
      if (absl::Status s = fabric.broadcast(weights); !s.ok())
        return fail(s);
      if (!root)
        if (absl::Status s = (*store)->unpackWeights(weights); !s.ok())
          return fail(s);
    }
    absl::StatusOr<std::vector<runtime::Array>> outputs =
        runtime::runStep(p, session, inputs, fabric);
    if (!outputs.ok())
      return fail(outputs.status());
    if (!root)
      continue;
    losses.push_back((*outputs)[0].get(0));
    if (absl::Status s = (*store)->update(*outputs); !s.ok())
      return fail(s);
    stepSeconds.push_back(std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - stepStart)
                              .count());
  }
  if (!root)
    return 0;
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!o.saveModel.empty())
    if (absl::Status s =
            runtime::saveTrainedModel(p, **store, o.weightsDir, o.saveModel);
        !s.ok())
      return fail(s);
  // What streams per step and wafer: the weights of every layer's tiles
  // in, the gradients out, once per part the busiest wafer runs.
  core::BatchSplit split = plan::toBatchSplit(p);
  int64_t streamedIn = 0;
  for (const plan::Layer &l : p.layers())
    for (const plan::StreamTile &t : l.tiles())
      if (t.direction() == plan::TO_WAFER)
        streamedIn += t.bytes();
  int64_t parts = split.mostParts();
  streamedIn *= parts;
  int64_t streamedOut = parts * (*store)->gradientBytes();
  double step = modeledStepSeconds(p, timing);
  if (o.report == "json") {
    std::printf(
        "{\n  \"mode\": \"%s\",\n  \"optimizer\": \"%s\",\n"
        "  \"steps\": %d,\n  \"wafers\": %lld,\n"
        "  \"processes\": %d,\n  \"parts\": %lld,\n"
        "  \"micro_batches\": %lld,\n  \"losses\": [",
        plan::modeName(p.mode()),
        plan::OptimizerKind_Name(p.training().optimizer().kind()).c_str(),
        o.steps, static_cast<long long>(split.wafers()), fabric.size(),
        static_cast<long long>(split.parts()), static_cast<long long>(parts));
    for (size_t i = 0; i < losses.size(); ++i)
      std::printf("%s%.9g", i ? ", " : "", losses[i]);
    std::printf("],\n  \"modeled_step_seconds\": %.9g,\n"
                "  \"samples_per_second\": %.9g,\n"
                "  \"weight_store_bytes\": %lld,\n"
                "  \"streamed_in_bytes\": %lld,\n"
                "  \"streamed_out_bytes\": %lld,\n"
                "  \"seconds_per_step\": %.9g,\n  \"step_seconds\": [",
                step, step > 0 ? split.batch / step : 0.0,
                static_cast<long long>((*store)->bytes()),
                static_cast<long long>(streamedIn),
                static_cast<long long>(streamedOut), seconds / o.steps);
    for (size_t i = 0; i < stepSeconds.size(); ++i)
      std::printf("%s%.9g", i ? ", " : "", stepSeconds[i]);
    std::printf("]\n}\n");
  } else {
    std::printf("plan: %s, training step of %d layers on %s; checks passed\n",
                o.plan.c_str(), p.layers_size(), p.target().name().c_str());
    if (split.parts() > 1)
      std::printf("batch of %lld in %lld part(s) of %lld over %lld wafer(s), "
                  "emulated by %d process(es)\n",
                  static_cast<long long>(split.batch),
                  static_cast<long long>(split.parts()),
                  static_cast<long long>(split.partRows),
                  static_cast<long long>(split.wafers()), fabric.size());
    for (size_t i = 0; i < losses.size(); ++i)
      std::printf("step %zu: loss %.9g\n", i + 1, losses[i]);
    std::printf("modeled step: %.6g s; weight store %lld bytes; %lld bytes "
                "streamed in and %lld out per step and wafer\n",
                step, static_cast<long long>((*store)->bytes()),
                static_cast<long long>(streamedIn),
                static_cast<long long>(streamedOut));
  }
  return 0;
}

} // namespace

int runTool(int argc, char **argv, runtime::Fabric &fabric) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *flag) -> const char * {
      size_t n = std::strlen(flag);
      if (arg.compare(0, n, flag) != 0)
        return nullptr;
      if (arg.size() > n && arg[n] == '=')
        return argv[i] + n + 1;
      if (arg.size() == n && i + 1 < argc)
        return argv[++i];
      return nullptr;
    };
    if (arg == "--help" || arg == "-h")
      return help();
    if (arg == "--version") {
      std::printf("wafer-run %s\n", wafer::version());
      return 0;
    }
    if (const char *v = value("--inputs"))
      o.inputs = v;
    else if (const char *v = value("--outputs"))
      o.outputs = v;
    else if (const char *v = value("--trace"))
      o.trace = v;
    else if (const char *v = value("--weights-dir"))
      o.weightsDir = v;
    else if (const char *v = value("--report"))
      o.report = v;
    else if (const char *v = value("--repeat")) {
      if (!absl::SimpleAtoi(v, &o.repeat) || o.repeat < 1 ||
          o.repeat > kMaxRepeat)
        return usage(absl::StrCat("--repeat takes a whole number from 1 to ",
                                  kMaxRepeat, ", not '", v, "'")
                         .c_str());
    } else if (const char *v = value("--threads")) {
      if (!absl::SimpleAtoi(v, &o.threads) || o.threads < 1 ||
          o.threads > kMaxThreads)
        return usage(absl::StrCat("--threads takes a whole number from 1 to ",
                                  kMaxThreads, ", not '", v, "'")
                         .c_str());
    } else if (const char *v = value("--atol")) {
      if (!absl::SimpleAtod(v, &o.atol) || !(o.atol >= 0) ||
          !std::isfinite(o.atol))
        return usage(
            absl::StrCat("--atol takes a finite number >= 0, not '", v, "'")
                .c_str());
    } else if (const char *v = value("--rtol")) {
      if (!absl::SimpleAtod(v, &o.rtol) || !(o.rtol >= 0) ||
          !std::isfinite(o.rtol))
        return usage(
            absl::StrCat("--rtol takes a finite number >= 0, not '", v, "'")
                .c_str());
    } else if (const char *v = value("--steps")) {
      if (!absl::SimpleAtoi(v, &o.steps) || o.steps < 1 || o.steps > kMaxRepeat)
        return usage(absl::StrCat("--steps takes a whole number from 1 to ",
                                  kMaxRepeat, ", not '", v, "'")
                         .c_str());
    } else if (const char *v = value("--save-model"))
      o.saveModel = v;
    else if (arg == "--train")
      o.train = true;
    else if (arg == "--compare")
      o.compare = true;
    else if (arg == "--nan-equal")
      o.nanEqual = true;
    else if (arg == "--timing-only")
      o.timingOnly = true;
    else if (arg == "--per-pe-math")
      o.perPeMath = true;
    else if (!arg.empty() && arg[0] != '-' && o.plan.empty())
      o.plan = arg;
    else
      return usage(("unknown argument '" + arg + "'").c_str());
  }
  if (o.plan.empty())
    return usage("no plan given");
  if (o.report != "text" && o.report != "json")
    return usage("--report takes text or json");
  if (!o.timingOnly && o.inputs.empty())
    return usage("--inputs DIR is needed unless --timing-only");
  if (o.nanEqual && !o.compare)
    return usage("--nan-equal goes with --compare");
  if (o.train && (o.compare || o.timingOnly || !o.outputs.empty()))
    return usage("--train does not go with --compare, --timing-only or "
                 "--outputs");
  if (!o.train && !o.saveModel.empty())
    return usage("--save-model goes with --train");
  // The reference files must survive the run that is compared with them.
  if (!o.outputs.empty() && !o.inputs.empty()) {
    char *in = realpath(o.inputs.c_str(), nullptr);
    char *out = realpath(o.outputs.c_str(), nullptr);
    bool same = in && out && std::strcmp(in, out) == 0;
    std::free(in);
    std::free(out);
    if (same)
      return usage("--outputs names the --inputs folder: its files would be "
                   "overwritten");
  }

  absl::StatusOr<plan::Plan> loaded = plan::loadPlan(o.plan);
  if (!loaded.ok()) {
    errorf("%s\n", std::string(loaded.status().message()).c_str());
    return 1;
  }
  const plan::Plan &p = *loaded;
  // What this run reads, its outputs may not replace: refused before the
  // run, not after it.
  if (!o.inputs.empty())
    for (int i = 0; i <= p.inputs_size() + p.outputs_size(); ++i)
      protectInput(o.inputs +
                   (i < p.inputs_size()
                        ? "/input_" + std::to_string(i)
                        : "/output_" + std::to_string(i - p.inputs_size())) +
                   ".pb");
  if (!o.trace.empty())
    if (std::string error = checkOutputPath(o.trace); !error.empty()) {
      errorf("--trace: %s\n", error.c_str());
      return 1;
    }
  if (absl::Status s = runtime::checkPlan(p, !o.timingOnly); !s.ok()) {
    errorf("plan check failed: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  // Every rank checks the plan and that the ranks can share out its
  // wafers, before any work.
  if (absl::Status s = runtime::checkRanks(p, fabric.size()); !s.ok())
    return fail(s);
  runtime::Timing timing = runtime::modelTiming(p);
  if (o.train)
    return train(o, p, timing, fabric);
  if (p.has_training() && !o.timingOnly)
    std::fprintf(stderr, "note: a training plan run once: its outputs are "
                         "the loss and the gradients (--train trains)\n");
  double predictedSeconds =
      p.predicted_cycles() / (p.target().clock_mhz() * 1e6);

  bool match = true;
  double maxAbs = 0, secondsPerRun = 0;
  runtime::PeStats pe;
  if (!o.timingOnly && o.compare) {
    // Every reference output is one the plan makes, and there is one.
    if (p.outputs_size() == 0) {
      errorf("the plan has no outputs to compare\n");
      return 1;
    }
    std::string extra =
        o.inputs + "/output_" + std::to_string(p.outputs_size()) + ".pb";
    if (access(extra.c_str(), F_OK) == 0) {
      errorf("'%s' is a reference output the plan does not make "
             "(it has %d)\n",
             extra.c_str(), p.outputs_size());
      return 1;
    }
  }
  if (!o.timingOnly) {
    runtime::RunOptions options;
    absl::StatusOr<std::vector<runtime::Array>> read =
        readInputs(o, p, options);
    if (!read.ok()) {
      errorf("%s\n", std::string(read.status().message()).c_str());
      return 1;
    }
    const std::vector<runtime::Array> &inputs = *read;
    // A progress bar over all the runs when stderr is a terminal.
    Progress progress(static_cast<int64_t>(o.repeat + 1) * p.kernels_size());
    if (isatty(STDERR_FILENO))
      options.progress = [&](int64_t, int64_t) { progress.step(); };
    // Under MPI, every weight reaches the other ranks only by rank 0's
    // broadcast.
    std::unique_ptr<runtime::WeightStore> weights;
    if (fabric.size() > 1) {
      auto holds = runtime::WeightStore::Holds::everyWeight;
      absl::StatusOr<std::unique_ptr<runtime::WeightStore>> store =
          fabric.rank() == 0 ? runtime::WeightStore::open(p, options, holds)
                             : runtime::WeightStore::replica(p, holds);
      if (!store.ok())
        return fail(store.status());
      std::string bytes =
          fabric.rank() == 0 ? (*store)->packWeights() : std::string();
      if (absl::Status s = fabric.broadcast(bytes); !s.ok())
        return fail(s);
      if (fabric.rank() != 0)
        if (absl::Status s = (*store)->unpackWeights(bytes); !s.ok())
          return fail(s);
      weights = std::move(*store);
      options.store = weights.get();
    }
    // One run warms up (loads weights); the timed runs follow. A plan
    // whose batch is cut runs each part on its wafer and combines them.
    runtime::Session session(p, options);
    auto runOnce = [&]() -> absl::StatusOr<std::vector<runtime::Array>> {
      if (p.has_data_parallel())
        return runtime::runStep(p, session, inputs, fabric);
      return session.run(inputs);
    };
    absl::StatusOr<std::vector<runtime::Array>> outputs = runOnce();
    auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < o.repeat && outputs.ok(); ++r)
      outputs = runOnce();
    secondsPerRun =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count() /
        o.repeat;
    progress.finish();
    pe = session.peStats();
    if (!outputs.ok()) {
      errorf("%s\n", std::string(outputs.status().message()).c_str());
      return 1;
    }
    // Only rank 0 holds the step's outputs and reports.
    if (fabric.rank() != 0)
      return 0;
    for (size_t i = 0; i < outputs->size(); ++i) {
      const runtime::Array &got = (*outputs)[i];
      if (!o.outputs.empty()) {
        mkdir(o.outputs.c_str(), 0755);
        absl::Status s = runtime::writeTensorFile(
            got, p.tensors(p.outputs(i)).name(),
            o.outputs + "/output_" + std::to_string(i) + ".pb");
        if (!s.ok()) {
          errorf("%s\n", std::string(s.message()).c_str());
          return 1;
        }
      }
      if (!o.compare)
        continue;
      std::string path = o.inputs + "/output_" + std::to_string(i) + ".pb";
      absl::StatusOr<runtime::Array> want = runtime::readTensorFile(path);
      if (!want.ok()) {
        errorf("%s\n", std::string(want.status().message()).c_str());
        return 1;
      }
      if (want->shape != got.shape) {
        errorf("output %zu has the wrong shape\n", i);
        return 1;
      }
      for (int64_t e = 0; e < got.size(); ++e) {
        double a = got.get(e), b = want->get(e);
        // Non-finite values match by kind only: an infinity the same one,
        // a NaN another NaN when --nan-equal says so.
        if (!std::isfinite(a) || !std::isfinite(b)) {
          bool same = std::isnan(a) || std::isnan(b)
                          ? std::isnan(a) && std::isnan(b) && o.nanEqual
                          : a == b;
          if (!same) {
            match = false;
            maxAbs = INFINITY;
          }
          continue;
        }
        double diff = std::fabs(a - b);
        maxAbs = std::max(maxAbs, diff);
        if (!(diff <= o.atol + o.rtol * std::fabs(b)))
          match = false;
      }
    }
  }
  if (!o.trace.empty())
    if (std::string error = writeOutputFile(o.trace, renderTrace(p, timing));
        !error.empty()) {
      errorf("--trace: %s\n", error.c_str());
      return 1;
    }

  if (o.report == "json") {
    std::printf("{\n  \"mode\": \"%s\",\n  \"layers\": %d,\n",
                plan::modeName(p.mode()), p.layers_size());
    if (!o.timingOnly && o.compare)
      std::printf("  \"outputs_match\": %s,\n  \"max_abs_error\": %.9g,\n"
                  "  \"atol\": %g,\n  \"rtol\": %g,\n",
                  match ? "true" : "false", maxAbs, o.atol, o.rtol);
    if (!o.timingOnly)
      std::printf("  \"seconds_per_run\": %.9g,\n", secondsPerRun);
    if (!o.timingOnly)
      printPes(pe, /*json=*/true);
    std::printf("  \"modeled_step_seconds\": %.9g,\n"
                "  \"predicted_step_seconds\": %.9g,\n"
                "  \"busiest_link_seconds\": %.9g,\n"
                "  \"flop_utilisation\": %.6g,\n"
                "  \"stream_bandwidth_utilisation\": %.6g\n}\n",
                modeledStepSeconds(p, timing), predictedSeconds,
                timing.linkCycles / (p.target().clock_mhz() * 1e6),
                timing.flopUtilisation, timing.streamUtilisation);
  } else {
    std::printf("plan: %s, %s, %d layers on %s; checks passed\n",
                o.plan.c_str(), plan::modeName(p.mode()), p.layers_size(),
                p.target().name().c_str());
    std::printf("modeled step: %.6g s (compiler predicted %.6g s; busiest "
                "link %.6g s), FLOP utilisation %.3g, stream bandwidth use "
                "%.3g\n",
                modeledStepSeconds(p, timing), predictedSeconds,
                timing.linkCycles / (p.target().clock_mhz() * 1e6),
                timing.flopUtilisation, timing.streamUtilisation);
    if (!o.timingOnly)
      printPes(pe, /*json=*/false);
    if (!o.timingOnly)
      std::printf("ran %d time(s), %.6g s per run\n", o.repeat, secondsPerRun);
    if (!o.timingOnly && o.compare)
      std::printf("outputs %s (max abs error %.3g; atol %g, rtol %g)\n",
                  match ? "match" : "DIFFER", maxAbs, o.atol, o.rtol);
  }
  return match ? 0 : 1;
}

int main(int argc, char **argv) {
  runtime::retainFreedMemory();
#ifdef WAFER_HAVE_MPI
  // Under mpirun each rank emulates its share of the plan's wafers.
  if (MpiFabric::launchedByMpirun()) {
    MpiFabric fabric(&argc, &argv);
    if (fabric.size() > 1)
      rankPrefix = "rank " + std::to_string(fabric.rank()) + ": ";
    int rc = runTool(argc, argv, fabric);
    if (rc != 0)
      fabric.abortJob(rc); // The whole job stops, naming this rank.
    return rc;
  }
#else
  // Without MPI, the ranks of an mpirun job would each run the whole plan
  // on their own: refused, with how to get the MPI build.
  if (const char *size = std::getenv("OMPI_COMM_WORLD_SIZE");
      size && std::atoi(size) > 1) {
    std::fprintf(stderr,
                 "error: wafer-run was built without MPI, so it cannot run "
                 "as %s ranks of an MPI job; run it without mpirun (it "
                 "emulates every wafer in one process), or build it with "
                 "Open MPI (Debian's libopenmpi-dev and openmpi-bin; "
                 "docs/scale-out.md)\n",
                 size);
    return 1;
  }
#endif
  runtime::LocalFabric fabric;
  return runTool(argc, argv, fabric);
}
