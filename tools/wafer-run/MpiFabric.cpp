//===- MpiFabric.cpp - the wafers of a plan on the ranks of an MPI job ----===//

#include "MpiFabric.h"

#include <climits>
#include <cstdio>
#include <cstdlib>

#include <mpi.h>

#include "absl/strings/str_cat.h"

namespace wafer {

namespace {

/// MPI counts are ints: larger messages are refused, not truncated.
absl::Status checkCount(size_t bytes) {
  if (bytes > static_cast<size_t>(INT_MAX))
    return absl::ResourceExhaustedError(absl::StrCat(
        "a message of ", bytes, " bytes between wafers exceeds MPI's ",
        INT_MAX, "-byte count"));
  return absl::OkStatus();
}

absl::Status mpiError(int code, const char *what) {
  if (code == MPI_SUCCESS)
    return absl::OkStatus();
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return absl::InternalError(
      absl::StrCat(what, " failed: ", std::string(text, length)));
}

} // namespace

bool MpiFabric::launchedByMpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr ||
         std::getenv("PMIX_RANK") != nullptr;
}

MpiFabric::MpiFabric(int *argc, char ***argv) {
  MPI_Init(argc, argv);
  // Errors come back as codes, reported as a failed rank.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rankIndex);
  MPI_Comm_size(MPI_COMM_WORLD, &rankCount);
}

MpiFabric::~MpiFabric() { MPI_Finalize(); }

absl::Status MpiFabric::broadcast(std::string &bytes) {
  long long size = static_cast<long long>(bytes.size());
  if (absl::Status s = mpiError(
          MPI_Bcast(&size, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD), "MPI_Bcast");
      !s.ok())
    return s;
  if (absl::Status s = checkCount(static_cast<size_t>(size)); !s.ok())
    return s;
  bytes.resize(static_cast<size_t>(size));
  return mpiError(MPI_Bcast(bytes.data(), static_cast<int>(size), MPI_BYTE, 0,
                            MPI_COMM_WORLD),
                  "MPI_Bcast");
}

absl::Status MpiFabric::send(int to, const std::string &bytes) {
  if (absl::Status s = checkCount(bytes.size()); !s.ok())
    return s;
  return mpiError(MPI_Send(bytes.data(), static_cast<int>(bytes.size()),
                           MPI_BYTE, to, 0, MPI_COMM_WORLD),
                  "MPI_Send");
}

absl::Status MpiFabric::receive(int from, std::string &bytes) {
  MPI_Status status;
  if (absl::Status s = mpiError(MPI_Probe(from, 0, MPI_COMM_WORLD, &status),
                                "MPI_Probe");
      !s.ok())
    return s;
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  bytes.resize(static_cast<size_t>(count));
  return mpiError(MPI_Recv(bytes.data(), count, MPI_BYTE, from, 0,
                           MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                  "MPI_Recv");
}

absl::Status MpiFabric::gather(const std::string &mine,
                               std::vector<std::string> &all) {
  if (absl::Status s = checkCount(mine.size()); !s.ok())
    return s;
  int size = static_cast<int>(mine.size());
  std::vector<int> sizes(rankIndex == 0 ? rankCount : 0);
  if (absl::Status s = mpiError(MPI_Gather(&size, 1, MPI_INT, sizes.data(), 1,
                                           MPI_INT, 0, MPI_COMM_WORLD),
                                "MPI_Gather");
      !s.ok())
    return s;
  std::vector<int> offsets(sizes.size(), 0);
  size_t total = 0;
  for (size_t r = 0; r < sizes.size(); ++r) {
    offsets[r] = static_cast<int>(total);
    total += static_cast<size_t>(sizes[r]);
  }
  if (absl::Status s = checkCount(total); !s.ok())
    return s;
  std::string joined(total, '\0');
  if (absl::Status s = mpiError(
          MPI_Gatherv(mine.data(), size, MPI_BYTE, joined.data(),
                      sizes.data(), offsets.data(), MPI_BYTE, 0,
                      MPI_COMM_WORLD),
          "MPI_Gatherv");
      !s.ok())
    return s;
  all.clear();
  for (size_t r = 0; r < sizes.size(); ++r)
    all.push_back(joined.substr(offsets[r], sizes[r]));
  return absl::OkStatus();
}

void MpiFabric::abortJob(int code) {
  std::fprintf(stderr,
               "error: rank %d of %d failed (its error is above); stopping "
               "every rank\n",
               rankIndex, rankCount);
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

} // namespace wafer
