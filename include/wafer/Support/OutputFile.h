//===- OutputFile.h - how every tool writes a file ---------------*- C++
//-*-===//
//
// Every file a wafer tool writes (plans, IR, SVG, reports, traces, emulator
// outputs, trained models) goes through writeOutputFile: the bytes go to a
// uniquely named temporary file created exclusively beside the destination
// (never through a symbolic link), are flushed to the disk and checked, and
// only then renamed over the destination. On any error, or when the process
// is interrupted (SIGINT, SIGTERM, SIGHUP), the destination is untouched and
// no temporary file remains. A destination that is one of the run's inputs
// (registered with protectInput) is refused before anything is written.
// MLIR-free.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_SUPPORT_OUTPUTFILE_H
#define WAFER_SUPPORT_OUTPUTFILE_H

#include <functional>
#include <string>
#include <string_view>

namespace wafer {

/// Records `path` as read by this run: no output of the run may replace it.
/// Paths that do not exist are ignored.
void protectInput(const std::string &path);

/// Returns an error phrase if writing `path` would replace one of the run's
/// protected inputs ("'m.onnx' is an input of this run; ..."), else "".
std::string checkOutputPath(const std::string &path);

/// Writes `bytes` to `path` ("-" is standard output) as described above.
/// Returns "" on success, else the error ("cannot write 'p.json': No space
/// left on device").
std::string writeOutputFile(const std::string &path, std::string_view bytes);

/// Runs `produce` with the process's standard output (file descriptor 1)
/// going to memory instead, and returns what `produce` returned; what it
/// printed is in `captured` (also on failure). For tools whose library
/// writes its own output files: they write to "-", and the bytes then go
/// through writeOutputFile. A failure to capture is reported on standard
/// error and returns false without running `produce`.
bool captureStandardOutput(std::string &captured,
                           const std::function<bool()> &produce);

} // namespace wafer

#endif // WAFER_SUPPORT_OUTPUTFILE_H
