//===- InitAll.cpp - register wafer's dialects and passes -----------------===//

#include "wafer/InitAll.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "wafer/Dialect/Wafer/Passes.h"
#include "wafer/Dialect/Wafer/WaferDialect.h"

void wafer::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<WaferDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::tensor::TensorDialect>();
}

void wafer::registerAllPasses() { registerWaferPasses(); }
