// The parsed-rule-set cache (lib/src/rules_cache.hpp) behind LoadRules' cache_dir.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "fraudscan/rules.hpp"
#include "cache_file.hpp"
#include "rules_cache.hpp"
#include "temp_dir.hpp"

using namespace fraudscan;
namespace fs = std::filesystem;
using fraudscan::testing::Entries;
using fraudscan::testing::TempDir;

namespace {

void Write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

const char* kRules = R"(
variants:
  characters: {薇: 微}
  words: {微信: [vx, 威信]}
  pinyin_min_chars: 3
rules:
  - id: r1
    type: task_rebate
    description: 刷单返利
    weight: 0.8
    all_of:
      - keywords: [刷单, 做任务]
        pinyin: true
      - patterns: ['返[^。]{0,4}佣金']
    within: 30
    unless:
      keywords: [举报]
    unless_within: transcript
    speaker: [客服]
    examples:
      match: [刷单返佣金, 做任务返还佣金]
      no_match: [举报刷单返佣金, 普通聊天]
)";

}  // namespace

TEST_CASE("rules cache: a second load reads the same rule set back") {
  TempDir tmp("cache-test");
  const fs::path rules = tmp.path / "rules";
  const fs::path cache = tmp.path / "cache";
  fs::create_directories(rules);
  Write(rules / "a.yaml", kRules);
  LoadResult first = LoadRules({rules}, LoadOptions{cache});
  REQUIRE(first.ok());
  REQUIRE(Entries(cache, "rules-") == 1);
  LoadResult second = LoadRules({rules}, LoadOptions{cache});
  REQUIRE(second.ok());
  const Rule& a = first.rule_set.rules.at(0);
  const Rule& b = second.rule_set.rules.at(0);
  CHECK(b.id == a.id);
  CHECK(b.type == a.type);
  CHECK(b.description == a.description);
  CHECK(b.weight == a.weight);
  CHECK(b.condition.kind == Condition::Kind::all_of);
  CHECK(b.condition.within == 30);
  REQUIRE(b.condition.parts.size() == 2);
  CHECK(b.condition.parts[0].keywords == a.condition.parts[0].keywords);
  CHECK(b.condition.parts[0].pinyin);
  CHECK(b.condition.parts[0].keyword_locations[1].line == a.condition.parts[0].keyword_locations[1].line);
  CHECK(b.condition.parts[0].keyword_locations[1].column == a.condition.parts[0].keyword_locations[1].column);
  CHECK(b.condition.parts[1].patterns == a.condition.parts[1].patterns);
  REQUIRE(b.unless.has_value());
  CHECK(b.unless->keywords == std::vector<std::string>{"举报"});
  CHECK(b.unless_within == -1);
  CHECK(b.speakers == std::vector<std::string>{"客服"});
  CHECK(b.match_examples.size() == 2);
  CHECK(b.no_match_examples.at(1).text == "普通聊天");
  CHECK(b.no_match_examples.at(1).where.line == a.no_match_examples.at(1).where.line);
  CHECK(b.where.file == a.where.file);
  CHECK(second.rule_set.word_variants.at(0).spellings == first.rule_set.word_variants.at(0).spellings);
  CHECK(second.rule_set.character_variants == first.rule_set.character_variants);
  CHECK(second.rule_set.pinyin_min_chars == 3);
  CHECK(second.rule_set.files == first.rule_set.files);
  // Warnings survive the cache.
  CHECK(second.diagnostics.size() == first.diagnostics.size());
}

