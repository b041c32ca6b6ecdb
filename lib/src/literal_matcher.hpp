// literal_matcher: the first pass of matching. Finds which of many literal strings
// occur anywhere in a text, in one pass. Internal to lib/.
//
// Three engines behind one interface: a double-array trie (Darts; everywhere), Hyperscan
// (x86-64; literal mode) and RE2::Set (no positions). The benchmark (bench/) chose the
// trie: a whole scan runs as fast with it as with Hyperscan (the literal pass is a
// small part of the work), and it builds in ~10 ms where Hyperscan's compiler took
// 0.4 s for the shipped rules' 35,000 literals. A cold RE2::Set DFA over 4,400 Chinese
// literals runs at about 1 MB/s until its cache has warmed up.
//
// Order of calls: Add()* -> Compile() -> Match()* (Match is thread-safe).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fraudscan::detail {

class LiteralMatcher {
 public:
  virtual ~LiteralMatcher() = default;
  // Add `literal` (exact bytes; the text is already normalized). Returns its index.
  // With `positions`, Match reports every occurrence with its end offset (when the
  // engine can: see reports_positions()); otherwise only whether it occurs.
  int Add(std::string_view literal, bool positions = false) {
    literals_.emplace_back(literal);
    positional_.push_back(positions ? 1 : 0);
    return static_cast<int>(literals_.size() - 1);
  }
  // The literals added, in order, and whether each was added with `positions`.
  const std::vector<std::string>& literals() const { return literals_; }
  const std::vector<char>& positional() const { return positional_; }
  // Return true iff Match fills `occurrences` for literals added with `positions`.
  virtual bool reports_positions() const = 0;
  // Return true on success; on failure `*error` says why. With a non-empty
  // `cache_dir`, an engine whose compiled form can be saved keeps it there (best effort:
  // a cache that cannot be read or written is ignored) and loads it next time.
  bool Compile(std::string* error, const std::filesystem::path& cache_dir);
  // Return `literals` and `positional` in serial form (serial.hpp's payload): what a
  // compiled engine is keyed by in the cache.
  static std::string Encode(const std::vector<std::string>& literals, const std::vector<char>& positional);
  // Return the number of literals in `encoded` (Encode's output). Throws SerialError.
  static std::size_t EncodedCount(std::string_view encoded);
  // Compile the literals in `encoded` (Encode's output; no Add before): from the cache
  // when it holds them (then literals() stays empty: only the flags are decoded), else
  // as Compile does.
  // Throws SerialError when `encoded` is damaged.
  bool CompileEncoded(std::string_view encoded, std::string* error, const std::filesystem::path& cache_dir);
  // Append to `*hits` the index of every literal that occurs in `text` (each once, in
  // no particular order), except that literals added with `positions` go to
  // `*occurrences` as (index, end offset), once per occurrence, when the engine
  // reports positions.
  struct Occurrence {
    int index;
    uint32_t end;
  };
  virtual void Match(std::string_view text, std::vector<int>* hits, std::vector<Occurrence>* occurrences) const = 0;
  virtual std::string_view name() const = 0;

 protected:
  // Build the engine from literals_ and positional_ (not empty).
  virtual bool Build(std::string* error) = 0;
  // Engines that keep their compiled form in the cache: what names it (the engine, its
  // version and layout) and the file extension. The default keeps none.
  struct CacheName {
    std::string_view stamp;
    std::string_view extension;
  };
  virtual std::optional<CacheName> cache_name() const { return std::nullopt; }
  // Read the compiled form from `path` (false when it is missing or damaged); write it.
  virtual bool Load(const std::filesystem::path& /*path*/) { return false; }
  virtual void Save(const std::filesystem::path& /*path*/) const {}
  std::vector<std::string> literals_;
  std::vector<char> positional_;

 private:
  // Return where the compiled form of the literals `encoded` stands for is cached in
  // `cache_dir` (named by a hash of them, in serial form: one pass, where a hash per
  // literal cost ~0.6 ms for tens of thousands of literals at start-up, and of the
  // engine's stamp); empty when there is no cache or the engine keeps none.
  std::filesystem::path CachePath(const std::filesystem::path& cache_dir, std::string_view encoded) const;
};

// Return a process-wide unique id (never 0), for keying per-thread state to the object
// it belongs to: addresses can be reused after an object is destroyed, ids are not.
uint64_t NextInstanceId();

// Return the matcher named by `engine` ("trie", "hyperscan" where the build has it,
// "re2-set"); the trie when `engine` is empty. Throws std::invalid_argument for others.
std::unique_ptr<LiteralMatcher> MakeLiteralMatcher(std::string_view engine = {});

}  // namespace fraudscan::detail
