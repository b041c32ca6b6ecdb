#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "fraudscan/matcher.hpp"

using namespace fraudscan;

namespace {

const Normalizer& Norm() {
  static const Normalizer n;
  return n;
}

std::shared_ptr<const CompiledRules> Compile(const std::string& yaml) {
  auto loaded = ParseRules(yaml, "t.yaml");
  REQUIRE(loaded.ok());
  auto compiled = CompileRules(std::move(loaded.rule_set), Norm());
  REQUIRE(compiled.ok());
  return compiled.rules;
}

// Return the hits of `rules` on `text` (a plain-text transcript).
std::vector<RuleHit> Hits(const CompiledRules& rules, const std::string& text) {
  Transcript t = ParsePlainText("t", text);
  NormalizedTranscript nt = NormalizeTranscript(Norm(), t);
  return rules.Match(nt);
}

// Return the ids of the rules that fire on `text` (a plain-text transcript).
std::vector<std::string> Fired(const CompiledRules& rules, const std::string& text) {
  std::vector<std::string> ids;
  for (const auto& h : Hits(rules, text)) ids.push_back(h.rule->id);
  return ids;
}

bool Fires(const CompiledRules& rules, const std::string& id, const std::string& text) {
  auto ids = Fired(rules, text);
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::string RuleYaml(const std::string& id, const std::string& body) {
  return "  - id: " + id + "\n    type: move\n    description: d\n    weight: 0.5\n" + body;
}

}  // namespace

TEST_CASE("matcher: keywords are normalized and matched case-insensitively") {
  auto rules = Compile("rules:\n" + RuleYaml("k", "    keywords: [ＶＸ, 刷单]\n"));
  CHECK(Fires(*rules, "k", "加我vx"));
  CHECK(Fires(*rules, "k", "加我ＶＸ"));
  CHECK(Fires(*rules, "k", "加我VX"));
  CHECK(Fires(*rules, "k", "刷\u200B单"));
  CHECK_FALSE(Fires(*rules, "k", "加我微信"));
}

TEST_CASE("matcher: pattern literals are normalized like keywords, classes are not") {
  // Written in traditional characters or full width, a literal would never meet the
  // normalized text; it is matched as its normalized form instead, decomposed or not.
  auto rules = Compile("rules:\n" +
                       RuleYaml("chain", "    patterns: ['刷單[^。]{0,3}返傭']\n") +
                       RuleYaml("re2", "    patterns: ['兼職\\d+元']\n") +
                       RuleYaml("wide", "    patterns: ['加ＶＸ?好友']\n"));
  CHECK(Fires(*rules, "chain", "刷单可以返佣"));
  CHECK(Fires(*rules, "chain", "刷單可以返傭"));  // the text is normalized too
  CHECK_FALSE(Fires(*rules, "chain", "刷单。返佣"));
  CHECK(Fires(*rules, "re2", "兼职30元"));
  CHECK(Fires(*rules, "wide", "加vx好友"));
  CHECK(Fires(*rules, "wide", "加v好友"));  // the ? still applies to Ｘ alone
  CHECK_FALSE(Fires(*rules, "wide", "加好友"));
  CHECK_FALSE(Fires(*rules, "wide", "加vv好友"));
}

TEST_CASE("matcher: patterns do not cross turns") {
  auto rules = Compile("rules:\n" + RuleYaml("p", "    patterns: ['下载.{0,10}会议']\n"));
  CHECK(Fires(*rules, "p", "您先下载一个腾讯会议"));
  CHECK_FALSE(Fires(*rules, "p", "客服：您先下载\n用户：什么会议"));
}

TEST_CASE("matcher: all_of within a window, evaluated on positions") {
  auto rules = Compile("rules:\n" + RuleYaml("w", "    all_of:\n      - keywords: [会员]\n      - keywords: [扣费]\n"
                                              "    within: 10\n"));
  CHECK(Fires(*rules, "w", "会员每月扣费"));
  CHECK(Fires(*rules, "w", "扣费的会员"));  // order does not matter
  CHECK_FALSE(Fires(*rules, "w", "会员一二三四五六七八九十扣费"));
  CHECK(Fires(*rules, "w", "会员一二三四五六七八九十扣费会员"));  // the second 会员 is close
  CHECK_FALSE(Fires(*rules, "w", "只有会员"));
  // Combinations cross turns.
  CHECK(Fires(*rules, "w", "A: 会员\nB: 扣费\n"));
}

TEST_CASE("matcher: all_of without within is transcript-wide") {
  auto rules = Compile("rules:\n" + RuleYaml("t", "    all_of:\n      - keywords: [导师]\n      - keywords: [收益]\n"));
  CHECK(Fires(*rules, "t", "导师" + std::string(3000, 'x') + "收益"));
}

TEST_CASE("matcher: n_of counts distinct parts") {
  auto rules = Compile("rules:\n" + RuleYaml("n", "    n_of:\n      n: 2\n      of:\n        - keywords: [a1]\n"
                                              "        - keywords: [b2]\n        - keywords: [c3]\n    within: 20\n"));
  CHECK(Fires(*rules, "n", "a1 c3"));
  CHECK_FALSE(Fires(*rules, "n", "a1 a1 a1"));
  CHECK_FALSE(Fires(*rules, "n", "a1 xxxxxxxxxxxxxxxxxxxxxxxxxxxx c3"));
}

TEST_CASE("matcher: nested combinations") {
  auto rules = Compile("rules:\n" + RuleYaml("x", "    all_of:\n      - any_of:\n          - keywords: [腾讯会议]\n"
                                              "          - keywords: [钉钉]\n      - keywords: [共享屏幕]\n"
                                              "    within: 15\n"));
  CHECK(Fires(*rules, "x", "下载钉钉然后共享屏幕"));
  CHECK(Fires(*rules, "x", "打开腾讯会议点共享屏幕"));
  CHECK_FALSE(Fires(*rules, "x", "共享屏幕"));
}

TEST_CASE("matcher: unless drops hits near an exception") {
  auto rules = Compile("rules:\n" + RuleYaml("u", "    keywords: [共享屏幕]\n    unless:\n      keywords: [不要]\n"
                                              "    unless_within: 4\n"));
  CHECK(Fires(*rules, "u", "请您共享屏幕"));
  CHECK_FALSE(Fires(*rules, "u", "千万不要共享屏幕"));
  CHECK(Fires(*rules, "u", "不要慌张，接下来请您打开共享屏幕"));  // the 不要 is far away
  auto whole = Compile("rules:\n" + RuleYaml("v", "    keywords: [共享屏幕]\n    unless:\n      keywords: [96110]\n"
                                              "    unless_within: transcript\n"));
  CHECK_FALSE(Fires(*whole, "v", "96110提醒您" + std::string(500, 'x') + "共享屏幕"));
}

TEST_CASE("matcher: speaker restriction") {
  auto rules = Compile("rules:\n" + RuleYaml("s", "    keywords: [验证码]\n    speaker: ['^客服$']\n"));
  CHECK(Fires(*rules, "s", "客服：把验证码告诉我\n用户：好的\n"));
  CHECK_FALSE(Fires(*rules, "s", "客服：您好\n用户：我收到验证码了\n"));
}

TEST_CASE("matcher: hits report the parts of their first match") {
  auto rules = Compile("rules:\n" + RuleYaml("w", "    all_of:\n      - keywords: [会员]\n      - keywords: [扣费]\n"
                                              "    within: 10\n"));
  Transcript t = ParsePlainText("t", "您的会员将扣费");
  NormalizedTranscript nt = NormalizeTranscript(Norm(), t);
  auto hits = rules->Match(nt);
  REQUIRE(hits.size() == 1);
  REQUIRE(hits[0].parts.size() == 2);
  CHECK(nt.text.text.substr(hits[0].parts[0].begin, hits[0].parts[0].end - hits[0].parts[0].begin) == "会员");
  CHECK(nt.text.text.substr(hits[0].parts[1].begin, hits[0].parts[1].end - hits[0].parts[1].begin) == "扣费");
}

TEST_CASE("matcher: regex errors name the pattern's line and the offending part") {
  auto loaded = ParseRules("rules:\n" + RuleYaml("bad", "    patterns:\n      - '(未闭合'\n      - 'ok'\n      - 'x{2,1}'\n"),
                           "bad.yaml");
  REQUIRE(loaded.ok());
  auto compiled = CompileRules(std::move(loaded.rule_set), Norm());
  CHECK_FALSE(compiled.ok());
  REQUIRE(compiled.diagnostics.size() == 2);
  CHECK(FormatDiagnostic(compiled.diagnostics[0]).starts_with("bad.yaml:7:9: error: bad pattern '(未闭合'"));
  CHECK(compiled.diagnostics[1].where.line == 9);
}

TEST_CASE("matcher: a pattern that matches the empty string is rejected") {
  auto loaded = ParseRules("rules:\n" + RuleYaml("empty", "    patterns: ['a*']\n"), "e.yaml");
  auto compiled = CompileRules(std::move(loaded.rule_set), Norm());
  CHECK_FALSE(compiled.ok());
}

TEST_CASE("matcher: shared atoms are compiled once") {
  auto rules = Compile("rules:\n" + RuleYaml("a", "    keywords: [微信, 转账]\n") + RuleYaml("b", "    keywords: [微信]\n"));
  CHECK(rules->AtomPatterns().size() == 2);
  auto ids = Fired(*rules, "加微信");
  CHECK(ids == std::vector<std::string>{"a", "b"});
}

TEST_CASE("matcher: word variants from the rule set expand keywords") {
  auto rules = Compile("variants:\n  words:\n    微信: [薇信, vx]\nrules:\n" + RuleYaml("k", "    keywords: [加微信]\n"));
  CHECK(Fires(*rules, "k", "加微信"));
  CHECK(Fires(*rules, "k", "加薇信"));
  CHECK(Fires(*rules, "k", "加ＶＸ"));
  CHECK_FALSE(Fires(*rules, "k", "加 V X"));  // a space between ASCII letters stays: "v x"
  CHECK_FALSE(Fires(*rules, "k", "加威信"));
}

TEST_CASE("matcher: pinyin keywords match homophones and say so") {
  auto rules = Compile("rules:\n" + RuleYaml("p", "    keywords: [共享屏幕]\n    pinyin: true\n") +
                       RuleYaml("q", "    keywords: [共享屏幕]\n"));
  auto hits = Hits(*rules, "请您打开共想屏幕");
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].rule->id == "p");
  CHECK(hits[0].homophone);
  CHECK(rules->IsHomophoneAtom(hits[0].parts[0].atom));
  CHECK(rules->AtomNote(hits[0].parts[0].atom) == "homophone of 共享屏幕");
  // Speech recognition swaps a character or two, not most of a word: three of four
  // changed is another phrase that sounds alike.
  CHECK(Fired(*rules, "请您打开共想平目").empty());
  // The exact spelling is an ordinary hit.
  for (const auto& h : Hits(*rules, "请您打开共享屏幕")) CHECK_FALSE(h.homophone);
}

