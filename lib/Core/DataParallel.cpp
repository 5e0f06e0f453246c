//===- DataParallel.cpp - a step's batch over micro-batches and wafers ----===//

#include "wafer/Core/DataParallel.h"

#include <algorithm>
#include <string>

namespace wafer::core {

int64_t BatchSplit::mostParts() const {
  int64_t most = 0;
  for (int64_t parts : waferParts)
    most = std::max(most, parts);
  return most;
}

int64_t BatchSplit::firstPart(int64_t wafer) const {
  int64_t first = 0;
  for (int64_t w = 0; w < wafer; ++w)
    first += waferParts[w];
  return first;
}

std::string splitBatch(int64_t batch, int64_t wafers, int64_t microBatches,
                       BatchSplit &split) {
  if (batch < 1)
    return "the model's batch (axis 0 of its inputs) is " +
           std::to_string(batch) + "; it must be at least 1 to be split";
  if (wafers < 1 || microBatches < 1)
    return "wafers and micro-batches must be at least 1";
  if (wafers * microBatches > batch)
    return "a batch of " + std::to_string(batch) + " rows cannot give " +
           std::to_string(wafers) + " wafer(s) " +
           std::to_string(microBatches) + " micro-batch(es) each: that needs " +
           std::to_string(wafers * microBatches) + " rows or more";
  int64_t rows = batch / (wafers * microBatches);
  while (batch % rows != 0)
    --rows;
  split.batch = batch;
  split.partRows = rows;
  int64_t parts = batch / rows;
  split.waferParts.assign(wafers, parts / wafers);
  for (int64_t w = 0; w < parts % wafers; ++w)
    ++split.waferParts[w];
  return "";
}

std::string checkBatchSplit(const BatchSplit &split) {
  if (split.batch < 1 || split.partRows < 1 || split.batch % split.partRows)
    return "a batch of " + std::to_string(split.batch) +
           " rows does not cut into parts of " +
           std::to_string(split.partRows) + " rows";
  if (split.waferParts.empty())
    return "the batch is shared out over no wafer";
  int64_t total = 0;
  for (size_t w = 0; w < split.waferParts.size(); ++w) {
    if (split.waferParts[w] < 1 || split.waferParts[w] > split.parts())
      return "wafer " + std::to_string(w) + " runs " +
             std::to_string(split.waferParts[w]) +
             " parts; from 1 to the step's " + std::to_string(split.parts()) +
             " are taken";
    total += split.waferParts[w];
  }
  if (total != split.parts())
    return "the wafers run " + std::to_string(total) +
           " parts, but the batch has " + std::to_string(split.parts());
  return "";
}

int64_t treeLevels(int64_t wafers) {
  int64_t levels = 0;
  while ((int64_t{1} << levels) < wafers)
    ++levels;
  return levels;
}

std::vector<ReduceStep> reductionTree(int64_t wafers) {
  std::vector<ReduceStep> steps;
  for (int64_t stride = 1; stride < wafers; stride *= 2)
    for (int64_t w = 0; w + stride < wafers; w += 2 * stride)
      steps.push_back({w, w + stride});
  return steps;
}

std::string checkReduction(int64_t wafers,
                           const std::vector<ReduceStep> &steps) {
  std::vector<bool> sent(wafers, false);
  for (size_t i = 0; i < steps.size(); ++i) {
    const ReduceStep &s = steps[i];
    std::string where = "reduction step " + std::to_string(i) + " (wafer " +
                        std::to_string(s.from) + " into wafer " +
                        std::to_string(s.into) + ")";
    if (s.into < 0 || s.into >= wafers || s.from < 0 || s.from >= wafers ||
        s.into == s.from)
      return where + " names wafers outside 0.." +
             std::to_string(wafers - 1) + " or one wafer twice";
    if (sent[s.from])
      return where + ": wafer " + std::to_string(s.from) +
             " has already sent its sums";
    if (sent[s.into])
      return where + ": wafer " + std::to_string(s.into) +
             " has already sent its sums and would lose these";
    sent[s.from] = true;
  }
  for (int64_t w = 1; w < wafers; ++w)
    if (!sent[w])
      return "the reduction never adds wafer " + std::to_string(w) +
             "'s sums";
  if (wafers > 0 && sent[0])
    return "the reduction sends wafer 0's sums away from the weight store";
  return "";
}

double updateBubbleSeconds(int64_t streamBytes, int64_t bytesPerSecond) {
  if (bytesPerSecond <= 0)
    return 0;
  return static_cast<double>(streamBytes) /
         static_cast<double>(bytesPerSecond);
}

double stepSeconds(const BatchSplit &split, double partSeconds,
                   const StepOverhead &overhead) {
  double tree = split.wafers() > 1 ? 2.0 * treeLevels(split.wafers()) *
                                         overhead.fabricLevelSeconds
                                   : 0.0;
  return static_cast<double>(split.mostParts()) * partSeconds + tree +
         overhead.bubbleSeconds;
}

} // namespace wafer::core
