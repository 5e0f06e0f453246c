//===- OutputFile.cpp - how every tool writes a file ----------------------===//

#include "wafer/Support/OutputFile.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace wafer {
namespace {

std::mutex protectedMutex;
std::vector<fs::path> &protectedInputs() {
  static std::vector<fs::path> inputs;
  return inputs;
}

// Temporary files being written, for the signal handler: fixed storage, so
// the handler only reads plain memory and calls unlink (async-signal-safe).
constexpr int kMaxLiveTemporaries = 8;
constexpr size_t kMaxTemporaryPath = 4096;
char liveTemporaries[kMaxLiveTemporaries][kMaxTemporaryPath];
std::atomic<bool> liveSlotClaimed[kMaxLiveTemporaries];
std::atomic<bool> liveSlotReady[kMaxLiveTemporaries];

constexpr int kCleanedSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction previousActions[3];

extern "C" void removeTemporariesAndReraise(int signal) {
  for (int i = 0; i < kMaxLiveTemporaries; ++i)
    if (liveSlotReady[i].load())
      ::unlink(liveTemporaries[i]);
  // Hand the signal to whoever handled it before (LLVM's handler in the
  // MLIR tools cleans up its own files), or let it end the process.
  for (int i = 0; i < 3; ++i)
    if (kCleanedSignals[i] == signal)
      sigaction(signal, &previousActions[i], nullptr);
  raise(signal);
}

void installSignalHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action;
    std::memset(&action, 0, sizeof(action));
    action.sa_handler = removeTemporariesAndReraise;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < 3; ++i)
      sigaction(kCleanedSignals[i], &action, &previousActions[i]);
  });
}

/// Claims a slot for `path` in the signal handler's list; -1 if none is free
/// or the path is too long (the write then goes on without the guarantee
/// for signals, which only matters if one arrives).
int registerTemporary(const std::string &path) {
  if (path.size() >= kMaxTemporaryPath)
    return -1;
  for (int i = 0; i < kMaxLiveTemporaries; ++i) {
    bool expected = false;
    if (liveSlotClaimed[i].compare_exchange_strong(expected, true)) {
      // The handler reads the name only once it is complete.
      std::memcpy(liveTemporaries[i], path.c_str(), path.size() + 1);
      liveSlotReady[i].store(true);
      return i;
    }
  }
  return -1;
}

void releaseTemporary(int slot) {
  if (slot < 0)
    return;
  liveSlotReady[slot].store(false);
  liveSlotClaimed[slot].store(false);
}

std::string systemError(const std::string &what, const std::string &path,
                        int error) {
  return "cannot " + what + " '" + path + "': " + std::strerror(error);
}

bool writeAll(int fd, std::string_view bytes, int &error) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR)
        continue;
      error = errno;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

} // namespace

void protectInput(const std::string &path) {
  std::error_code ec;
  if (path.empty() || path == "-" || !fs::exists(path, ec))
    return;
  std::lock_guard<std::mutex> lock(protectedMutex);
  protectedInputs().push_back(fs::path(path));
}

std::string checkOutputPath(const std::string &path) {
  if (path == "-")
    return "";
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    fs::path folder = fs::path(path).parent_path();
    if (!folder.empty() && !fs::is_directory(folder, ec))
      return "cannot write '" + path + "': its folder '" + folder.string() +
             "' does not exist";
    return "";
  }
  if (fs::is_directory(path, ec))
    return "cannot write '" + path + "': it is a folder";
  std::lock_guard<std::mutex> lock(protectedMutex);
  for (const fs::path &input : protectedInputs())
    if (fs::equivalent(input, path, ec) && !ec)
      return "cannot write '" + path + "': it is '" + input.string() +
             "', an input of this run, which the output would replace";
  return "";
}

std::string writeOutputFile(const std::string &path, std::string_view bytes) {
  if (std::string error = checkOutputPath(path); !error.empty())
    return error;
  if (path == "-") {
    if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() ||
        std::fflush(stdout) != 0)
      return systemError("write", "standard output", errno);
    return "";
  }
  // Devices and pipes (/dev/null, /dev/stdout, a FIFO) are written in place:
  // they hold no file to keep, and renaming over them would replace them.
  struct stat status;
  if (::lstat(path.c_str(), &status) == 0 && !S_ISREG(status.st_mode) &&
      !S_ISLNK(status.st_mode) && !S_ISDIR(status.st_mode)) {
    int fd = ::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return systemError("open", path, errno);
    int error = 0;
    bool written = writeAll(fd, bytes, error);
    if (::close(fd) != 0 && written) {
      written = false;
      error = errno;
    }
    return written ? "" : systemError("write", path, error);
  }
  installSignalHandlers();

  fs::path destination(path);
  fs::path folder = destination.parent_path();
  std::string pattern =
      (folder / ("." + destination.filename().string() + ".wafer-XXXXXX"))
          .string();
  std::string temporary = pattern;
  int slot = -1;
  int fd = -1;
  {
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    // mkstemp creates the file exclusively (O_CREAT | O_EXCL): an existing
    // name, a symbolic link included, is never opened.
    fd = ::mkstemp(name.data());
    if (fd < 0)
      return systemError("create a temporary file for", path, errno);
    temporary.assign(name.data());
    slot = registerTemporary(temporary);
  }
  auto fail = [&](const std::string &what, int error) {
    if (fd >= 0)
      ::close(fd);
    ::unlink(temporary.c_str());
    releaseTemporary(slot);
    return systemError(what, path, error);
  };
  // mkstemp makes the file private (0600); outputs get the usual mode.
  mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd, 0666 & ~mask) != 0)
    return fail("set the mode of", errno);
  int error = 0;
  if (!writeAll(fd, bytes, error))
    return fail("write", error);
  if (::fsync(fd) != 0)
    return fail("write", errno);
  int closing = ::close(fd);
  fd = -1;
  if (closing != 0)
    return fail("write", errno);
  if (::rename(temporary.c_str(), path.c_str()) != 0)
    return fail("replace", errno);
  releaseTemporary(slot);
  // The rename itself reaches the disk with the folder.
  int folderFd = ::open(folder.empty() ? "." : folder.c_str(),
                        O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folderFd >= 0) {
    ::fsync(folderFd);
    ::close(folderFd);
  }
  return "";
}

} // namespace wafer

bool wafer::captureStandardOutput(std::string &captured,
                                  const std::function<bool()> &produce) {
  std::fflush(stdout);
  int memory = ::memfd_create("wafer-output", MFD_CLOEXEC);
  int saved = memory < 0 ? -1 : ::dup(STDOUT_FILENO);
  if (memory < 0 || saved < 0 || ::dup2(memory, STDOUT_FILENO) < 0) {
    std::fprintf(stderr, "error: cannot capture standard output: %s\n",
                 std::strerror(errno));
    if (memory >= 0)
      ::close(memory);
    if (saved >= 0)
      ::close(saved);
    return false;
  }
  bool ok = produce();
  std::fflush(stdout);
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  captured.clear();
  char buffer[1 << 16];
  ::lseek(memory, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(memory, buffer, sizeof(buffer))) > 0;)
    captured.append(buffer, static_cast<size_t>(n));
  ::close(memory);
  return ok;
}