TEST_CASE("matcher: keywords that sound alike each judge their own homophones") {
  // 包过 and 包裹 have one homophone key; 保裹 is one character from 包裹, two from 包过.
  auto rules = Compile("rules:\n" + RuleYaml("a", "    keywords: [包过]\n    pinyin: true\n") +
                       RuleYaml("b", "    keywords: [包裹]\n    pinyin: true\n"));
  auto hits = Hits(*rules, "您的保裹丢了");
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].rule->id == "b");
  CHECK(rules->AtomNote(hits[0].parts[0].atom) == "homophone of 包裹");
  CHECK(Fired(*rules, "考试保过") == std::vector<std::string>{"a"});
}

TEST_CASE("matcher: a homophone is never a dictionary word nor part of one") {
  auto rules = Compile("rules:\n" + RuleYaml("p", "    keywords: [某音]\n    pinyin: true\n") +
                       RuleYaml("q", "    keywords: [客服]\n    pinyin: true\n"));
  CHECK(Fires(*rules, "p", "我是某吟的人"));          // 吟 for 音: nothing else it could be
  CHECK_FALSE(Fires(*rules, "p", "我是某银行的人"));  // 银 belongs to 银行
  CHECK(Fires(*rules, "q", "联系刻服处理"));          // 刻 for 客
  CHECK_FALSE(Fires(*rules, "q", "我们一起克服困难"));  // 克服 is a word of its own
  // The keyword put back must stand as a word: 改一下价 would be 改/一下/架, not 下架.
  auto shelf = Compile("rules:\n" + RuleYaml("r", "    keywords: [下架]\n    pinyin: true\n"));
  CHECK(Fires(*shelf, "r", "商品已经下价了"));  // 已经/下架/了
  CHECK_FALSE(Fires(*shelf, "r", "我改一下价"));
}

