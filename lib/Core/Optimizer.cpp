//===- Optimizer.cpp - what an optimizer step does to a weight ------------===//

#include "wafer/Core/Optimizer.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>
#include <vector>

namespace wafer::core {

const char *optimizerKindName(OptimizerKind kind) {
  switch (kind) {
  case OptimizerKind::sgd:
    return "sgd";
  case OptimizerKind::adam:
    return "adam";
  case OptimizerKind::adamw:
    return "adamw";
  }
  return "sgd";
}

std::string parseOptimizerSpec(const std::string &text, OptimizerSpec &spec) {
  size_t colon = text.find(':');
  std::string kind = text.substr(0, colon);
  spec = OptimizerSpec();
  std::vector<std::string> keys;
  if (kind == "sgd") {
    spec.kind = OptimizerKind::sgd;
    keys = {"lr", "momentum", "dampening", "nesterov", "weight_decay"};
  } else if (kind == "adam" || kind == "adamw") {
    spec.kind = kind == "adam" ? OptimizerKind::adam : OptimizerKind::adamw;
    spec.lr = 1e-3;
    spec.weightDecay = kind == "adamw" ? 1e-2 : 0;
    keys = {"lr", "beta1", "beta2", "eps", "weight_decay"};
  } else {
    return "--optimizer: unknown optimizer '" + kind +
           "'; expected sgd, adam or adamw (as in 'adam:lr=1e-3')";
  }
  std::map<std::string, double *> values = {{"lr", &spec.lr},
                                            {"momentum", &spec.momentum},
                                            {"dampening", &spec.dampening},
                                            {"weight_decay", &spec.weightDecay},
                                            {"beta1", &spec.beta1},
                                            {"beta2", &spec.beta2},
                                            {"eps", &spec.eps}};
  std::map<std::string, bool> given;
  std::string rest = colon == std::string::npos ? "" : text.substr(colon + 1);
  std::stringstream items(rest);
  std::string item;
  while (std::getline(items, item, ',')) {
    size_t eq = item.find('=');
    std::string key = item.substr(0, eq);
    std::string accepted;
    for (const std::string &k : keys)
      accepted += (accepted.empty() ? "" : ", ") + k;
    if (eq == std::string::npos ||
        std::find(keys.begin(), keys.end(), key) == keys.end())
      return "--optimizer " + kind + ": unknown key '" + key + "'; it takes " +
             accepted;
    if (given[key])
      return "--optimizer " + kind + ": '" + key + "' is given twice";
    given[key] = true;
    std::string value = item.substr(eq + 1);
    if (key == "nesterov") {
      if (value != "true" && value != "false")
        return "--optimizer sgd: nesterov is true or false, not '" + value +
               "'";
      spec.nesterov = value == "true";
      continue;
    }
    char *end = nullptr;
    double number = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !std::isfinite(number))
      return "--optimizer " + kind + ": " + key + " takes a number, not '" +
             value + "'";
    bool fraction = key == "momentum" || key == "dampening" || key == "beta1" ||
                    key == "beta2";
    if (number < 0 || (fraction && number >= 1) ||
        (key == "lr" && number == 0) || (key == "eps" && number == 0))
      return "--optimizer " + kind + ": " + key + " = " + value +
             " is out of range (" +
             (fraction                      ? "0 <= " + key + " < 1"
              : key == "lr" || key == "eps" ? key + " > 0"
                                            : key + " >= 0") +
             ")";
    *values[key] = number;
  }
  if (spec.kind == OptimizerKind::sgd && !given["lr"])
    return "--optimizer sgd needs lr (PyTorch's SGD has no default)";
  if (spec.nesterov && (spec.momentum <= 0 || spec.dampening != 0))
    return "--optimizer sgd: nesterov needs momentum > 0 and dampening 0";
  return "";
}