TEST_CASE("rules cache: an edited file is parsed again; a damaged entry is ignored") {
  TempDir tmp("cache-test");
  const fs::path rules = tmp.path / "rules";
  const fs::path cache = tmp.path / "cache";
  fs::create_directories(rules);
  Write(rules / "a.yaml", kRules);
  REQUIRE(LoadRules({rules}, LoadOptions{cache}).ok());
  std::string edited = kRules;
  edited.replace(edited.find("weight: 0.8"), 11, "weight: 0.3");
  Write(rules / "a.yaml", edited);
  LoadResult after = LoadRules({rules}, LoadOptions{cache});
  REQUIRE(after.ok());
  CHECK(after.rule_set.rules.at(0).weight == doctest::Approx(0.3));
  CHECK(Entries(cache, "rules-") == 2);
  // Damage every entry: the load still succeeds, from the YAML.
  for (const auto& e : fs::directory_iterator(cache)) Write(e.path(), "{\"format\": 1, \"rules\": [");
  LoadResult damaged = LoadRules({rules}, LoadOptions{cache});
  REQUIRE(damaged.ok());
  CHECK(damaged.rule_set.rules.at(0).weight == doctest::Approx(0.3));
}

TEST_CASE("rules cache: a load with errors is not kept") {
  TempDir tmp("cache-test");
  const fs::path cache = tmp.path / "cache";
  Write(tmp.path / "bad.yaml", "rules:\n  - id: x\n    type: nonsense\n");
  CHECK_FALSE(LoadRules({tmp.path / "bad.yaml"}, LoadOptions{cache}).ok());
  CHECK((!fs::exists(cache) || Entries(cache, "rules-") == 0));
}

TEST_CASE("rules cache: pruning keeps the newest entries") {
  TempDir tmp("cache-test");
  for (int i = 0; i < 12; ++i) {
    const fs::path p = tmp.path / ("rules-" + std::to_string(i) + ".json");
    Write(p, "{}");
    fs::last_write_time(p, fs::file_time_type::clock::now() - std::chrono::hours(24 - i));
  }
  Write(tmp.path / "literals-1.hsdb", "x");
  detail::PruneCache(tmp.path, "rules-", 8);
  CHECK(Entries(tmp.path, "rules-") == 8);
  CHECK(fs::exists(tmp.path / "rules-11.json"));
  CHECK_FALSE(fs::exists(tmp.path / "rules-3.json"));
  CHECK(fs::exists(tmp.path / "literals-1.hsdb"));
}

TEST_CASE("rules cache: the same files elsewhere use the entry, with their own paths") {
  TempDir tmp("cache-test");
  const fs::path cache = tmp.path / "cache";
  for (const char* dir : {"a", "b"}) {
    fs::create_directories(tmp.path / dir);
    Write(tmp.path / dir / "r.yaml", kRules);
  }
  REQUIRE(LoadRules({tmp.path / "a"}, LoadOptions{cache}).ok());
  REQUIRE(Entries(cache, "rules-") == 1);
  LoadResult moved = LoadRules({tmp.path / "b"}, LoadOptions{cache});
  REQUIRE(moved.ok());
  CHECK(Entries(cache, "rules-") == 1);  // read back, not parsed and stored again
  const std::string b = (tmp.path / "b" / "r.yaml").string();
  CHECK(moved.rule_set.files == std::vector<std::string>{b});
  const Rule& r = moved.rule_set.rules.at(0);
  CHECK(r.where.file == b);
  CHECK(r.condition.parts.at(0).keyword_locations.at(0).file == b);
  CHECK(r.condition.parts.at(1).pattern_locations.at(0).file == b);
  CHECK(r.unless->keyword_locations.at(0).file == b);
  CHECK(r.match_examples.at(0).where.file == b);
  CHECK(moved.rule_set.word_variants.at(0).where.file == b);
  for (const auto& d : moved.diagnostics) CHECK(d.where.file == b);
  // Under another name the file is another rule set.
  Write(tmp.path / "b" / "s.yaml", kRules);
  fs::remove(tmp.path / "b" / "r.yaml");
  REQUIRE(LoadRules({tmp.path / "b"}, LoadOptions{cache}).ok());
  CHECK(Entries(cache, "rules-") == 2);
}
