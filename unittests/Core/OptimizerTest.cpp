//===- OptimizerTest.cpp - optimizer specs and updates --------------------===//

#include "wafer/Core/Optimizer.h"

#include <cmath>

#include "gtest/gtest.h"

using namespace wafer::core;

namespace {

TEST(OptimizerSpec, PyTorchDefaultsForKeysLeftOut) {
  OptimizerSpec spec;
  ASSERT_EQ(parseOptimizerSpec("adamw", spec), "");
  EXPECT_EQ(spec.kind, OptimizerKind::adamw);
  EXPECT_EQ(spec.lr, 1e-3);
  EXPECT_EQ(spec.weightDecay, 1e-2);
  EXPECT_EQ(spec.beta1, 0.9);
  EXPECT_EQ(spec.beta2, 0.999);
  EXPECT_EQ(spec.eps, 1e-8);
  ASSERT_EQ(parseOptimizerSpec("adam:lr=0.5", spec), "");
  EXPECT_EQ(spec.weightDecay, 0);
  EXPECT_EQ(spec.lr, 0.5);
  ASSERT_EQ(parseOptimizerSpec("sgd:lr=0.1,momentum=0.9,nesterov=true", spec),
            "");
  EXPECT_TRUE(spec.nesterov);
  EXPECT_EQ(stateSlots(spec), 1);
}

TEST(OptimizerSpec, ErrorsNameTheKeyAndTheRange) {
  OptimizerSpec spec;
  EXPECT_EQ(parseOptimizerSpec("sgd:momentum=0.9", spec),
            "--optimizer sgd needs lr (PyTorch's SGD has no default)");
  EXPECT_EQ(parseOptimizerSpec("adam:lr=1,lr=2", spec),
            "--optimizer adam: 'lr' is given twice");
  EXPECT_EQ(parseOptimizerSpec("adam:eps=0", spec),
            "--optimizer adam: eps = 0 is out of range (eps > 0)");
  EXPECT_EQ(parseOptimizerSpec("adam:lr=abc", spec),
            "--optimizer adam: lr takes a number, not 'abc'");
  EXPECT_EQ(parseOptimizerSpec("adam:lr=nan", spec),
            "--optimizer adam: lr takes a number, not 'nan'");
  EXPECT_EQ(parseOptimizerSpec("sgd:lr=1,nesterov=true", spec),
            "--optimizer sgd: nesterov needs momentum > 0 and dampening 0");
  EXPECT_EQ(parseOptimizerSpec("adam:momentum=0.9", spec),
            "--optimizer adam: unknown key 'momentum'; it takes lr, beta1, "
            "beta2, eps, weight_decay");
}

TEST(OptimizerSpec, FormatParsesBack) {
  for (const char *text : {"sgd:lr=0.1,momentum=0.9,weight_decay=0.01",
                           "adam:lr=0.01,beta1=0.8", "adamw:eps=1e-06"}) {
    OptimizerSpec spec, again;
    ASSERT_EQ(parseOptimizerSpec(text, spec), "") << text;
    ASSERT_EQ(parseOptimizerSpec(formatOptimizerSpec(spec), again), "")
        << formatOptimizerSpec(spec);
    EXPECT_EQ(formatOptimizerSpec(again), formatOptimizerSpec(spec));
  }
}

TEST(OptimizerStep, SgdWithMomentumTakesTheGradientFirst) {
  // torch.optim.SGD: the buffer starts as the first gradient, then
  // momentum * buffer + gradient; weight decay adds decay * weight.
  OptimizerSpec spec;
  ASSERT_EQ(parseOptimizerSpec("sgd:lr=0.5,momentum=0.5,weight_decay=0.25",
                               spec),
            "");
  float weight = 2.0f, gradient = 1.0f, buffer = 0.0f;
  applyOptimizerStep(spec, 1, 1, &weight, &gradient, &buffer, 0, 1);
  // g = 1 + 0.25 * 2 = 1.5; buffer = 1.5; w = 2 - 0.75.
  EXPECT_FLOAT_EQ(buffer, 1.5f);
  EXPECT_FLOAT_EQ(weight, 1.25f);
  applyOptimizerStep(spec, 2, 1, &weight, &gradient, &buffer, 0, 1);
  // g = 1 + 0.3125; buffer = 0.75 + 1.3125; w = 1.25 - 1.03125.
  EXPECT_FLOAT_EQ(buffer, 2.0625f);
  EXPECT_FLOAT_EQ(weight, 0.21875f);
}

TEST(OptimizerStep, AdamFirstStepMovesByTheLearningRate) {
  // With bias correction, Adam's first step is lr * g / (|g| + eps').
  OptimizerSpec spec;
  ASSERT_EQ(parseOptimizerSpec("adam:lr=0.1", spec), "");
  float weights[2] = {1.0f, 1.0f}, gradients[2] = {3.0f, -0.5f};
  float state[4] = {};
  applyOptimizerStep(spec, 1, 2, weights, gradients, state, 0, 2);
  EXPECT_NEAR(weights[0], 0.9f, 1e-6);
  EXPECT_NEAR(weights[1], 1.1f, 1e-6);
}

TEST(OptimizerStep, AdamWDecaysTheWeightApartFromTheGradient) {
  OptimizerSpec spec;
  ASSERT_EQ(parseOptimizerSpec("adamw:lr=0.1,weight_decay=0.5", spec), "");
  float weight = 2.0f, gradient = 0.0f, state[2] = {};
  applyOptimizerStep(spec, 1, 1, &weight, &gradient, state, 0, 1);
  // A zero gradient moves nothing but the decay: w * (1 - 0.1 * 0.5).
  EXPECT_FLOAT_EQ(weight, 1.9f);
}

} // namespace
