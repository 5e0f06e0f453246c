//===- DataParallel.cpp - a step over its parts and wafers ----------------===//
//
// The emulator's side of data parallelism: the plan says how the batch is
// cut into parts, which wafer runs which, and the order in which the
// wafers' sums are added; runStep obeys it, on one process or on the ranks
// of an MPI job (through a Fabric), with the same bits either way.
//
//===----------------------------------------------------------------------===//

#include <cstring>

#include "absl/strings/str_cat.h"
#include "wafer/Runtime/Runtime.h"

namespace wafer::runtime {

Fabric::~Fabric() = default;

absl::Status LocalFabric::send(int to, const std::string &) {
  return absl::InternalError(
      absl::StrCat("one process has no rank ", to, " to send to"));
}

absl::Status LocalFabric::receive(int from, std::string &) {
  return absl::InternalError(
      absl::StrCat("one process has no rank ", from, " to receive from"));
}

absl::Status LocalFabric::gather(const std::string &mine,
                                 std::vector<std::string> &all) {
  all = {mine};
  return absl::OkStatus();
}

absl::Status checkRanks(const plan::Plan &plan, int ranks) {
  int64_t wafers = plan::toBatchSplit(plan).wafers();
  if (ranks < 1 || wafers % ranks != 0)
    return absl::InvalidArgumentError(absl::StrCat(
        "the plan runs on ", wafers, " wafer(s); ", ranks,
        " processes cannot share them out evenly (use a process count that "
        "divides ",
        wafers, ")"));
  return absl::OkStatus();
}

namespace {

void appendArray(std::string &bytes, const Array &a) {
  if (a.isFloat())
    bytes.append(reinterpret_cast<const char *>(a.floats.data()),
                 a.floats.size() * sizeof(float));
  else
    bytes.append(reinterpret_cast<const char *>(a.ints.data()),
                 a.ints.size() * sizeof(int64_t));
}

/// Reads into `a` (its type and shape already set) from `bytes` at `at`.
absl::Status readArray(const std::string &bytes, size_t &at, Array &a) {
  size_t size = a.isFloat() ? a.floats.size() * sizeof(float)
                            : a.ints.size() * sizeof(int64_t);
  if (at + size > bytes.size())
    return absl::InternalError("a wafer's message is shorter than the plan "
                               "says");
  std::memcpy(a.isFloat() ? static_cast<void *>(a.floats.data())
                          : static_cast<void *>(a.ints.data()),
              bytes.data() + at, size);
  at += size;
  return absl::OkStatus();
}

void addInto(Array &sum, const Array &part) {
  if (sum.isFloat())
    for (size_t i = 0; i < sum.floats.size(); ++i)
      sum.floats[i] += part.floats[i];
  else
    for (size_t i = 0; i < sum.ints.size(); ++i)
      sum.ints[i] += part.ints[i];
}

Array rowsOf(const Array &whole, int64_t first, int64_t rows) {
  std::vector<int64_t> shape = whole.shape;
  int64_t perRow = shape.empty() || shape[0] == 0 ? 0 : whole.size() / shape[0];
  shape[0] = rows;
  Array part = Array::zeros(whole.type, shape);
  if (whole.isFloat())
    std::copy_n(whole.floats.begin() + first * perRow, rows * perRow,
                part.floats.begin());
  else
    std::copy_n(whole.ints.begin() + first * perRow, rows * perRow,
                part.ints.begin());
  return part;
}

} // namespace

absl::StatusOr<std::vector<Array>> runStep(const plan::Plan &plan,
                                           Session &session,
                                           const std::vector<Array> &batch,
                                           Fabric &fabric) {
  core::BatchSplit split = plan::toBatchSplit(plan);
  if (absl::Status s = checkRanks(plan, fabric.size()); !s.ok())
    return s;
  int64_t wafers = split.wafers();
  int64_t perRank = wafers / fabric.size();
  auto rankOf = [&](int64_t wafer) {
    return static_cast<int>(wafer / perRank);
  };
  int64_t firstWafer = fabric.rank() * perRank;

  for (size_t i = 0; i < batch.size(); ++i)
    if (batch[i].shape.empty() || batch[i].shape[0] != split.batch)
      return absl::InvalidArgumentError(absl::StrCat(
          "input ", i, " has ",
          batch[i].shape.empty() ? int64_t{0} : batch[i].shape[0],
          " rows on axis 0; the plan's step takes a batch of ", split.batch));

  int outputs = plan.outputs_size();
  auto combines = [&](int i) {
    return plan::outputCombine(plan, i) != plan::CONCAT;
  };
  // Output i's place among the outputs that keep their rows.
  auto rowIndex = [&](int i) {
    int index = 0;
    for (int j = 0; j < i; ++j)
      index += !combines(j);
    return index;
  };
  // Per wafer of this rank: its sums of the outputs that combine; per part
  // of this rank, in order: the outputs that keep their rows.
  std::map<int64_t, std::vector<Array>> sums;
  // This rank's parts' row outputs, in part order: kept as they are on
  // rank 0, which assembles them, and sent as bytes from every other rank.
  std::vector<std::vector<Array>> localRows;
  std::string rows;
  // Each output's type and one part's shape.
  std::vector<Array> shapes(outputs);
  std::vector<bool> known(outputs, false);
  for (int64_t w = firstWafer; w < firstWafer + perRank; ++w) {
    std::vector<Array> &sum = sums[w];
    for (int64_t p = split.firstPart(w);
         p < split.firstPart(w) + split.waferParts[w]; ++p) {
      std::vector<Array> inputs;
      for (const Array &whole : batch)
        inputs.push_back(rowsOf(whole, p * split.partRows, split.partRows));
      absl::StatusOr<std::vector<Array>> out = session.run(inputs);
      if (!out.ok())
        return out.status();
      if (static_cast<int>(out->size()) != outputs)
        return absl::InternalError("a part's run returned the wrong outputs");
      bool first = sum.empty();
      if (first)
        sum.resize(outputs);
      // Each ratio's denominator, before the outputs move.
      std::vector<float> weights(outputs, 1.0f);
      for (int i = 0; i < outputs; ++i)
        if (plan::outputCombine(plan, i) == plan::RATIO)
          weights[i] = (*out)[plan.data_parallel().combine_weight(i)].floats[0];
      std::vector<Array> &partRows = localRows.emplace_back();
      for (int i = 0; i < outputs; ++i) {
        if (!known[i]) {
          shapes[i] = Array{(*out)[i].type, (*out)[i].shape, {}, {}};
          known[i] = true;
        }
        if (!combines(i)) {
          if (fabric.rank() == 0)
            partRows.push_back(std::move((*out)[i]));
          else
            appendArray(rows, (*out)[i]);
          continue;
        }
        // A ratio counts with its part's denominator.
        Array term = std::move((*out)[i]);
        if (plan::outputCombine(plan, i) == plan::RATIO)
          for (float &v : term.floats)
            v *= weights[i];
        if (first)
          sum[i] = std::move(term);
        else
          addInto(sum[i], term); // In part order: the same bits.
      }
    }
  }

  // The wafers' sums, added in the plan's order.
  for (const core::ReduceStep &step : plan::toReduction(plan)) {
    int into = rankOf(step.into), from = rankOf(step.from);
    if (into == fabric.rank() && from == fabric.rank()) {
      for (int i = 0; i < outputs; ++i)
        if (combines(i))
          addInto(sums[step.into][i], sums[step.from][i]);
    } else if (from == fabric.rank()) {
      std::string bytes;
      for (int i = 0; i < outputs; ++i)
        if (combines(i))
          appendArray(bytes, sums[step.from][i]);
      if (absl::Status s = fabric.send(into, bytes); !s.ok())
        return s;
      sums.erase(step.from);
    } else if (into == fabric.rank()) {
      std::string bytes;
      if (absl::Status s = fabric.receive(from, bytes); !s.ok())
        return s;
      size_t at = 0;
      for (int i = 0; i < outputs; ++i)
        if (combines(i)) {
          Array incoming = sums[step.into][i];
          if (absl::Status s = readArray(bytes, at, incoming); !s.ok())
            return s;
          addInto(sums[step.into][i], incoming);
        }
    }
  }

  // The row outputs of every part, on rank 0 in part order.
  std::vector<std::string> allRows;
  if (absl::Status s = fabric.gather(rows, allRows); !s.ok())
    return s;
  if (fabric.rank() != 0)
    return std::vector<Array>{};
  std::vector<Array> result(outputs);
  for (int i = 0; i < outputs; ++i) {
    if (combines(i)) {
      result[i] = sums[0][i];
      if (plan::outputCombine(plan, i) == plan::MEAN && split.parts() > 1) {
        const float scale = 1.0f / static_cast<float>(split.parts());
        for (float &v : result[i].floats)
          v *= scale;
      }
      if (plan::outputCombine(plan, i) == plan::RATIO) {
        float total = sums[0][plan.data_parallel().combine_weight(i)].floats[0];
        for (float &v : result[i].floats)
          v /= total;
      }
      continue;
    }
    if (split.parts() == 1) {
      // One part, this rank's: its rows are the output.
      result[i] = std::move(localRows[0][rowIndex(i)]);
      continue;
    }
    std::vector<int64_t> shape = shapes[i].shape;
    if (!shape.empty())
      shape[0] *= split.parts();
    result[i] = Array::zeros(shapes[i].type, shape);
  }
  if (split.parts() == 1)
    return result;
  // Rank 0's parts come first, then each other rank's message: its parts
  // one after another, each part's row outputs in output order.
  int64_t part = 0;
  auto place = [&](int i, const Array &piece) {
    Array &whole = result[i];
    if (whole.isFloat())
      std::copy(piece.floats.begin(), piece.floats.end(),
                whole.floats.begin() + part * piece.floats.size());
    else
      std::copy(piece.ints.begin(), piece.ints.end(),
                whole.ints.begin() + part * piece.ints.size());
  };
  for (const std::vector<Array> &own : localRows) {
    for (int i = 0; i < outputs; ++i)
      if (!combines(i))
        place(i, own[rowIndex(i)]);
    ++part;
  }
  for (size_t r = 1; r < allRows.size(); ++r) {
    const std::string &bytes = allRows[r];
    size_t at = 0;
    while (at < bytes.size()) {
      for (int i = 0; i < outputs; ++i) {
        if (combines(i))
          continue;
        Array piece = Array::zeros(shapes[i].type, shapes[i].shape);
        if (absl::Status s = readArray(bytes, at, piece); !s.ok())
          return s;
        place(i, piece);
      }
      ++part;
    }
  }
  return result;
}

} // namespace wafer::runtime