TEST_CASE("matcher: not_misheard characters are never swapped, either way") {
  auto rules = Compile("variants:\n  not_misheard: 吗假\nrules:\n" +
                       RuleYaml("p", "    keywords: [验证码, 加客服]\n    pinyin: true\n"));
  CHECK(Fires(*rules, "p", "把验证玛发给我"));
  CHECK_FALSE(Fires(*rules, "p", "你要验证吗"));   // a question, not a code
  CHECK_FALSE(Fires(*rules, "p", "不要联系假客服"));  // a warning, not an invitation
}

TEST_CASE("matcher: patterns match homophones too, and leave the exact places to themselves") {
  auto rules = Compile("rules:\n" + RuleYaml("p", "    patterns: ['(下载|安装)[^。]{0,6}(会议|腾讯会议)']\n    pinyin: true\n"));
  auto hits = Hits(*rules, "您先下栽一个会议软件");
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].homophone);
  CHECK(rules->AtomNote(hits[0].parts[0].atom).starts_with("homophone of (下载|安装)"));
  hits = Hits(*rules, "您先下载一个会议软件");
  REQUIRE(hits.size() == 1);
  CHECK_FALSE(hits[0].homophone);
  // The gap still may not cross a sentence end.
  CHECK(Fired(*rules, "您先下栽。一个会议软件").empty());
}

