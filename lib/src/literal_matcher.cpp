#include "literal_matcher.hpp"
#include "cache_file.hpp"
#include "serial.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <re2/set.h>

#include <darts.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <atomic>
#include <cstdint>
#include <stdexcept>

#ifdef FRAUDSCAN_HAVE_HYPERSCAN
#include <hs/hs.h>
#endif

namespace fraudscan::detail {

std::string LiteralMatcher::Encode(const std::vector<std::string>& literals, const std::vector<char>& positional) {
  Writer w;
  w(literals)(positional);
  return w.payload();
}

std::filesystem::path LiteralMatcher::CachePath(const std::filesystem::path& cache_dir, std::string_view encoded) const {
  const std::optional<CacheName> name = cache_name();
  if (cache_dir.empty() || !name) return {};
  Fingerprint f;
  f.Mix(name->stamp);
  f.Mix(encoded);
  return cache_dir / fmt::format("literals-{:016x}.{}", f.value(), name->extension);
}

bool LiteralMatcher::Compile(std::string* error, const std::filesystem::path& cache_dir) {
  if (literals_.empty()) return true;
  std::filesystem::path cached;
  if (!cache_dir.empty() && cache_name()) cached = CachePath(cache_dir, Encode(literals_, positional_));
  if (!cached.empty() && Load(cached)) return true;
  if (!Build(error)) return false;
  if (!cached.empty()) Save(cached);
  return true;
}

std::size_t LiteralMatcher::EncodedCount(std::string_view encoded) {
  Reader r(encoded, Reader::PayloadOnly{});
  uint32_t n = 0;
  r(n);
  return n;
}

bool LiteralMatcher::CompileEncoded(std::string_view encoded, std::string* error,
                                    const std::filesystem::path& cache_dir) {
  Reader r(encoded, Reader::PayloadOnly{});
  if (const std::filesystem::path cached = CachePath(cache_dir, encoded); !cached.empty() && Load(cached)) {
    // Matching needs the flags, not the literals: step over those without copying.
    uint32_t count = 0;
    r(count);
    std::string_view literal;
    for (uint32_t i = 0; i < count; ++i) r(literal);
    r(positional_);
    r.ExpectEnd();
    if (positional_.size() != count) throw SerialError("literal flags do not match the literals");
    return true;
  }
  r(literals_)(positional_);
  r.ExpectEnd();
  if (literals_.size() != positional_.size()) throw SerialError("literal flags do not match the literals");
  return Compile(error, cache_dir);
}

namespace {

class Re2SetMatcher final : public LiteralMatcher {
 public:
  Re2SetMatcher() {
    RE2::Options o;
    o.set_encoding(RE2::Options::EncodingUTF8);
    o.set_case_sensitive(true);
    o.set_log_errors(false);
    o.set_max_mem(int64_t{1} << 30);
    set_ = std::make_unique<RE2::Set>(o, RE2::UNANCHORED);
  }
  bool reports_positions() const override { return false; }
  void Match(std::string_view text, std::vector<int>* hits, std::vector<Occurrence>*) const override {
    if (literals_.empty()) return;
    std::vector<int> v;
    set_->Match(text, &v);
    hits->insert(hits->end(), v.begin(), v.end());
  }
  std::string_view name() const override { return "re2-set"; }

 private:
  bool Build(std::string* error) override {
    for (const auto& literal : literals_) set_->Add(RE2::QuoteMeta(literal), nullptr);
    if (set_->Compile()) return true;
    *error = "RE2::Set: out of memory compiling the literals";
    return false;
  }
  std::unique_ptr<RE2::Set> set_;
};

// A double-array trie (Darts, Debian package darts) of the literals, walked from every
// character of the text. It builds in ~10 ms where Hyperscan's compiler takes ~11 us
// a literal (0.4 s for the shipped rules), and the whole scan runs as fast with it
// (docs/performance.md). Reports every occurrence with its end.
class TrieMatcher final : public LiteralMatcher {
 public:
  bool reports_positions() const override { return true; }
  void Match(std::string_view text, std::vector<int>* hits, std::vector<Occurrence>* occurrences) const override {
    if (!built_) return;
    const std::size_t first_hit = hits->size();
    thread_local std::vector<Darts::DoubleArray::result_pair_type> found;
    found.resize(max_length_ + 1);
    for (std::size_t i = 0; i < text.size(); ++i) {
      // Literals are whole UTF-8 sequences: none starts on a continuation byte.
      if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
      const std::size_t n = trie_.commonPrefixSearch(text.data() + i, found.data(), found.size(),
                                                     std::min<std::size_t>(max_length_, text.size() - i));
      for (std::size_t f = 0; f < n; ++f) {
        const auto group = static_cast<std::size_t>(found[f].value);
        for (uint32_t m = group_begin_[group]; m < group_begin_[group + 1]; ++m) {
          const uint32_t index = members_[m];
          if (positional_[index] && occurrences != nullptr) {
            occurrences->push_back({static_cast<int>(index), static_cast<uint32_t>(i + found[f].length)});
          } else {
            hits->push_back(static_cast<int>(index));
          }
        }
      }
    }
    // Each literal once, as the interface (and Hyperscan's single-match mode) has it.
    std::sort(hits->begin() + static_cast<std::ptrdiff_t>(first_hit), hits->end());
    hits->erase(std::unique(hits->begin() + static_cast<std::ptrdiff_t>(first_hit), hits->end()), hits->end());
  }
  std::string_view name() const override { return "trie"; }

