//===- DataFile.cpp - what a reference to file bytes may name -------------===//

#include "wafer/Support/DataFile.h"
#include "wafer/Support/OutputFile.h"

#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace wafer {

std::string checkDataFile(const std::string &folder,
                          const std::string &location, int64_t offset,
                          int64_t length, const std::string &data,
                          const std::string &folderName, std::string &error) {
  auto fail = [&](std::string message) {
    error = std::move(message);
    return std::string();
  };
  if (location.empty())
    return fail("has " + data + " without a location");
  fs::path relative(location);
  if (relative.is_absolute())
    return fail("has an absolute " + data + " location '" + location +
                "'; it must be relative to " + folderName);
  for (const fs::path &part : relative)
    if (part == "..")
      return fail("has " + data + " location '" + location + "' that leaves " +
                  folderName);
  fs::path full = fs::path(folder.empty() ? "." : folder) / relative;
  std::error_code ec;
  fs::file_status status = fs::symlink_status(full, ec);
  if (ec || !fs::exists(status))
    return fail("has " + data + " in '" + location +
                "', which does not exist");
  if (fs::is_symlink(status))
    return fail("has " + data + " in '" + location +
                "', which is a symbolic link; links are refused");
  if (!fs::is_regular_file(status))
    return fail("has " + data + " in '" + location +
                "', which is not a regular file");
  // The resolved path must stay inside the folder (no link on the way).
  fs::path realFolder = fs::canonical(folder.empty() ? "." : folder, ec);
  fs::path realFile = ec ? fs::path() : fs::canonical(full, ec);
  std::string inside = realFolder.string() + "/";
  if (ec || realFile.string().compare(0, inside.size(), inside) != 0)
    return fail("has " + data + " location '" + location + "' outside " +
                folderName);
  int64_t size = static_cast<int64_t>(fs::file_size(full, ec));
  if (ec)
    return fail("has " + data + " in '" + location +
                "', which cannot be read");
  if (offset < 0 || length < 0 || offset > size || length > size - offset)
    return fail("has " + data + " at offset " + std::to_string(offset) +
                " of " + std::to_string(length) + " bytes, beyond the end of '" +
                location + "' (" + std::to_string(size) + " bytes)");
  error.clear();
  // What a run reads, no output of the run may replace.
  protectInput(realFile.string());
  return full.string();
}

} // namespace wafer
