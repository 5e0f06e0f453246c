//===- TargetDescTest.cpp - target presets and spec parsing ---------------===//

#include "wafer/Target/TargetDesc.h"

#include "gtest/gtest.h"

using namespace wafer;

TEST(TargetDesc, PresetsAreValid) {
  for (const std::string &name : targetPresetNames()) {
    absl::StatusOr<TargetDesc> desc = getTargetPreset(name);
    ASSERT_TRUE(desc.ok()) << desc.status();
    EXPECT_EQ(desc->validate(), "") << name;
    EXPECT_EQ(desc->name, name);
  }
}

TEST(TargetDesc, Wse3MatchesTheSdkFabric) {
  absl::StatusOr<TargetDesc> desc = getTargetPreset("wse3");
  ASSERT_TRUE(desc.ok());
  EXPECT_EQ(desc->cols, 762);
  EXPECT_EQ(desc->rows, 1172);
  EXPECT_EQ(desc->usable.area(), 755 * 1170);
  EXPECT_EQ(desc->usableSramBytes(), 42 * 1024);
  EXPECT_EQ(desc->routableColors(), 18);
}

TEST(TargetDesc, OverridingTheGridMakesItAllUsable) {
  absl::StatusOr<TargetDesc> desc = parseTargetSpec("wse3:rows=16,cols=8");
  ASSERT_TRUE(desc.ok()) << desc.status();
  EXPECT_EQ(desc->rows, 16);
  EXPECT_EQ(desc->cols, 8);
  EXPECT_EQ(desc->usable, (Rect{0, 0, 8, 16}));
  EXPECT_EQ(desc->fp16FlopsPerCycle, 16);
}

TEST(TargetDesc, ExplicitUsableRectangleIsKept) {
  absl::StatusOr<TargetDesc> desc = parseTargetSpec(
      "wse2:rows=10,cols=10,usable_x=1,usable_y=2,usable_width=5,"
      "usable_height=6");
  ASSERT_TRUE(desc.ok()) << desc.status();
  EXPECT_EQ(desc->usable, (Rect{1, 2, 5, 6}));
}

TEST(TargetDesc, ScientificNotationForRates) {
  absl::StatusOr<TargetDesc> desc =
      parseTargetSpec("wse3:weight_memory_bytes_per_second=2.5e11");
  ASSERT_TRUE(desc.ok()) << desc.status();
  EXPECT_EQ(desc->weightMemoryBytesPerSecond, 250'000'000'000);
}

TEST(TargetDesc, ErrorsNameTheProblem) {
  auto message = [](std::string_view spec) {
    absl::StatusOr<TargetDesc> desc = parseTargetSpec(spec);
    EXPECT_FALSE(desc.ok()) << spec;
    return std::string(desc.status().message());
  };
  EXPECT_NE(message("wse9").find("unknown target 'wse9'"), std::string::npos);
  EXPECT_NE(message("wse3:rowz=4").find("unknown target key 'rowz'"),
            std::string::npos);
  EXPECT_NE(message("wse3:rows=four").find("needs an integer value"),
            std::string::npos);
  EXPECT_NE(message("wse3:sram_reserve_bytes=60000")
                .find("sram_reserve_bytes must be in [0, 49152)"),
            std::string::npos);
  EXPECT_NE(message("wse3:usable_width=9999").find("does not fit"),
            std::string::npos);
  EXPECT_NE(message("wse3:rows=0").find("rows must be positive"),
            std::string::npos);
}

TEST(TargetDesc, TargetsNoWaferHasAreRefusedWithTheLimit) {
  auto message = [](const char *spec) {
    absl::StatusOr<TargetDesc> desc = parseTargetSpec(spec);
    EXPECT_FALSE(desc.ok()) << spec;
    return std::string(desc.status().message());
  };
  EXPECT_NE(message("wse3:rows=99999999999")
                .find("rows must be at most 16384, found 99999999999"),
            std::string::npos);
  EXPECT_NE(message("wse3:cols=16385").find("cols must be at most 16384"),
            std::string::npos);
  EXPECT_NE(message("wse3:sram_bytes=1e12").find("sram_bytes must be at most"),
            std::string::npos);
  EXPECT_NE(message("wse3:clock_mhz=-5").find("clock_mhz must be positive"),
            std::string::npos);
  EXPECT_NE(message("wse3:colors=100000").find("colors must be at most 1024"),
            std::string::npos);
  EXPECT_TRUE(parseTargetSpec("wse3:rows=16384,cols=16384").ok());
}

TEST(Rect, ContainsAndOverlaps) {
  Rect a{0, 0, 4, 4}, b{2, 2, 2, 2}, c{4, 0, 1, 1};
  EXPECT_TRUE(a.contains(b));
  EXPECT_FALSE(b.contains(a));
  EXPECT_TRUE(a.overlaps(b));
  EXPECT_FALSE(a.overlaps(c)); // Touching edges share no PE.
}