 private:
  bool Build(std::string* error) override {
    // Darts takes distinct keys in byte order; equal literals share one value, a group.
    // Sorted by their first 8 bytes as a number, then by the rest: most comparisons of
    // tens of thousands of literals end in the integer compare.
    struct Key {
      uint64_t prefix;  // the first 8 bytes, big-endian, zero-padded
      std::string_view literal;
      uint32_t index;
      bool operator<(const Key& o) const {
        if (prefix != o.prefix) return prefix < o.prefix;
        if (literal != o.literal) return literal < o.literal;
        return index < o.index;
      }
    };
    std::vector<Key> order;
    order.reserve(literals_.size());
    for (std::size_t i = 0; i < literals_.size(); ++i) {
      const std::string_view literal = literals_[i];
      uint64_t prefix = 0;
      for (std::size_t b = 0; b < 8; ++b) {
        prefix = (prefix << 8) | (b < literal.size() ? static_cast<unsigned char>(literal[b]) : 0u);
      }
      order.push_back({prefix, literal, static_cast<uint32_t>(i)});
    }
    std::sort(order.begin(), order.end());
    std::vector<const char*> keys;
    std::vector<std::size_t> lengths;
    std::vector<int> values;
    group_begin_.clear();
    members_.clear();
    max_length_ = 0;
    for (std::size_t k = 0; k < order.size(); ++k) {
      const std::string_view literal = order[k].literal;
      if (literal.empty()) {
        *error = "an empty literal";
        return false;
      }
      if (k == 0 || literal != order[k - 1].literal) {
        values.push_back(static_cast<int>(group_begin_.size()));
        group_begin_.push_back(static_cast<uint32_t>(members_.size()));
        keys.push_back(literal.data());
        lengths.push_back(literal.size());
        max_length_ = std::max<uint32_t>(max_length_, static_cast<uint32_t>(literal.size()));
      }
      members_.push_back(order[k].index);
    }
    group_begin_.push_back(static_cast<uint32_t>(members_.size()));
    if (trie_.build(keys.size(), keys.data(), lengths.data(), values.data()) != 0) {
      *error = "cannot build the literal trie";
      return false;
    }
    built_ = true;
    return true;
  }
  std::optional<CacheName> cache_name() const override { return CacheName{"darts " DARTS_VERSION " trie 1", "trie"}; }
  void Save(const std::filesystem::path& path) const override {
    Writer w;
    w(max_length_)(group_begin_)(members_);
    w(std::string_view(static_cast<const char*>(trie_.array()), trie_.total_size()));
    WriteFileAtomically(path, w.Finish());
    PruneCache(path.parent_path(), "literals-", 16);  // two literal tries per rule set
  }
  bool Load(const std::filesystem::path& path) override {
    const MappedFile file(path);
    if (!file.ok()) return false;
    try {
      Reader r(file.bytes());
      std::string_view array;
      r(max_length_)(group_begin_)(members_)(array);
      r.ExpectEnd();
      if (array.size() % trie_.unit_size() != 0 || group_begin_.empty()) return false;
      // Darts reads the array in place: copy it to memory of the right alignment.
      units_.resize(array.size() / sizeof(uint64_t) + 1);
      std::memcpy(units_.data(), array.data(), array.size());
      trie_.set_array(units_.data(), array.size() / trie_.unit_size());
    } catch (const SerialError&) {
      return false;
    }
    built_ = true;
    return true;
  }

  Darts::DoubleArray trie_;
  std::vector<uint64_t> units_;  // the trie's array, when loaded from the cache
  bool built_ = false;
  uint32_t max_length_ = 0;            // bytes of the longest literal
  std::vector<uint32_t> group_begin_;  // group -> its first entry in members_ (+ end)
  std::vector<uint32_t> members_;      // literal indices, by group
};

#ifdef FRAUDSCAN_HAVE_HYPERSCAN
class HyperscanMatcher final : public LiteralMatcher {
 public:
  ~HyperscanMatcher() override {
    if (scratch_ != nullptr) hs_free_scratch(scratch_);
    if (db_ != nullptr) hs_free_database(db_);
  }
  bool reports_positions() const override { return true; }