TEST_CASE("matcher: pinyin_min_chars covers every rule and exception, pinyin: false opts out") {
  const std::string yaml = "variants:\n  pinyin_min_chars: 2\nrules:\n" +
                           RuleYaml("a", "    keywords: [刷单返利]\n    unless:\n      keywords: [诈骗]\n"
                                         "    unless_within: transcript\n") +
                           RuleYaml("b", "    keywords: [刷单返利]\n    pinyin: false\n");
  auto rules = Compile(yaml);
  auto ids = Fired(*rules, "兼职刷单反利日结");
  CHECK(ids == std::vector<std::string>{"a"});
  // A misheard warning is still a warning: the exception matches its homophone too.
  CHECK(Fired(*rules, "兼职刷单反利都是炸骗").empty());
}

TEST_CASE("matcher: a part of a phrase heard exactly around it may be misheard more") {
  auto rules = Compile("rules:\n" +
                       RuleYaml("p", "    patterns: ['(我是|这里是)[^。]{0,10}(业务员|客服)']\n    pinyin: true\n") +
                       RuleYaml("q", "    keywords: [业务员]\n    pinyin: true\n"));
  // Two of three characters of 业务员 changed: in the phrase, with 我是 heard as said...
  auto hits = Hits(*rules, "您好我是招联金融的掖务辕");
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].rule->id == "p");
  CHECK(hits[0].homophone);
  // ...but not on its own, nor when the rest of the phrase is misheard too.
  CHECK(Fired(*rules, "招联金融的掖务辕").empty());
  CHECK(Fired(*rules, "您好我适招联金融的掖务辕").empty());
  // One character changed needs no context (我适 for 我是).
  CHECK(Fires(*rules, "p", "您好我适招联金融的业务员"));
  // A word of its own is still a word: 克服 is not 客服, even after 我是.
  CHECK_FALSE(Fires(*rules, "p", "我是怎么克服的"));
}

