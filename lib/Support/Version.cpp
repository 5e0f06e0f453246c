//===- Version.cpp - the version every wafer tool reports -----------------===//

#include "wafer/Support/Version.h"

const char *wafer::version() { return WAFER_VERSION_STRING; }
