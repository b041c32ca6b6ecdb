// input: turns the command line's paths into a stream of jobs (one transcript each),
// read in batches so that a million-record JSON Lines file is never loaded whole.
//
// Paths: a file (plain text = one transcript; *.jsonl = one transcript per line), a
// directory (walked recursively in name order; hidden entries and binary files are
// skipped; --include/--exclude globs apply to files found in directories), or "-"
// for stdin. Problems with one input become a job with an error; the stream goes on.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fraudscan/transcript.hpp"

namespace fraudscan::cli {

enum class InputFormat { automatic, text, jsonl };

struct InputOptions {
  InputFormat format = InputFormat::automatic;
  std::vector<std::string> include;  // globs; a file found in a directory must match one (if any)
  std::vector<std::string> exclude;  // globs; a file found in a directory matching one is skipped
  std::string encoding;              // forced encoding, empty = detect
};

struct Job {
  std::string name;        // path, or path:line / record id for JSON Lines
  std::optional<Transcript> transcript;
  std::string error;       // non-empty: this input failed (reported, counted, exit 2)
  std::vector<std::string> warnings;  // reported, not counted as errors
  std::string note;        // informational (a skipped binary file)
  std::size_t bytes = 0;   // input bytes consumed
  bool from_jsonl = false;
  uint64_t line = 0;       // JSON Lines: 1-based line number
};

class InputStream {
 public:
  InputStream(std::vector<std::string> paths, InputOptions options);
  ~InputStream();

  // Fill `*batch` (cleared first) with up to `max_jobs` jobs or about `max_bytes` of
  // input. Return false when the inputs are exhausted and nothing was added.
  bool NextBatch(std::vector<Job>* batch, std::size_t max_jobs, std::size_t max_bytes);

 private:
  struct JsonlState;
  void Expand(const std::string& path);
  void ReadFile(const std::filesystem::path& path, const std::string& name, Job* job) const;
  bool NextJsonl(Job* job);
  bool Wanted(const std::filesystem::path& path) const;
  bool Excluded(const std::filesystem::path& path) const;

  InputOptions options_;
  std::deque<std::string> pending_;      // paths given, not yet expanded
  std::deque<Job> ready_;                // jobs waiting to be batched (errors, notes)
  std::deque<std::filesystem::path> files_;  // files found by walking
  std::unique_ptr<JsonlState> jsonl_;
};

// Return true iff `name` matches the glob `pattern` (fnmatch; '*' does not cross '/').
bool GlobMatch(const std::string& pattern, const std::string& name);

}  // namespace fraudscan::cli
