// Decomposed patterns (lib/src/chain.hpp) must decide exactly what RE2 decides.
#include <doctest/doctest.h>

#include <re2/re2.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "chain.hpp"
#include "pattern_options.hpp"
#include "fraudscan/matcher.hpp"

using namespace fraudscan;
using fraudscan::detail::DecomposePattern;
using fraudscan::detail::PatternOptions;

namespace {

// Return true iff one of `chains` matches somewhere in `line` (no '\n' in it).
bool ChainsMatch(const std::vector<detail::Chain>& chains, const std::string& line) {
  std::vector<uint32_t> char_at(line.size() + 1);
  uint32_t chars = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char_at[i] = chars;
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++chars;
  }
  char_at[line.size()] = chars;
  for (const auto& chain : chains) {
    std::vector<std::vector<detail::Occurrence>> occ(chain.segments.size());
    for (std::size_t i = 0; i < chain.segments.size(); ++i) {
      for (const auto& lit : chain.segments[i]) {
        for (auto pos = line.find(lit); pos != std::string::npos; pos = line.find(lit, pos + 1)) {
          if ((static_cast<unsigned char>(line[pos]) & 0xC0) == 0x80) continue;  // inside a character
          occ[i].push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(pos + lit.size())});
        }
      }
      std::sort(occ[i].begin(), occ[i].end(), [](const auto& a, const auto& b) { return a.begin < b.begin; });
    }
    if (!detail::MatchChain(chain, line, occ, char_at, 1).empty()) return true;
  }
  return false;
}

// Check that `pattern` decomposes and agrees with RE2 on each of `lines`.
void CheckAgainstRe2(const std::string& pattern, const std::vector<std::string>& lines) {
  CAPTURE(pattern);
  auto chains = DecomposePattern(pattern);
  REQUIRE(chains.has_value());
  RE2 re(pattern, PatternOptions());
  REQUIRE(re.ok());
  for (const auto& line : lines) {
    CAPTURE(line);
    CHECK(ChainsMatch(*chains, line) == RE2::PartialMatch(line, re));
  }
}

}  // namespace

TEST_CASE("chain: the shapes that decompose") {
  auto c = DecomposePattern("(拨打|致电)[^。！？\\n]{0,6}(客服|热线)的?(电话|号码)");
  REQUIRE(c.has_value());
  REQUIRE(c->size() == 1);
  const auto& chain = c->front();
  REQUIRE(chain.segments.size() == 2);
  CHECK(chain.segments[0] == std::vector<std::string>{"拨打", "致电"});
  CHECK(chain.segments[1].size() == 8);  // 2 x 2 x 2
  REQUIRE(chain.gaps.size() == 1);
  CHECK(chain.gaps[0].min == 0);
  CHECK(chain.gaps[0].max == 6);
  CHECK(chain.gaps[0].negated);
  CHECK(chain.gaps[0].chars == std::vector<char32_t>{U'\n', U'。', U'！', U'？'});

  // An optional segment between gaps: one chain with it, one without (gaps summed).
  c = DecomposePattern("投资[^。\\n]{0,8}(公司)?[^。\\n]{0,6}经理");
  REQUIRE(c.has_value());
  REQUIRE(c->size() == 2);
  CHECK((*c)[0].segments.size() == 2);
  CHECK((*c)[0].gaps[0].max == 14);
  CHECK((*c)[1].segments.size() == 3);

  // Top-level alternatives, small classes, escaped punctuation, ASCII case.
  c = DecomposePattern("翻[一两]倍|APP\\.下载");
  REQUIRE(c.has_value());
  REQUIRE(c->size() == 2);
  CHECK((*c)[0].segments[0] == std::vector<std::string>{"翻一倍", "翻两倍"});
  CHECK((*c)[1].segments[0] == std::vector<std::string>{"app.下载"});

  // A bounded repeat of a small class is a gap of those characters.
  c = DecomposePattern("加[个下我一]{0,3}(微信|qq)");
  REQUIRE(c.has_value());
  REQUIRE(c->front().gaps.size() == 1);
  CHECK_FALSE(c->front().gaps[0].negated);
  CHECK(c->front().gaps[0].chars == std::vector<char32_t>{U'一', U'下', U'个', U'我'});

  // A group whose alternatives hold gaps: each alternative its own chain.
  c = DecomposePattern("(需缴纳|除非[^。]{0,3}支付)[^。]{0,6}保证金");
  REQUIRE(c.has_value());
  CHECK(c->size() == 2);

  // A group around the whole pattern is its top level.
  c = DecomposePattern("((订单|包裹)[^。\\n]{0,25}(异常|丢失)|质量问题|(?:误操作))");
  REQUIRE(c.has_value());
  CHECK(c->size() == 3);
}