TEST_CASE("matcher: exceptions take their homophones leniently") {
  const std::string yaml = "variants:\n  pinyin_min_chars: 2\nrules:\n" +
                           RuleYaml("a", "    keywords: [押金]\n    pinyin: false\n    unless:\n      keywords: [不收取]\n"
                                         "    unless_within: transcript\n") +
                           RuleYaml("b", "    keywords: [不收取]\n");
  auto rules = Compile(yaml);
  CHECK(Fired(*rules, "我们押金不收取") == std::vector<std::string>{"b"});
  // Two of three characters misheard: too many for a condition, enough for an exception.
  CHECK(Fired(*rules, "我们押金簿收趣").empty());
  CHECK(Fired(*rules, "我们押金要收取") == std::vector<std::string>{"a"});
  // An exception's keyword may be heard as a word of its own (片子 for 骗子)...
  auto warned = Compile("variants:\n  pinyin_min_chars: 2\nrules:\n" +
                        RuleYaml("c", "    keywords: [私下交易]\n    unless:\n      keywords: [骗子]\n"
                                      "    unless_within: transcript\n"));
  CHECK(Fired(*warned, "让你私下交易的大概率是骗子").empty());
  CHECK(Fired(*warned, "让你私下交易的大概率是片子").empty());
  CHECK(Fired(*warned, "让你私下交易的") == std::vector<std::string>{"c"});
}

TEST_CASE("matcher: variants: false keeps keywords and patterns to their own spelling") {
  const std::string yaml = "variants:\n  words:\n    贷款: [带款, dai款]\nrules:\n" +
                           RuleYaml("a", "    keywords: [贷款]\n") +
                           RuleYaml("b", "    keywords: [贷款]\n    variants: false\n") +
                           RuleYaml("c", "    patterns: ['无抵押贷款']\n    variants: false\n");
  auto rules = Compile(yaml);
  CHECK(Fired(*rules, "无抵押贷款") == std::vector<std::string>{"a", "b", "c"});
  CHECK(Fired(*rules, "无抵押带款") == std::vector<std::string>{"a"});
  CHECK(Fired(*rules, "无抵押dai款") == std::vector<std::string>{"a"});
  CHECK_FALSE(ParseRules("rules:\n" + RuleYaml("d", "    keywords: [x]\n    variants: maybe\n"), "t.yaml").ok());
  CHECK_FALSE(ParseRules("rules:\n" + RuleYaml("e", "    all_of:\n      - keywords: [x]\n    variants: false\n"), "t.yaml").ok());
}

TEST_CASE("rules: variants file errors") {
  auto r = ParseRules("variants:\n  characters:\n    帐户: 账\n  colours: []\n", "v.yaml");
  CHECK_FALSE(r.ok());
  CHECK(r.diagnostics.size() == 2);
}

TEST_CASE("matcher: word variants also apply inside patterns, but not inside classes") {
  auto rules = Compile("variants:\n  words:\n    微信: [薇信, vx]\nrules:\n" + RuleYaml("p", "    patterns: ['加.{0,2}微信', '[微信]{3}']\n"));
  CHECK(Fires(*rules, "p", "加我薇信"));
  CHECK(Fires(*rules, "p", "加一下vx"));
  CHECK(Fires(*rules, "p", "信微信"));
  CHECK_FALSE(Fires(*rules, "p", "薇薇薇"));
}

TEST_CASE("matcher: a variant word that normalizes to nothing is an error, not an endless expansion") {
  // A zero-width space passes the loader's empty-word check; replacing "" in every
  // keyword never ended.
  auto loaded = ParseRules(
      "variants:\n  words:\n    \"\\u200b\": [a]\n"
      "rules:\n  - {id: a, type: move, description: d, weight: 0.5, keywords: [加微信]}\n",
      "t.yaml");
  REQUIRE(loaded.ok());
  auto compiled = CompileRules(std::move(loaded.rule_set), Norm());
  CHECK_FALSE(compiled.ok());
  REQUIRE(!compiled.diagnostics.empty());
  CHECK(compiled.diagnostics[0].message.find("is empty after normalization") != std::string::npos);
  CHECK(compiled.diagnostics[0].where.line == 3);
}
