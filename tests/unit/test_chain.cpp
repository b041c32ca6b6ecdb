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

// Return the matches of `chains` in `line` (no '\n' in it), each chain's leftmost first.
std::vector<detail::Occurrence> ChainMatches(const std::vector<detail::Chain>& chains, const std::string& line) {
  std::vector<detail::Occurrence> out;
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
    auto m = detail::MatchChain(chain, line, occ, char_at, 1);
    out.insert(out.end(), m.begin(), m.end());
  }
  return out;
}

bool ChainsMatch(const std::vector<detail::Chain>& chains, const std::string& line) {
  return !ChainMatches(chains, line).empty();
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

  // Repeats of a positive class (\d, \s, [...]) are gaps of its characters, unbounded
  // for '+' and '*'.
  c = DecomposePattern("每天\\d+元");
  REQUIRE(c.has_value());
  REQUIRE(c->front().gaps.size() == 1);
  CHECK_FALSE(c->front().gaps[0].negated);
  CHECK(c->front().gaps[0].min == 1);
  CHECK(c->front().gaps[0].max == detail::kUnbounded);
  // Next to another gap, its minimum becomes literals: 跌了, gap, digit, digits, 个点.
  c = DecomposePattern("跌了[^。]{0,4}[0-9]+个点");
  REQUIRE(c.has_value());
  REQUIRE(c->front().segments.size() == 3);
  CHECK(c->front().segments[1].size() == 10);
  // At an end, only the minimum is needed; the span widens over the rest.
  c = DecomposePattern("[0-9]{1,3}%的收益");
  REQUIRE(c.has_value());
  REQUIRE(c->front().segments.size() == 1);
  CHECK(c->front().segments[0].size() == 10);
  CHECK(c->front().lead.max == 2);
  // Literal sets whose product is too large stay apart, with no gap between them.
  c = DecomposePattern("(不用|不需要|无需|不必|不收)(您|你)?(再|重新|任何)?(付|交|补|充|转|垫|押金|费用|钱|手续费|保证金)");
  REQUIRE(c.has_value());
  CHECK(c->front().segments.size() >= 2);
  for (const auto& each : *c) {
    for (const auto& gap : each.gaps) CHECK(gap.max == 0);
  }

  // A group around the whole pattern is its top level.
  c = DecomposePattern("((订单|包裹)[^。\\n]{0,25}(异常|丢失)|质量问题|(?:误操作))");
  REQUIRE(c.has_value());
  CHECK(c->size() == 3);
}

TEST_CASE("chain: shapes that stay RE2 patterns") {
  for (const char* p : {"[0-9]{4,8}", "a.*b", "[^。]+元", "\\d+[^。]{0,3}\\s*元", "a+b", "(?i)ab", "^开头", "结尾$", "a{2}", "\\b", "ab[^c]{3,}d",
                        "(a|b)*", "(a", "a)", "[a", "", "a(?P<n>b)", "x\\pNy", "Σ"}) {
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

TEST_CASE("chain: agrees with RE2 on repeated classes, digits and spaces") {
  const std::vector<std::string> lines = {
      "每天5元", "每天15元", "每天 15 元", "每天元", "每天一五元", "每天1。5元", "连续3个涨停", "连续拉了12个涨停",
      "连续。3个涨停", "连续十个涨停", "收益15%", "收益率高达 150 %", "年化1%", "年化12.5%", "年化12.%", "12%的年化收益",
      "100%的收益", "5 % 的收益", "不用再付了", "不需要您任何费用", "无需重新交押金", "不收你钱", "不用担心", "转账3次共计5万元",
      "转账 3 次", "验证码123456", "尾号1234入账500元", "dian 赞", "dian赞", "d ian赞"};
  CheckAgainstRe2("每天\\d+元", lines);
  CheckAgainstRe2("每天\\s*\\d+元", lines);
  CheckAgainstRe2("(连续|连拉|连着)[^。！？\\n]{0,3}([二三四五六七八九十几两]|\\d+)个?涨停", lines);
  CheckAgainstRe2("(年化|收益率|回报率)[^。！？\\n]{0,8}[1-9]\\d?(\\.\\d+)?%", lines);
  CheckAgainstRe2("[1-9]\\d{0,2}(\\.\\d+)?%(以上|左右|多)?的?(回报率|收益率|年化收益|回报|收益)", lines);
  CheckAgainstRe2("(不用|不需要|无需|不必|不收)(您|你)?(再|重新|任何)?(付|交|补|充|转|垫|押金|费用|钱)", lines);
  CheckAgainstRe2("转账[0-9]+次[^。]{0,4}[0-9一二三四五六七八九十]+万", lines);
  CheckAgainstRe2("dian\\s*赞", lines);
  CheckAgainstRe2("[0-9]{2,5}(元|块)?", lines);
  // A class repeated too often at an end to be literals is counted instead.
  const std::vector<std::string> ids = {"加我微信号abc12", "微信号ab_1", "微信号：abcdef", "微信号 abcde", "微信abcde12",
                                        "微信号abc。de", "微信号", "来领取", "请在三天内领取", "领取", "。领取", "一二三四五六领取"};
  CheckAgainstRe2("(微信|vx)(号)?[:：]?[a-z0-9_-]{5,}", ids);
  CheckAgainstRe2("[^。]{1,5}领取", ids);
  CheckAgainstRe2("领取[^。]{2,3}", ids);
  CheckAgainstRe2("号[^。]{3,4}", ids);
}

TEST_CASE("chain: a leading or trailing class repeat widens the span as RE2's does") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[0-9]{1,3}%的收益", "年化115%的收益"}, {"收益[0-9]+", "收益12345元"}, {"[1-9][0-9]*%", "达到250%以上"},
      {"收益\\s*[0-9]{2,4}", "收益 123456"}, {"微信号[a-z0-9_-]{5,}", "加微信号abc_123。"},
      {"[^。]{1,3}领取", "快来领取"}};
  for (const auto& [pattern, line] : cases) {
    CAPTURE(pattern);
    auto chains = DecomposePattern(pattern);
    REQUIRE(chains.has_value());
    RE2 re(pattern, PatternOptions());
    re2::StringPiece m;
    REQUIRE(RE2::PartialMatch(line, "(" + pattern + ")", &m));
    auto found = ChainMatches(*chains, line);
    REQUIRE(found.size() == 1);
    CHECK(line.substr(found[0].begin, found[0].end - found[0].begin) == std::string(m));
  }
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
