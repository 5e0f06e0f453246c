//===- DataFile.h - what a reference to file bytes may name -----*- C++ -*-===//
//
// Weights are held by reference (a file, an offset, a length) from the ONNX
// model to the plan. Whoever follows such a reference — the importer for a
// model's external data, wafer-run for a plan's weights — keeps to the same
// rule: a location relative to its folder, no "..", no symbolic link, a
// regular file that stays inside the folder once resolved, and the bytes
// within the file. MLIR-free.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_SUPPORT_DATAFILE_H
#define WAFER_SUPPORT_DATAFILE_H

#include <cstdint>
#include <string>

namespace wafer {

/// Checks the reference to `length` bytes at `offset` of `location` inside
/// `folder` (`data` names the bytes in messages, `folderName` the folder).
/// Returns the file's path, or sets `error` to a phrase that follows the
/// referrer's name ("has external data in 'link.bin', which is a symbolic
/// link; links are refused"). Never reads the data.
std::string checkDataFile(const std::string &folder,
                          const std::string &location, int64_t offset,
                          int64_t length, const std::string &data,
                          const std::string &folderName, std::string &error);

} // namespace wafer

#endif // WAFER_SUPPORT_DATAFILE_H
