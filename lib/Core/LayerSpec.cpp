//===- LayerSpec.cpp - what the cost model knows of a layer ---------------===//

#include "wafer/Core/LayerSpec.h"

namespace wafer::core {

const char *layerKindName(LayerKind kind) {
  switch (kind) {
  case LayerKind::embedding:
    return "embedding";
  case LayerKind::linear:
    return "linear";
  case LayerKind::attention:
    return "attention";
  case LayerKind::other:
    return "other";
  }
  return "unknown";
}

} // namespace wafer::core
