#include "rules_cache.hpp"

#include "cache_file.hpp"
#include "serial.hpp"

#include <fmt/format.h>

namespace fraudscan::detail {

namespace {

// Bump when the stored shape changes; the build stamp also keys every entry, so a new
// build never reads an old build's cache.
constexpr uint32_t kFormatVersion = 5;

}  // namespace

template <>
struct Fields<SourceLocation> {
  template <class IO, class U>
  static void Apply(IO& io, U& x) {
    io(x.file)(x.line)(x.column);
  }
};
template <>
struct Fields<Condition> {
  template <class IO, class U>
  static void Apply(IO& io, U& x) {
    io(x.kind)(x.keywords)(x.keyword_locations)(x.patterns)(x.pattern_locations)(x.pinyin)(x.no_pinyin)(x.no_variants);
    io(x.parts)(x.n)(x.within)(x.where);
  }
};
template <>
struct Fields<Example> {
  template <class IO, class U>
  static void Apply(IO& io, U& x) {
    io(x.text)(x.where);
  }
};
template <>
struct Fields<Rule> {
  template <class IO, class U>
  static void Apply(IO& io, U& x) {
    io(x.id)(x.type)(x.description)(x.weight)(x.condition)(x.unless)(x.unless_within)(x.speakers);
    io(x.match_examples)(x.no_match_examples)(x.where);
  }
};
template <>
struct Fields<WordVariant> {
  template <class IO, class U>
  static void Apply(IO& io, U& x) {
    io(x.word)(x.spellings)(x.where);
  }
};
template <>
struct Fields<RuleSet> {
  template <class IO, class U>
  static void Apply(IO& io, U& x) {
    io(x.rules)(x.word_variants)(x.character_variants)(x.pinyin_min_chars)(x.not_misheard)(x.files);
  }
};
template <>
struct Fields<Diagnostic> {
  template <class IO, class U>
  static void Apply(IO& io, U& x) {
    io(x.severity)(x.where)(x.message);
  }
};

uint64_t RuleFilesFingerprint(const std::vector<std::pair<std::string_view, std::string_view>>& files) {
  Fingerprint f;
  f.Mix(fmt::format("fraudscan rules v{}", kFormatVersion));
  f.Mix(BuildStamp());
  for (const auto& [name, bytes] : files) {
    f.Mix(name);
    f.Mix(bytes);
  }
  return f.value();
}

std::filesystem::path RuleCachePath(const std::filesystem::path& dir, uint64_t fingerprint) {
  return dir / fmt::format("rules-{:016x}.bin", fingerprint);
}

namespace {

// Write what a compiled matcher depends on in `c`.
void MatcherInputs(Writer& w, const Condition& c) {
  w(c.kind)(c.keywords)(c.patterns)(c.pinyin)(c.no_pinyin)(c.no_variants)(c.n)(c.within);
  w(static_cast<uint32_t>(c.parts.size()));
  for (const auto& p : c.parts) MatcherInputs(w, p);
}

}  // namespace

uint64_t RuleSetFingerprint(const RuleSet& rule_set) {
  Writer w;
  w(kFormatVersion)(static_cast<uint32_t>(rule_set.rules.size()));
  for (const Rule& r : rule_set.rules) {
    MatcherInputs(w, r.condition);
    w(r.unless.has_value());
    if (r.unless) MatcherInputs(w, *r.unless);
    w(r.unless_within)(r.speakers);
  }
  w(rule_set.word_variants.size());
  for (const auto& v : rule_set.word_variants) w(v.word)(v.spellings);
  w(rule_set.character_variants)(rule_set.pinyin_min_chars)(rule_set.not_misheard);
  return Checksum(w.payload());
}

std::optional<LoadResult> ReadRuleCache(const std::filesystem::path& path) {
  const MappedFile file(path);
  if (!file.ok()) return std::nullopt;
  try {
    Reader r(file.bytes());
    uint32_t format = 0;
    r(format);
    if (format != kFormatVersion) return std::nullopt;
    LoadResult result;
    r(result.rule_set)(result.diagnostics);
    r.ExpectEnd();
    return result;
  } catch (const SerialError&) {
    return std::nullopt;  // truncated, damaged or from another version: a miss
  }
}

void WriteRuleCache(const std::filesystem::path& path, const LoadResult& result) {
  Writer w;
  w(kFormatVersion)(result.rule_set)(result.diagnostics);
  WriteFileAtomically(path, w.Finish());
  PruneCache(path.parent_path(), "rules-", 8);
}

}  // namespace fraudscan::detail
