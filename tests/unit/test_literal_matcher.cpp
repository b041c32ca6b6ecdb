// The literal pass (lib/src/literal_matcher.hpp): every engine finds what a plain
// substring search finds, and the trie reads back from its cache what it built.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "literal_matcher.hpp"
#include "temp_dir.hpp"

using fraudscan::detail::LiteralMatcher;
using fraudscan::detail::MakeLiteralMatcher;

namespace {

struct Found {
  std::set<int> hits;                      // literals without positions: each once
  std::set<std::pair<int, uint32_t>> at;   // literals with positions: (index, end)
  std::size_t hit_reports = 0;             // how many hits were reported, duplicates included
};

Found Run(const LiteralMatcher& m, std::string_view text) {
  std::vector<int> hits;
  std::vector<LiteralMatcher::Occurrence> occurrences;
  m.Match(text, &hits, &occurrences);
  Found f;
  f.hits.insert(hits.begin(), hits.end());
  f.hit_reports = hits.size();
  for (const auto& o : occurrences) f.at.emplace(o.index, o.end);
  return f;
}

// What a plain substring search finds.
Found Expected(const std::vector<std::string>& literals, const std::vector<char>& positional, std::string_view text) {
  Found f;
  for (std::size_t i = 0; i < literals.size(); ++i) {
    for (std::size_t p = text.find(literals[i]); p != std::string_view::npos; p = text.find(literals[i], p + 1)) {
      if (positional[i]) {
        f.at.emplace(static_cast<int>(i), static_cast<uint32_t>(p + literals[i].size()));
      } else {
        f.hits.insert(static_cast<int>(i));
      }
    }
  }
  f.hit_reports = f.hits.size();
  return f;
}

std::unique_ptr<LiteralMatcher> Build(const std::string& engine, const std::vector<std::string>& literals,
                                      const std::vector<char>& positional, const std::filesystem::path& cache = {}) {
  auto m = MakeLiteralMatcher(engine);
  for (std::size_t i = 0; i < literals.size(); ++i) m->Add(literals[i], positional[i] != 0);
  std::string error;
  REQUIRE(m->Compile(&error, cache));
  return m;
}

// Literals that share prefixes and suffixes, repeat, and overlap in the text.
const std::vector<std::string> kLiterals = {"微信", "加微信", "微信号", "微信", "信号", "号", "刷单", "刷单返利",
                                            "返利", "a", "ab", "abc", "bc", "验证码", "码"};
const std::vector<char> kPositional = {0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0};
const std::string kText = "先加微信号再加微信，刷单返利返利abcab验证码号码";

}  // namespace

TEST_CASE("literal matcher: the trie finds every literal a substring search finds, at every end") {
  const auto m = Build("trie", kLiterals, kPositional);
  const Found got = Run(*m, kText);
  const Found want = Expected(kLiterals, kPositional, kText);
  CHECK(got.hits == want.hits);
  CHECK(got.at == want.at);
  CHECK(got.hit_reports == want.hits.size());  // each once
  // Nothing found in text without the literals, or in an empty text.
  CHECK(Run(*m, "今天天气很好").hits.empty());
  CHECK(Run(*m, "").at.empty());
}

TEST_CASE("literal matcher: the trie agrees with a substring search on random text") {
  std::mt19937 rng(7);
  const std::string alphabet[] = {"微", "信", "号", "刷", "单", "返", "利", "a", "b", "c", "验", "证", "码", "，"};
  const auto m = Build("trie", kLiterals, kPositional);
  for (int round = 0; round < 200; ++round) {
    std::string text;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) text += alphabet[rng() % std::size(alphabet)];
    CAPTURE(text);
    const Found got = Run(*m, text);
    const Found want = Expected(kLiterals, kPositional, text);
    CHECK(got.hits == want.hits);
    CHECK(got.at == want.at);
  }
}

#ifdef FRAUDSCAN_HAVE_HYPERSCAN
TEST_CASE("literal matcher: the trie and Hyperscan report the same") {
  const auto trie = Build("trie", kLiterals, kPositional);
  const auto hs = Build("hyperscan", kLiterals, kPositional);
  const Found a = Run(*trie, kText);
  const Found b = Run(*hs, kText);
  CHECK(a.hits == b.hits);
  CHECK(a.at == b.at);
}
#endif

TEST_CASE("literal matcher: the trie is read back from its cache, and a damaged entry is rebuilt") {
  fraudscan::testing::TempDir dir("trie-cache");
  const std::string encoded = LiteralMatcher::Encode(kLiterals, kPositional);
  const Found want = Expected(kLiterals, kPositional, kText);
  {
    auto m = MakeLiteralMatcher("trie");
    std::string error;
    REQUIRE(m->CompileEncoded(encoded, &error, dir.path));
    CHECK(Run(*m, kText).at == want.at);
  }
  REQUIRE(fraudscan::testing::Entries(dir.path, "literals-") == 1);
  {
    // A hit decodes only the flags: the literals are not needed to match.
    auto m = MakeLiteralMatcher("trie");
    std::string error;
    REQUIRE(m->CompileEncoded(encoded, &error, dir.path));
    CHECK(m->literals().empty());
    const Found got = Run(*m, kText);
    CHECK(got.hits == want.hits);
    CHECK(got.at == want.at);
  }
  // Damage the entry: it is a miss, and the literals are compiled again.
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) {
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
  }
  auto m = MakeLiteralMatcher("trie");
  std::string error;
  REQUIRE(m->CompileEncoded(encoded, &error, dir.path));
  CHECK(m->literals().size() == kLiterals.size());
  const Found got = Run(*m, kText);
  CHECK(got.hits == want.hits);
  CHECK(got.at == want.at);
}

TEST_CASE("literal matcher: the default engine is the trie, and an unknown one is refused") {
  CHECK(MakeLiteralMatcher()->name() == "trie");
  CHECK_THROWS_AS(MakeLiteralMatcher("grep"), std::invalid_argument);
}