TEST_CASE("chain: shapes that stay RE2 patterns") {
  for (const char* p : {"[0-9]{4,8}", "\\d+元", "a.*b", "a+b", "(?i)ab", "^开头", "结尾$", "a{2}", "\\b", "ab[^c]{3,}d",
                        "[^。]{1,5}领取", "(a|b)*", "(a", "a)", "[a", "", "a(?P<n>b)", "x\\pNy", "Σ"}) {
    CAPTURE(p);
    CHECK_FALSE(DecomposePattern(p).has_value());
  }
}

TEST_CASE("chain: agrees with RE2 on gaps, barriers and overlaps") {
  const std::vector<std::string> lines = {
      "请拨打客服电话", "拨打我们的客服号码", "拨打。客服电话", "拨打一二三四五六七客服电话", "致电热线的电话",
      "客服电话拨打", "拨打客服", "打客服电话", "拨打拨打热线的号码", "拨打了这个官方客服的电话号码",
  };
  CheckAgainstRe2("(拨打|致电)[^。！？\\n]{0,6}(客服|热线)的?(电话|号码)", lines);
  CheckAgainstRe2("(拨打|致电).{2,6}(电话|号码)", lines);
  CheckAgainstRe2("拨打[^。]{0,3}(客服)?[^。]{0,2}(电话|号码)", lines);
  CheckAgainstRe2("客服[^。]?电话|拨打[^。]{1,1}客服", lines);
  const std::vector<std::string> add = {"加微信", "加个微信", "加我一下微信", "加我一下下微信", "加了微信", "加下qq",
                                        "加 个微信", "加个我一下微信"};
  CheckAgainstRe2("加[个下我一]{0,3}(微信|qq)", add);
  CheckAgainstRe2("加[个下我一]{1,2}微信", add);
  const std::vector<std::string> fee = {"需缴纳六百元保证金", "除非先支付保证金", "除非你今天先支付两百保证金",
                                        "除非。支付保证金", "支付保证金", "需缴纳。保证金", "还需要交保证金"};
  CheckAgainstRe2("(需缴纳|除非[^。]{0,3}支付)[^。]{0,6}保证金", fee);
  CheckAgainstRe2("(还需要|(除非|只有)[^。]{0,3}(支付|交))?[^。]{0,6}保证金", fee);
}

TEST_CASE("chain: every shipped pattern that decomposes agrees with RE2 on the corpus") {
  const std::filesystem::path root = FRAUDSCAN_SOURCE_DIR;
  auto loaded = LoadRules({root / "rules"});
  REQUIRE(loaded.ok());
  std::vector<std::string> patterns;
  auto collect = [&](auto& self, const Condition& c) -> void {
    patterns.insert(patterns.end(), c.patterns.begin(), c.patterns.end());
    for (const auto& p : c.parts) self(self, p);
  };
  for (const auto& rule : loaded.rule_set.rules) {
    collect(collect, rule.condition);
    if (rule.unless) collect(collect, *rule.unless);
  }
  // The corpus, normalized as the scanner sees it, one line at a time.
  const Normalizer norm;
  std::vector<std::string> lines;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root / "corpus")) {
    if (entry.path().extension() != ".txt") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::istringstream text(norm.Normalize(ss.str()));
    for (std::string line; std::getline(text, line);) lines.push_back(line);
  }
  REQUIRE(lines.size() > 1000);
  std::size_t decomposed = 0;
  for (const auto& p : patterns) {
    auto chains = DecomposePattern(p);
    if (!chains) continue;
    ++decomposed;
    RE2 re(p, PatternOptions());
    REQUIRE(re.ok());
    std::size_t disagreements = 0;
    for (const auto& line : lines) {
      if (ChainsMatch(*chains, line) != RE2::PartialMatch(line, re)) {
        if (++disagreements <= 3) FAIL_CHECK("chain and RE2 disagree on '" << p << "' in: " << line);
      }
    }
  }
  MESSAGE(decomposed << " of " << patterns.size() << " shipped patterns decompose");
  // Most shipped patterns are literal sets with gaps; if this fails, the decomposer
  // lost a shape it used to handle.
  CHECK(decomposed * 10 >= patterns.size() * 7);
}
