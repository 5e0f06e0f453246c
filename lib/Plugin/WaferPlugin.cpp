//===- WaferPlugin.cpp - wafer as a plugin of upstream mlir-opt -----------===//
//
// Loaded by an mlir-opt of the same LLVM (Debian's mlir-opt-22 links
// libMLIR.so, as this plugin does):
//
//   mlir-opt --load-dialect-plugin=WaferPlugin.so \
//            --load-pass-plugin=WaferPlugin.so in.mlir \
//            --pass-pipeline='builtin.module(wafer-compile-pipeline{...})'
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "wafer/InitAll.h"
#include "wafer/Support/Version.h"

extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "Wafer", wafer::version(),
          [](mlir::DialectRegistry *registry) {
            wafer::registerAllDialects(*registry);
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "Wafer", wafer::version(),
          []() { wafer::registerAllPasses(); }};
}
