//===- Runtime.h - wafer-run: check, execute and time a plan ----*- C++ -*-===//
//
// The emulator's library. It does not depend on MLIR: it reads the plan
// (wafer/Plan/Plan.h), checks it against its target (routes and colors with
// the router's checks, SRAM per PE, the weight-stream schedule), executes its
// kernels layer by layer, moving a tensor into another layer only over a
// routed flow and a weight only once its stream tiles have arrived, and
// applies the shared cost model to the plan to model its time.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_RUNTIME_RUNTIME_H
#define WAFER_RUNTIME_RUNTIME_H

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wafer/Plan/Plan.h"

namespace wafer::runtime {

/// A host tensor: floats as float (whatever their stored width), integers
/// and booleans as int64.
struct Array {
  plan::ElementType type = plan::F32;
  std::vector<int64_t> shape;
  std::vector<float> floats;
  std::vector<int64_t> ints;

  bool isFloat() const {
    return type == plan::F32 || type == plan::F16 || type == plan::BF16;
  }
  int64_t size() const;
  double get(int64_t i) const { return isFloat() ? floats[i] : ints[i]; }
  static Array zeros(plan::ElementType type, std::vector<int64_t> shape);
};

/// Reads an ONNX TensorProto file (input_N.pb / output_N.pb).
absl::StatusOr<Array> readTensorFile(const std::string &path);
/// Writes an ONNX TensorProto file.
absl::Status writeTensorFile(const Array &array, const std::string &name,
                             const std::string &path);

/// Checks the plan against its target: structure, routes and colors, that
/// every tensor crossing layers has a routed flow, SRAM per PE, and the
/// weight-stream schedule. Errors name the layer, flow or tile.
/// With `forExecution` false (timing only), host-memory limits are not
/// applied: a 1T plan is timed, never run.
absl::Status checkPlan(const plan::Plan &plan, bool forExecution = true);

struct LayerTime {
  std::string name;
  double cycles = 0;
};

struct Timing {
  double stepCycles = 0;
  double stepSeconds = 0;
  double linkCycles = 0;      // The busiest link's bytes per step / link rate.
  double flopUtilisation = 0; // Model FLOPs / (step x peak).
  double streamUtilisation = 0; // Weight bytes / (step x off-wafer rate).
  std::vector<LayerTime> layers;
};

/// The shared cost model applied to the plan as it is.
Timing modelTiming(const plan::Plan &plan);

/// What a run held on the PEs and moved between them.
struct PeStats {
  int64_t summaPanels = 0;     // Panel steps of the matrix products.
  int64_t attentionPanels = 0; // Key and value panel steps of attention.
  int64_t broadcastBytes = 0;  // Panel bytes PEs received over broadcasts.
  int64_t reductionBytes = 0;  // Norms' partial sums reduced along lines.
  int64_t flowBytes = 0;       // Activation bytes that entered layers.
  int64_t reshardBytes = 0;    // Bytes kernels regrouped across layers' PEs.
  int64_t streamBytes = 0;     // Weight bytes PEs took from stream tiles.
  /// The fullest PE of any layer: its bytes, where it is, and what the
  /// compiler planned per PE for that layer.
  int64_t peakBytes = 0, peakPlannedBytes = 0;
  std::string peakLayer, peakPe;
  int64_t capacityBytes = 0; // SRAM per PE after the reserve.
  /// Layers whose fullest PE held more than the compiler planned per PE,
  /// and the one that held the most beyond it.
  int64_t layersOverPlan = 0;
  std::string mostOverLayer;
  int64_t mostOverBytes = 0, mostOverPlannedBytes = 0;
};

class PeExecutor;
class PlanView;

class WeightStore;

struct RunOptions {
  std::string weightsDir; // Overrides the plan's.
  /// Training: the trained weights stream from this store instead of the
  /// plan's weight files.
  const WeightStore *store = nullptr;
  /// Each PE's SUMMA block and attention math from its own received panels,
  /// one call per PE and panel: slow, a reference for the default, which
  /// computes the same chains for many PEs in one call and so the same bits.
  bool perPeMath = false;
  /// Called after each kernel with the kernels done and their total.
  std::function<void(int64_t done, int64_t total)> progress;
};

/// Threads the kernels use, the caller's included (default: one per core).
/// Work is split by the data's shape, never by the thread count, so results
/// are the same for any count.
void setThreadCount(int threads);
int threadCount();

/// Keeps the memory the process frees for its next allocations instead of
/// returning it to the system (glibc's malloc; elsewhere a no-op). A run
/// frees and allocates the same buffers step after step; handing them back
/// costs a page fault per page the next time, and on some virtual machines
/// far more. For tools that own their process, such as wafer-run.
void retainFreedMemory();

/// Executes a plan, keeping weights and constants loaded between runs.
class Session {
public:
  Session(const plan::Plan &plan, RunOptions options);
  /// Runs on `inputs` (in the plan's input order).
  absl::StatusOr<std::vector<Array>> run(const std::vector<Array> &inputs);
  /// What the PEs held and moved in the last run.
  const PeStats &peStats() const;
  ~Session();

private:
  absl::Status load(const plan::Tensor &tensor);
  const plan::Plan &plan;
  RunOptions options;
  std::vector<Array> parameters; // Weights and constants, by tensor id.
  std::vector<bool> loaded;
  /// The last run's values, by tensor id: their storage is reused for the
  /// next run's results of the same type and shape.
  std::vector<Array> recycled;
  std::unique_ptr<PlanView> view; // Made at the first run.
  std::unique_ptr<PeExecutor> pes;
};

/// The weight store off the wafer (MemoryX) of a training plan: the fp32
/// master copy of every trained weight and the optimizer's state. Weights
/// leave it only as the plan's weight streams (a Session reads them here);
/// gradients enter it only as the plan's gradient outputs, and the
/// optimizer (core::applyOptimizerStep) runs here, between steps.
class WeightStore {
public:
  /// Which weights a store holds: the trained ones (a training plan's, with
  /// the optimizer's state), or every weight of the plan (also the frozen
  /// ones and an inference plan's: when several processes emulate the
  /// wafers, which take their weights only from the store's broadcast).
  enum class Holds { trained, everyWeight };
  /// Loads the weights' initial values from the plan's files.
  static absl::StatusOr<std::unique_ptr<WeightStore>>
  open(const plan::Plan &plan, const RunOptions &options,
       Holds holds = Holds::trained);
  /// A replica on a process that does not hold the store (a wafer under
  /// MPI): the weights' shapes, zero until a broadcast fills them.
  static absl::StatusOr<std::unique_ptr<WeightStore>>
  replica(const plan::Plan &plan, Holds holds = Holds::trained);
  /// The store's copy of weight `name`, or null if it holds none.
  const Array *weight(const std::string &name) const;
  /// Applies the optimizer with the step's gradients among `outputs` (the
  /// step's outputs, combined over its parts by runStep).
  absl::Status update(const std::vector<Array> &outputs);
  /// Every weight's values one after another (the trained ones, then the
  /// others), by name: what the store broadcasts to the wafers each step.
  std::string packWeights() const;
  /// Takes the values packWeights made (on a replica).
  absl::Status unpackWeights(const std::string &bytes);
  /// Weights and optimizer state held, in bytes.
  int64_t bytes() const;
  /// Bytes of gradients streamed in per step.
  int64_t gradientBytes() const;
  int64_t steps() const { return step; }
  /// Every trained weight, by name.
  const std::map<std::string, Array> &weights() const { return master; }

private:
  explicit WeightStore(const plan::Plan &plan) : plan(plan) {}
  /// open() with `options`, replica() without.
  static absl::StatusOr<std::unique_ptr<WeightStore>>
  make(const plan::Plan &plan, const RunOptions *options, Holds holds);
  const plan::Plan &plan;
  std::map<std::string, Array> master; // Trained: fp32 master copies.
  std::map<std::string, Array> fixed; // Held, not trained (Holds::everyWeight).
  std::map<std::string, std::vector<float>> state;
  int64_t step = 0;
};

/// Writes the plan's ONNX model (found in its weights folder, or
/// `weightsDir`) to `path` with every trained initializer replaced by the
/// store's weight, so PyTorch or ONNX Runtime can load the trained model.
absl::Status saveTrainedModel(const plan::Plan &plan, const WeightStore &store,
                              const std::string &weightsDir,
                              const std::string &path);

/// Reads tensor `t`'s weight from the plan's weight files (`weightsDir`
/// overrides the plan's folder), by the rule of wafer::checkDataFile.
absl::StatusOr<Array> readWeight(const plan::Plan &plan, const plan::Tensor &t,
                                 const std::string &weightsDir);

/// How the processes that emulate a data-parallel plan's wafers reach each
/// other (the broadcast/reduce fabric): one process alone (LocalFabric), or
/// the ranks of an MPI job (wafer-run's MpiFabric). Rank 0 holds the weight
/// store. Messages are bytes whose sizes both sides know from the plan. A
/// rank that fails stops the whole job (wafer-run), so no rank waits for
/// it.
class Fabric {
public:
  virtual ~Fabric();
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Rank 0's `bytes` to every rank (sizes equal on all ranks).
  virtual absl::Status broadcast(std::string &bytes) = 0;
  virtual absl::Status send(int to, const std::string &bytes) = 0;
  virtual absl::Status receive(int from, std::string &bytes) = 0;
  /// Every rank's `mine` on rank 0, in rank order (`all` on rank 0 only).
  virtual absl::Status gather(const std::string &mine,
                              std::vector<std::string> &all) = 0;
};

/// One process that emulates every wafer.
class LocalFabric final : public Fabric {
public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  absl::Status broadcast(std::string &) override { return absl::OkStatus(); }
  absl::Status send(int, const std::string &) override;
  absl::Status receive(int, std::string &) override;
  absl::Status gather(const std::string &mine,
                      std::vector<std::string> &all) override;
};

/// Whether `ranks` processes can emulate the plan's wafers: each takes the
/// same number of consecutive wafers, so the count must divide them.
absl::Status checkRanks(const plan::Plan &plan, int ranks);

/// One step of the plan over its whole batch (`batch`: the plan's inputs
/// with the step's rows, plan::toBatchSplit). Each wafer this rank emulates
/// runs its parts one after another in `session`; the outputs that combine
/// by mean or sum (loss, gradients) are added within each wafer in part
/// order, then across wafers in the plan's reduction order (over `fabric`
/// between ranks) into wafer 0. Rank 0 returns the step's outputs: those
/// combined, a mean divided by the parts; the others with every part's rows
/// in order. Other ranks return an empty vector.
absl::StatusOr<std::vector<Array>> runStep(const plan::Plan &plan,
                                           Session &session,
                                           const std::vector<Array> &batch,
                                           Fabric &fabric);

/// One run of the plan on `inputs` (in the plan's input order).
absl::StatusOr<std::vector<Array>> execute(const plan::Plan &plan,
                                           const std::vector<Array> &inputs,
                                           const RunOptions &options);

} // namespace wafer::runtime

#endif // WAFER_RUNTIME_RUNTIME_H
