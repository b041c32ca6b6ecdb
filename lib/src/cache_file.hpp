// cache_file: what the on-disk caches (parsed rule sets, compiled matchers, compiled
// literal tries or Hyperscan databases) share: a build stamp and a fingerprint for naming entries, a
// mapped read, an all-or-nothing write, and pruning.
// Internal to lib/. Every cache is best effort: an entry that cannot be written is
// simply not there next time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

namespace fraudscan::detail {

// A hash of a sequence of byte strings (serial.hpp's Checksum of each, combined in
// order), so that ("ab", "c") and ("a", "bc") differ.
class Fingerprint {
 public:
  void Mix(std::string_view bytes);
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 1469598103934665603ull;
};

// Return what identifies this build of the program (its GNU build id), for keying
// cache entries whose contents depend on the code: a rebuilt binary never reads what
// another build wrote.
std::string_view BuildStamp();

// A file mapped read-only into memory (cache entries are read whole at start-up; a
// mapping shares the page cache instead of copying megabytes into fresh memory).
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  // Return true iff the file exists, is not empty and could be mapped.
  bool ok() const { return data_ != nullptr; }
  std::string_view bytes() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

// Write `bytes` to `path` under a temporary name and rename it, so that a reader never
// sees half a file; create the directory first. Errors are ignored.
void WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes);

// Remove all but the `keep` most recently written files of `dir` whose names start
// with `prefix`, so that a cache written by many rule edits and builds stays small.
void PruneCache(const std::filesystem::path& dir, std::string_view prefix, std::size_t keep);

}  // namespace fraudscan::detail
