// Helpers for tests that write files: a scratch directory removed afterwards, and a
// count of cache entries by name.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <filesystem>
#include <string>

namespace fraudscan::testing {

// A new, empty directory under the system's temporary directory, removed with the object.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name) {
    path = std::filesystem::temp_directory_path() / ("fraudscan-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// Return how many files in `dir` have names starting with `prefix`.
inline std::size_t Entries(const std::filesystem::path& dir, const std::string& prefix) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    n += e.path().filename().string().rfind(prefix, 0) == 0 ? 1 : 0;
  }
  return n;
}

}  // namespace fraudscan::testing
