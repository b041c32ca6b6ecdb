// cache_file: what the on-disk caches (parsed rule sets, compiled Hyperscan databases)
// share: a fingerprint for naming entries, an all-or-nothing write, and pruning.
// Internal to lib/. Every cache is best effort: an entry that cannot be written is
// simply not there next time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

namespace fraudscan::detail {

// FNV-1a over a sequence of byte strings, each followed by a separator so that
// ("ab", "c") and ("a", "bc") differ.
class Fingerprint {
 public:
  void Mix(std::string_view bytes) {
    for (unsigned char c : bytes) h_ = (h_ ^ c) * 1099511628211ull;
    h_ = (h_ ^ 0xFF) * 1099511628211ull;
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 1469598103934665603ull;
};

// Write `bytes` to `path` under a temporary name and rename it, so that a reader never
// sees half a file; create the directory first. Errors are ignored.
void WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes);

// Remove all but the `keep` most recently written files of `dir` whose names start
// with `prefix`, so that a cache written by many rule edits and builds stays small.
void PruneCache(const std::filesystem::path& dir, std::string_view prefix, std::size_t keep);

}  // namespace fraudscan::detail