  bool Load(const std::filesystem::path& path) override {
    const MappedFile file(path);
    if (!file.ok()) return false;
    hs_database_t* db = nullptr;
    if (hs_deserialize_database(file.bytes().data(), file.bytes().size(), &db) != HS_SUCCESS) return false;
    if (hs_alloc_scratch(db, &scratch_) != HS_SUCCESS) {
      hs_free_database(db);
      return false;
    }
    db_ = db;
    return true;
  }

  void Save(const std::filesystem::path& path) const override {
    char* bytes = nullptr;
    std::size_t size = 0;
    if (hs_serialize_database(db_, &bytes, &size) != HS_SUCCESS) return;
    WriteFileAtomically(path, std::string_view(bytes, size));
    std::free(bytes);
    PruneCache(path.parent_path(), "literals-", 16);  // two literal databases per rule set
  }
  void Match(std::string_view text, std::vector<int>* hits, std::vector<Occurrence>* occurrences) const override {
    if (db_ == nullptr) return;
    // One scratch per thread, cloned from the prototype on first use.
    // One scratch per thread and database, cloned from the prototype on first use.
    struct Slot {
      uint64_t owner;  // id_ of the matcher (addresses can be reused, ids are not)
      hs_scratch_t* scratch;
    };
    struct Slots {
      std::vector<Slot> slots;
      ~Slots() {
        for (auto& slot : slots) hs_free_scratch(slot.scratch);
      }
    };
    thread_local Slots local;
    hs_scratch_t* scratch = nullptr;
    for (const auto& slot : local.slots) {
      if (slot.owner == id_) scratch = slot.scratch;
    }
    if (scratch == nullptr) {
      if (hs_clone_scratch(scratch_, &scratch) != HS_SUCCESS) throw std::bad_alloc();
      local.slots.push_back({id_, scratch});
    }
    struct Context {
      const std::vector<char>* positional;
      std::vector<int>* hits;
      std::vector<Occurrence>* occurrences;
    } ctx{&positional_, hits, occurrences};
    auto on_match = [](unsigned int id, unsigned long long, unsigned long long to, unsigned int, void* c) -> int {
      auto* x = static_cast<Context*>(c);
      if ((*x->positional)[id] && x->occurrences != nullptr) {
        x->occurrences->push_back({static_cast<int>(id), static_cast<uint32_t>(to)});
      } else {
        x->hits->push_back(static_cast<int>(id));
      }
      return 0;
    };
    hs_scan(db_, text.data(), static_cast<unsigned>(text.size()), 0, scratch, on_match, &ctx);
  }
  std::string_view name() const override { return "hyperscan"; }

 private:
  bool Build(std::string* error) override {
    std::vector<const char*> exprs;
    std::vector<std::size_t> lens;
    std::vector<unsigned> flags;
    std::vector<unsigned> ids;
    for (std::size_t i = 0; i < literals_.size(); ++i) {
      flags.push_back(positional_[i] ? 0u : static_cast<unsigned>(HS_FLAG_SINGLEMATCH));
      exprs.push_back(literals_[i].data());
      lens.push_back(literals_[i].size());
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_compile_error_t* err = nullptr;
    if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                             static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db_,
                             &err) != HS_SUCCESS) {
      *error = std::string("Hyperscan: ") + (err != nullptr ? err->message : "compile failed");
      if (err != nullptr) hs_free_compile_error(err);
      return false;
    }
    if (hs_alloc_scratch(db_, &scratch_) != HS_SUCCESS) {
      *error = "Hyperscan: cannot allocate scratch space";
      return false;
    }
    return true;
  }
  std::optional<CacheName> cache_name() const override { return CacheName{hs_version(), "hsdb"}; }

  hs_database_t* db_ = nullptr;
  hs_scratch_t* scratch_ = nullptr;
  uint64_t id_ = NextInstanceId();
};
#endif

}  // namespace

uint64_t NextInstanceId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1);
}

std::unique_ptr<LiteralMatcher> MakeLiteralMatcher(std::string_view engine) {
  if (engine.empty() || engine == "trie") return std::make_unique<TrieMatcher>();
#ifdef FRAUDSCAN_HAVE_HYPERSCAN
  if (engine == "hyperscan" && hs_valid_platform() == HS_SUCCESS) return std::make_unique<HyperscanMatcher>();
#endif
  if (engine == "re2-set") return std::make_unique<Re2SetMatcher>();
  throw std::invalid_argument("unknown or unavailable matcher engine '" + std::string(engine) + "'");
}

}  // namespace fraudscan::detail
