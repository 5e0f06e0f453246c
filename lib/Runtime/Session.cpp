//===- Session.cpp - runs of a checked plan ----------------------------===//
//
// Loads weights and constants when a kernel first needs them, feeds the
// inputs, and runs the kernels in program order on their layers' PEs.
//
//===----------------------------------------------------------------------===//

#include <fstream>

#include "Kernels.h"
#include "Parallel.h"
#include "PeExecution.h"
#include "TensorIO.h"
#include "absl/strings/str_cat.h"
#include "wafer/Core/Optimizer.h"
#include "wafer/Runtime/Runtime.h"
#include "wafer/Support/DataFile.h"

namespace wafer::runtime {

absl::StatusOr<Array> readWeight(const plan::Plan &plan, const plan::Tensor &t,
                                 const std::string &weightsDir) {
  Array a =
      Array::zeros(t.element_type(),
                   std::vector<int64_t>(t.shape().begin(), t.shape().end()));
  // Only a regular file inside the weights folder, and only the bytes the
  // tensor holds: the importer's rule for external data.
  const plan::WeightRef &ref = t.weight();
  int64_t expected =
      static_cast<int64_t>(a.size()) * plan::elementBytes(t.element_type());
  if (ref.length() != expected)
    return absl::DataLossError(
        absl::StrCat("weight '", ref.name(), "' has ", ref.length(),
                     " bytes; its shape needs ", expected));
  std::string dir = weightsDir.empty() ? plan.weights_dir() : weightsDir;
  std::string error;
  std::string path = checkDataFile(dir, ref.file(), ref.offset(), ref.length(),
                                   "data", "the plan's weights folder", error);
  if (!error.empty())
    return absl::NotFoundError(
        absl::StrCat("weight '", ref.name(), "' ", error));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(
        absl::StrCat("weight '", ref.name(), "': cannot open '", path, "'"));
  std::string bytes(ref.length(), '\0');
  in.seekg(ref.offset());
  in.read(bytes.data(), ref.length());
  if (in.gcount() != ref.length())
    return absl::DataLossError(absl::StrCat("weight '", ref.name(), "': '",
                                            path, "' ends before byte ",
                                            ref.offset() + ref.length()));
  absl::Status s = decode(bytes, a);
  if (!s.ok())
    return absl::DataLossError(
        absl::StrCat("weight '", ref.name(), "' ", std::string(s.message())));
  return a;
}

absl::Status Session::load(const plan::Tensor &t) {
  if (t.has_constant()) {
    Array a =
        Array::zeros(t.element_type(),
                     std::vector<int64_t>(t.shape().begin(), t.shape().end()));
    absl::Status s = decode(t.constant(), a);
    if (!s.ok())
      return absl::DataLossError(
          absl::StrCat("constant ", t.id(), " ", std::string(s.message())));
    parameters[t.id()] = std::move(a);
  } else {
    absl::StatusOr<Array> a = readWeight(plan, t, options.weightsDir);
    if (!a.ok())
      return a.status();
    parameters[t.id()] = std::move(*a);
  }
  loaded[t.id()] = true;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Array>>
Session::run(const std::vector<Array> &inputs) {
  if (static_cast<int>(inputs.size()) != plan.inputs_size())
    return absl::InvalidArgumentError(
        absl::StrCat("the plan takes ", plan.inputs_size(), " inputs, found ",
                     inputs.size()));
  if (parameters.empty()) {
    parameters.resize(plan.tensors_size());
    loaded.assign(plan.tensors_size(), false);
  }
  if (!pes) {
    view = std::make_unique<PlanView>(plan);
    pes = std::make_unique<PeExecutor>(*view, options.perPeMath);
  }
  pes->reset();
  std::vector<Array> values(plan.tensors_size());
  std::vector<bool> ready(plan.tensors_size(), false);
  for (int i = 0; i < plan.inputs_size(); ++i) {
    const plan::Tensor &t = plan.tensors(plan.inputs(i));
    std::vector<int64_t> shape(t.shape().begin(), t.shape().end());
    if (inputs[i].shape != shape)
      return absl::InvalidArgumentError(
          absl::StrCat("input ", i, " ('", t.name(), "') has the wrong shape"));
    Array a = Array::zeros(t.element_type(), shape);
    for (int64_t e = 0; e < a.size(); ++e) {
      if (a.isFloat())
        a.floats[e] = static_cast<float>(inputs[i].get(e));
      else
        a.ints[e] = static_cast<int64_t>(inputs[i].get(e));
    }
    values[t.id()] = std::move(a);
    ready[t.id()] = true;
  }
  // Weights and constants load when a kernel first needs them: by then
  // (checkPlan) their stream tiles have arrived or they are resident.
  auto operand = [&](int64_t id) -> absl::StatusOr<const Array *> {
    if (ready[id])
      return &values[id];
    // A weight the store holds streams from it, as it is this step.
    if (options.store && plan.tensors(id).has_weight())
      if (const Array *stored =
              options.store->weight(plan.tensors(id).weight().name()))
        return stored;
    if (!loaded[id]) {
      absl::Status s = load(plan.tensors(id));
      if (!s.ok())
        return s;
    }
    return &parameters[id];
  };
  for (int64_t index = 0; index < plan.kernels_size(); ++index) {
    const plan::Kernel &k = plan.kernels(index);
    std::vector<const Array *> operands;
    for (int64_t id : k.operands()) {
      absl::StatusOr<const Array *> a = operand(id);
      if (!a.ok())
        return a.status();
      operands.push_back(*a);
    }
    std::vector<Array> results;
    // The last run's storage, cleared unless the kernel writes it all.
    const bool overwrites = writesEveryElement(k);
    for (int64_t id : k.results()) {
      const plan::Tensor &t = plan.tensors(id);
      std::vector<int64_t> shape(t.shape().begin(), t.shape().end());
      // Zeros as a fresh array would be, in the last run's storage when it
      // fits (no allocation, no page faults).
      if (id < static_cast<int64_t>(recycled.size()) &&
          recycled[id].type == t.element_type() &&
          recycled[id].shape == shape) {
        Array &reused = recycled[id];
        if (!overwrites) {
          std::fill(reused.floats.begin(), reused.floats.end(), 0.0f);
          std::fill(reused.ints.begin(), reused.ints.end(), 0);
        }
        results.push_back(std::move(reused));
      } else {
        results.push_back(Array::zeros(t.element_type(), std::move(shape)));
      }
    }
    absl::Status s = pes->run(index, operands, results);
    // What the plan lacks is named as it is; the kernel's own failures say
    // where they happened.
    if (absl::IsFailedPrecondition(s) || absl::IsResourceExhausted(s))
      return s;
    if (!s.ok())
      return absl::InternalError(absl::StrCat(
          k.op(), " in layer ",
          k.layer() >= 0 ? plan.layers(k.layer()).name() : "(constants)", ": ",
          std::string(s.message())));
    for (size_t r = 0; r < results.size(); ++r) {
      values[k.results(r)] = std::move(results[r]);
      ready[k.results(r)] = true;
    }
    if (options.progress)
      options.progress(index + 1, plan.kernels_size());
  }
  std::vector<Array> outputs;
  for (int64_t id : plan.outputs()) {
    absl::StatusOr<const Array *> a = operand(id);
    if (!a.ok())
      return a.status();
    outputs.push_back(**a);
  }
  recycled = std::move(values);
  return outputs;
}

Session::Session(const plan::Plan &plan, RunOptions options)
    : plan(plan), options(std::move(options)) {}

Session::~Session() = default;

const PeStats &Session::peStats() const {
  static const PeStats none;
  return pes ? pes->getStats() : none;
}

absl::StatusOr<std::unique_ptr<WeightStore>>
WeightStore::make(const plan::Plan &plan, const RunOptions *options,
                  Holds holds) {
  if (!plan.has_training() && holds == Holds::trained)
    return absl::FailedPreconditionError(
        "the plan is not a training step (compile it with --train)");
  std::unique_ptr<WeightStore> store(new WeightStore(plan));
  std::map<std::string, const plan::Tensor *> byName;
  for (const plan::Tensor &t : plan.tensors())
    if (t.has_weight())
      byName[t.weight().name()] = &t;
  // A weight's initial value from the plan's files, or zeros on a replica
  // (the broadcast fills it).
  auto initial = [&](const plan::Tensor &t) -> absl::StatusOr<Array> {
    if (options)
      return readWeight(plan, t, options->weightsDir);
    return Array::zeros(
        t.element_type(),
        std::vector<int64_t>(t.shape().begin(), t.shape().end()));
  };
  core::OptimizerSpec spec = plan::toOptimizerSpec(plan.training().optimizer());
  for (const plan::Gradient &g : plan.training().gradients()) {
    const plan::Tensor *t = byName.at(g.weight()); // checkPlan: it exists.
    if (t->element_type() != plan::F32)
      return absl::UnimplementedError(absl::StrCat(
          "weight '", g.weight(), "' is ",
          plan::ElementType_Name(t->element_type()),
          "; this wafer-run trains f32 weights (16-bit training is modeled "
          "in time only)"));
    absl::StatusOr<Array> value = initial(*t);
    if (!value.ok())
      return value.status();
    if (options)
      store->state[g.weight()].assign(
          static_cast<size_t>(core::stateSlots(spec)) * value->size(), 0.0f);
    store->master[g.weight()] = std::move(*value);
  }
  if (holds == Holds::everyWeight)
    for (const auto &[name, t] : byName)
      if (!store->master.count(name)) {
        absl::StatusOr<Array> value = initial(*t);
        if (!value.ok())
          return value.status();
        store->fixed[name] = std::move(*value);
      }
  return store;
}

absl::StatusOr<std::unique_ptr<WeightStore>>
WeightStore::open(const plan::Plan &plan, const RunOptions &options,
                  Holds holds) {
  return make(plan, &options, holds);
}

absl::StatusOr<std::unique_ptr<WeightStore>>
WeightStore::replica(const plan::Plan &plan, Holds holds) {
  return make(plan, nullptr, holds);
}

const Array *WeightStore::weight(const std::string &name) const {
  if (auto it = master.find(name); it != master.end())
    return &it->second;
  auto it = fixed.find(name);
  return it == fixed.end() ? nullptr : &it->second;
}

absl::Status WeightStore::update(const std::vector<Array> &outputs) {
  core::OptimizerSpec spec = plan::toOptimizerSpec(plan.training().optimizer());
  ++step;
  for (const plan::Gradient &g : plan.training().gradients()) {
    int index = plan::outputIndex(plan, g.tensor());
    if (index < 0 || index >= static_cast<int>(outputs.size()))
      return absl::InternalError(absl::StrCat("the gradient of '", g.weight(),
                                              "' did not leave the wafer"));
    const Array &gradient = outputs[index];
    Array &weight = master.at(g.weight());
    if (gradient.size() != weight.size() || !gradient.isFloat())
      return absl::InternalError(absl::StrCat("the gradient of '", g.weight(),
                                              "' has the wrong size"));
    // In fixed ranges over the pool: the elements are independent.
    int64_t count = weight.size();
    constexpr int64_t kRange = 1 << 16;
    float *values = weight.floats.data(), *slots = state.at(g.weight()).data();
    parallelFor((count + kRange - 1) / kRange, [&](int64_t item) {
      core::applyOptimizerStep(spec, step, count, values,
                               gradient.floats.data(), slots, item * kRange,
                               std::min(count, (item + 1) * kRange));
    });
  }
  return absl::OkStatus();
}

std::string WeightStore::packWeights() const {
  std::string bytes;
  for (const auto *weights : {&master, &fixed})
    for (const auto &[name, weight] : *weights)
      bytes.append(reinterpret_cast<const char *>(weight.floats.data()),
                   weight.floats.size() * sizeof(float));
  return bytes;
}

absl::Status WeightStore::unpackWeights(const std::string &bytes) {
  size_t at = 0;
  for (auto *weights : {&master, &fixed})
    for (auto &[name, weight] : *weights) {
      size_t size = weight.floats.size() * sizeof(float);
      if (at + size > bytes.size())
        return absl::InternalError("the weight broadcast is shorter than the "
                                   "store's weights");
      std::memcpy(weight.floats.data(), bytes.data() + at, size);
      at += size;
    }
  if (at != bytes.size())
    return absl::InternalError("the weight broadcast is longer than the "
                               "store's weights");
  return absl::OkStatus();
}

int64_t WeightStore::bytes() const {
  int64_t total = 0;
  for (const auto &[name, weight] : master)
    total +=
        4 *
        (weight.size() +
         (state.count(name) ? static_cast<int64_t>(state.at(name).size()) : 0));
  return total;
}

int64_t WeightStore::gradientBytes() const {
  int64_t total = 0;
  for (const auto &[name, weight] : master)
    total += 4 * weight.size();
  return total;
}

absl::StatusOr<std::vector<Array>> execute(const plan::Plan &plan,
                                           const std::vector<Array> &inputs,
                                           const RunOptions &options) {
  Session session(plan, options);
  return session.run(inputs);
}

} // namespace wafer::runtime
