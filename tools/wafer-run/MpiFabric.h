//===- MpiFabric.h - the wafers of a plan on the ranks of an MPI job -*- C++ -*-===//
//
// wafer-run under mpirun: each rank emulates its share of the plan's wafers
// and reaches the others with MPI (Open MPI from Debian): the weight
// store's broadcast, the point-to-point additions of the plan's reduction
// tree, the gathering of outputs on rank 0. Built only when CMake finds
// MPI (WAFER_HAVE_MPI).
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_RUN_MPIFABRIC_H
#define WAFER_RUN_MPIFABRIC_H

#include "wafer/Runtime/Runtime.h"

namespace wafer {

class MpiFabric final : public runtime::Fabric {
public:
  /// Whether this process was started by mpirun (Open MPI's environment).
  static bool launchedByMpirun();
  MpiFabric(int *argc, char ***argv);
  ~MpiFabric() override;
  int rank() const override { return rankIndex; }
  int size() const override { return rankCount; }
  absl::Status broadcast(std::string &bytes) override;
  absl::Status send(int to, const std::string &bytes) override;
  absl::Status receive(int from, std::string &bytes) override;
  absl::Status gather(const std::string &mine,
                      std::vector<std::string> &all) override;
  /// Stops every rank of the job (MPI_Abort), saying which rank failed.
  [[noreturn]] void abortJob(int code);

private:
  int rankIndex = 0;
  int rankCount = 1;
};

} // namespace wafer

#endif // WAFER_RUN_MPIFABRIC_H