std::string formatOptimizerSpec(const OptimizerSpec &spec) {
  std::ostringstream out;
  out.precision(9);
  out << optimizerKindName(spec.kind) << ":lr=" << spec.lr;
  if (spec.kind == OptimizerKind::sgd)
    out << ",momentum=" << spec.momentum << ",dampening=" << spec.dampening
        << ",nesterov=" << (spec.nesterov ? "true" : "false");
  else
    out << ",beta1=" << spec.beta1 << ",beta2=" << spec.beta2
        << ",eps=" << spec.eps;
  out << ",weight_decay=" << spec.weightDecay;
  return out.str();
}

int stateSlots(const OptimizerSpec &spec) {
  if (spec.kind == OptimizerKind::sgd)
    return spec.momentum != 0 ? 1 : 0;
  return 2;
}

namespace {

/// Adam's (AdamW's) update of [first, last), the options fixed so that the
/// loop has no branch and vectorises: the same fp32 operations in the same
/// order for every element.
template <bool DecoupledDecay, bool Decay>
void adamRange(float *weight, const float *gradient, float *average,
               float *squares, int64_t first, int64_t last, float decay,
               float shrink, float beta1, float beta2, float rest1, float rest2,
               float correction2Sqrt, float eps, float stepSize) {
  for (int64_t i = first; i < last; ++i) {
    float g = gradient[i];
    if constexpr (DecoupledDecay)
      weight[i] = weight[i] * shrink;
    if constexpr (Decay)
      g = g + decay * weight[i];
    average[i] = average[i] * beta1 + rest1 * g;
    squares[i] = squares[i] * beta2 + rest2 * g * g;
    float denominator = std::sqrt(squares[i]) / correction2Sqrt + eps;
    // addcdiv: weight + (value * average) / denominator.
    weight[i] = weight[i] + (-stepSize * average[i]) / denominator;
  }
}

} // namespace

void applyOptimizerStep(const OptimizerSpec &spec, int64_t step, int64_t count,
                        float *weight, const float *gradient, float *state,
                        int64_t first, int64_t last) {
  // PyTorch passes Python floats to fp32 kernels: each scalar is rounded to
  // fp32 once and the arithmetic is fp32, in torch.optim's order.
  const float lr = static_cast<float>(spec.lr);
  const float decay = static_cast<float>(spec.weightDecay);
  if (spec.kind == OptimizerKind::sgd) {
    const float momentum = static_cast<float>(spec.momentum);
    const float keep = static_cast<float>(1.0 - spec.dampening);
    for (int64_t i = first; i < last; ++i) {
      float g = gradient[i];
      if (decay != 0)
        g = g + decay * weight[i];
      if (momentum != 0) {
        float &buffer = state[i];
        buffer = step == 1 ? g : momentum * buffer + keep * g;
        g = spec.nesterov ? g + momentum * buffer : buffer;
      }
      weight[i] = weight[i] - lr * g;
    }
    return;
  }
  float *average = state, *squares = state + count;
  const float beta1 = static_cast<float>(spec.beta1);
  const float beta2 = static_cast<float>(spec.beta2);
  const float rest1 = static_cast<float>(1.0 - spec.beta1);
  const float rest2 = static_cast<float>(1.0 - spec.beta2);
  const float eps = static_cast<float>(spec.eps);
  const double correction1 = 1.0 - std::pow(spec.beta1, double(step));
  const double correction2 = 1.0 - std::pow(spec.beta2, double(step));
  const float stepSize = static_cast<float>(spec.lr / correction1);
  const float correction2Sqrt = static_cast<float>(std::sqrt(correction2));
  const float shrink = static_cast<float>(1.0 - spec.lr * spec.weightDecay);
  auto run = [&](auto update) {
    update(weight, gradient, average, squares, first, last, decay, shrink,
           beta1, beta2, rest1, rest2, correction2Sqrt, eps, stepSize);
  };
  if (spec.kind == OptimizerKind::adamw)
    run(adamRange<true, false>);
  else if (decay != 0)
    run(adamRange<false, true>);
  else
    run(adamRange<false, false>);
}

} // namespace wafer::core
