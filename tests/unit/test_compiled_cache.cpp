// The compiled-matcher cache: CompileRules with a cache directory stores the compiled
// matcher, and a later compile of the same rule set loads it instead. What is loaded
// must match exactly as what was compiled.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fraudscan/matcher.hpp"
#include "fraudscan/rules.hpp"
#include "fraudscan/transcript.hpp"
#include "temp_dir.hpp"

using namespace fraudscan;
namespace fs = std::filesystem;
using fraudscan::testing::Entries;
using fraudscan::testing::TempDir;

namespace {

// Return every hit of `rules` on `t` as one comparable string.
std::string Describe(const CompiledRules& rules, const Normalizer& norm, const Transcript& t) {
  NormalizedTranscript nt = NormalizeTranscript(norm, t);
  std::ostringstream out;
  for (const RuleHit& h : rules.Match(nt)) {
    out << h.rule->id << " x" << h.matches << (h.homophone ? " homophone" : "");
    for (const Span& sp : h.parts) out << " [" << sp.begin << "," << sp.end << " " << rules.AtomNote(sp.atom) << "]";
    out << "\n";
  }
  return out.str();
}

// Return `text` normalized, with its middle character that has a homophone replaced by
// the representative of its pinyin syllable (Normalizer::HomophoneKey keeps lengths).
std::string Misheard(const Normalizer& norm, const std::string& text) {
  std::string s = norm.Normalize(text);
  const std::string key = norm.HomophoneKey(s);
  std::vector<std::pair<std::size_t, std::size_t>> changed;  // (offset, length)
  for (std::size_t i = 0; i < s.size();) {
    const auto lead = static_cast<unsigned char>(s[i]);
    const std::size_t n = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    if (s.compare(i, n, key, i, n) != 0) changed.emplace_back(i, n);
    i += n;
  }
  if (changed.empty()) return s;
  const auto [at, n] = changed[changed.size() / 2];
  s.replace(at, n, key, at, n);
  return s;
}

}  // namespace

TEST_CASE("compiled cache: the shipped rules loaded from the cache match as compiled") {
  const fs::path root = FRAUDSCAN_SOURCE_DIR;
  LoadResult loaded = LoadRules({root / "rules"});
  REQUIRE(loaded.ok());
  NormalizerOptions options;
  options.character_variants = loaded.rule_set.character_variants;
  const Normalizer norm(options);
  TempDir tmp("compiled-test");
  const CompileOptions cached{"", tmp.path};

  CompileResult fresh = CompileRules(loaded.rule_set, norm);  // no cache at all
  REQUIRE(fresh.ok());
  CompileResult stored = CompileRules(loaded.rule_set, norm, cached);  // compiles, then stores
  REQUIRE(stored.ok());
  REQUIRE(Entries(tmp.path, "compiled-") == 1);
  CompileResult reloaded = CompileRules(loaded.rule_set, norm, cached);  // loads
  REQUIRE(reloaded.ok());
  CHECK(reloaded.rules->AtomPatterns() == fresh.rules->AtomPatterns());

  // Every corpus transcript and every rule example, and each example misheard: one
  // character in the middle replaced by another of the same pinyin, as speech
  // recognition does, so that the homophone twins are compared too.
  std::vector<Transcript> texts;
  for (const auto& entry : fs::recursive_directory_iterator(root / "corpus")) {
    if (entry.path().extension() != ".txt") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    texts.push_back(ParsePlainText(entry.path().filename().string(), ss.str()));
  }
  for (const Rule& rule : loaded.rule_set.rules) {
    for (const auto& e : rule.match_examples) {
      texts.push_back(ParsePlainText(rule.id, e.text));
      texts.push_back(ParsePlainText(rule.id + " misheard", Misheard(norm, e.text)));
    }
    for (const auto& e : rule.no_match_examples) texts.push_back(ParsePlainText(rule.id, e.text));
  }
  REQUIRE(texts.size() > 2500);
  std::size_t differ = 0, fired = 0;
  for (const Transcript& t : texts) {
    const std::string want = Describe(*fresh.rules, norm, t);
    fired += want.empty() ? 0 : 1;
    if (Describe(*reloaded.rules, norm, t) != want && ++differ <= 3) {
      FAIL_CHECK("the cached matcher differs on " << t.id << ":\n" << t.document);
    }
  }
  CHECK(differ == 0);
  CHECK(fired > texts.size() / 2);  // the comparison saw real hits, not only silence
}

TEST_CASE("compiled cache: another rule set or normalizer never reads the entry") {
  const char* kRules = R"(
rules:
  - id: r
    type: task_rebate
    description: d
    weight: 1
    keywords: [点赞]
)";
  TempDir tmp("compiled-test");
  const fs::path file = tmp.path / "r.yaml";
  {
    std::ofstream(file) << kRules;
  }
  LoadResult loaded = LoadRules({file});
  REQUIRE(loaded.ok());
  const CompileOptions cached{"", tmp.path / "cache"};
  const Normalizer plain;
  REQUIRE(CompileRules(loaded.rule_set, plain, cached).ok());
  REQUIRE(Entries(tmp.path / "cache", "compiled-") == 1);

  // The same rules with another keyword: a new entry, and the new keyword matches.
  RuleSet edited = loaded.rule_set;
  edited.rules[0].condition.keywords = {"转发"};
  CompileResult other = CompileRules(edited, plain, cached);
  REQUIRE(other.ok());
  CHECK(Entries(tmp.path / "cache", "compiled-") == 2);
  const Transcript t = ParsePlainText("t", "请转发一下");
  CHECK(other.rules->Match(NormalizeTranscript(plain, t)).size() == 1);

  // The same rules with a normalizer that folds 赞 differently: a third entry.
  NormalizerOptions folding;
  folding.character_variants = {{U'攒', U'赞'}};
  const Normalizer folded(folding);
  REQUIRE(CompileRules(loaded.rule_set, folded, cached).ok());
  CHECK(Entries(tmp.path / "cache", "compiled-") == 3);

  // A damaged entry is a miss: the compile still succeeds and matches.
  for (const auto& e : fs::directory_iterator(tmp.path / "cache")) {
    if (e.path().filename().string().rfind("compiled-", 0) == 0) fs::resize_file(e.path(), fs::file_size(e.path()) / 2);
  }
  CompileResult again = CompileRules(loaded.rule_set, plain, cached);
  REQUIRE(again.ok());
  const Transcript like = ParsePlainText("t", "帮忙点赞");
  CHECK(again.rules->Match(NormalizeTranscript(plain, like)).size() == 1);
}
