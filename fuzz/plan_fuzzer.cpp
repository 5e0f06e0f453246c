//===- plan_fuzzer.cpp - libFuzzer target: the plan reader and checks -----===//
//
// Bytes -> plan (binary or JSON) -> checkPlan -> timing -> a run on zero
// inputs when the plan is small. Anything but a clean error is a bug.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <string>

#include "google/protobuf/util/json_util.h"
#include "wafer/Plan/Plan.h"
#include "wafer/Runtime/Runtime.h"

using namespace wafer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string bytes(reinterpret_cast<const char *>(data), size);
  plan::Plan p;
  bool parsed;
  if (!bytes.empty() && bytes[0] == '{')
    parsed = google::protobuf::util::JsonStringToMessage(bytes, &p).ok();
  else
    parsed = p.ParseFromString(bytes);
  if (!parsed || p.format_version() != plan::kFormatVersion)
    return 0;
  if (!runtime::checkPlan(p).ok())
    return 0;
  runtime::modelTiming(p);
  // Run only small plans, on zeros, with no weight files (weights give a
  // clean error).
  int64_t elements = 0;
  for (const plan::Tensor &t : p.tensors()) {
    int64_t n = 1;
    for (int64_t d : t.shape())
      n *= d;
    elements += n;
  }
  if (elements > (1 << 20))
    return 0;
  std::vector<runtime::Array> inputs;
  for (int64_t id : p.inputs()) {
    const plan::Tensor &t = p.tensors(id);
    inputs.push_back(runtime::Array::zeros(
        t.element_type(), std::vector<int64_t>(t.shape().begin(), t.shape().end())));
  }
  runtime::RunOptions options;
  options.weightsDir = "/nonexistent";
  (void)runtime::execute(p, inputs, options);
  return 0;
}
