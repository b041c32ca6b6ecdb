#include <doctest/doctest.h>

#include <string>

#include "fraudscan/rules.hpp"

using fraudscan::Diagnostic;
using fraudscan::ParseRules;

namespace {

// Return the first error's text, or "" when there is none.
std::string FirstError(const fraudscan::LoadResult& r) {
  for (const auto& d : r.diagnostics) {
    if (d.severity == Diagnostic::Severity::error) return fraudscan::FormatDiagnostic(d);
  }
  return "";
}

constexpr const char* kGood = R"(rules:
  - id: cs.demo
    type: impersonation_cs
    description: demo
    weight: 0.5
    all_of:
      - keywords: [误开通]
      - n_of:
          n: 1
          of:
            - keywords: [会员]
            - patterns: ['扣费|扣款']
    within: 30
    unless:
      keywords: [不会]
    unless_within: transcript
    speaker: [客服]
    examples:
      match: [误开通会员]
      no_match: [会员]
)";

}  // namespace

TEST_CASE("rules: a complete rule loads") {
  auto r = ParseRules(kGood, "demo.yaml");
  REQUIRE(r.ok());
  REQUIRE(r.rule_set.rules.size() == 1);
  const auto& rule = r.rule_set.rules[0];
  CHECK(rule.id == "cs.demo");
  CHECK(rule.type == fraudscan::RuleType::impersonation_cs);
  CHECK(rule.weight == doctest::Approx(0.5));
  CHECK(rule.condition.kind == fraudscan::Condition::Kind::all_of);
  CHECK(rule.condition.within == 30);
  REQUIRE(rule.condition.parts.size() == 2);
  CHECK(rule.condition.parts[1].kind == fraudscan::Condition::Kind::n_of);
  CHECK(rule.condition.parts[1].n == 1);
  CHECK(rule.unless_within == -1);
  CHECK(rule.speakers == std::vector<std::string>{"客服"});
  CHECK(rule.match_examples.size() == 1);
  CHECK(rule.where.line == 2);
  CHECK(rule.match_examples[0].where.line == 19);
}

TEST_CASE("rules: schema errors carry file:line:col") {
  struct Case {
    const char* yaml;
    const char* expected;  // substring of the first error
  } cases[] = {
      {"rules:\n  - id: a\n    type: nope\n    description: d\n    weight: 0.5\n    keywords: [x]\n",
       "x.yaml:3:11: error: unknown type 'nope'"},
      {"rules:\n  - id: a\n    type: move\n    description: d\n    weight: 1.5\n    keywords: [x]\n",
       "x.yaml:5:13: error: weight 1.5 is outside (0, 1]"},
      {"rules:\n  - id: a\n    type: move\n    description: d\n    weight: 0.5\n", "rule has no condition"},
      {"rules:\n  - id: A B\n    type: move\n    description: d\n    weight: 0.5\n    keywords: [x]\n",
       "x.yaml:2:9: error: rule id 'A B' must match"},
      {"rules:\n  - id: a\n    type: move\n    description: d\n    weight: 0.5\n    keywords: [x]\n    colour: red\n",
       "x.yaml:7:5: error: unknown rule field 'colour'"},
      {"rules:\n  - id: a\n    type: move\n    description: d\n    weight: 0.5\n    keywords: [x]\n    all_of: [{keywords: [y]}]\n",
       "not both"},
      {"rules:\n  - id: a\n    type: move\n    description: d\n    weight: 0.5\n    n_of: {n: 3, of: [{keywords: [y]}]}\n",
       "n = 3 but only 1 conditions"},
      {"rules:\n  - id: a\n    type: move\n    description: d\n    weight: 0.5\n    any_of: [{keywords: [y]}]\n    within: 5\n",
       "'within' applies to 'all_of' and 'n_of' only"},
      {"rules:\n  - id: a\n    type: move\n  description: d\n", "x.yaml:4:3: error: YAML syntax"},
      {"rulez: []\n", "unknown top-level key 'rulez'"},
      // A key given twice would count once: the second is an error, not silently lost.
      {"rules:\n  - id: a\n    type: move\n    description: d\n    weight: 0.5\n    keywords: [x]\n    keywords: [y]\n",
       "x.yaml:7:5: error: YAML syntax: duplicate key 'keywords' (first at line 6)"},
      // So would a second document.
      {"rules:\n  - {id: a, type: move, description: d, weight: 0.5, keywords: [x]}\n---\nrules: []\n",
       "x.yaml:3:1: error: YAML syntax: a second YAML document"},
      {"rules:\n  - {id: a, type: move, description: d, weight: 0.5, keywords: *nowhere}\n",
       "alias '*nowhere' names no anchor"},
      {"rules:\n  - {id: a, type: move, description: d, weight: 0.5, keywords: [x], pinyin: maybe}\n",
       "'pinyin' is true or false"},
      {"rules:\n  - {id: a, type: move, description: d, weight: 0.5, all_of: [{keywords: [x]}], within: 2.5}\n",
       "'within' must be a whole number"},
      {"rules:\n  - {id: a, type: move, description: d, weight: '', keywords: [x]}\n",
       "'weight' must be a number in (0, 1]"},
      {"rules:\n  - id: a\n    type: move\n    description: [d]\n    weight: 0.5\n    keywords: [x]\n",
       "x.yaml:4:18: error: 'description' must be a single value"},
      {"rules:\n  - id: a\n    type: move\n    description: d\n    weight: 0.5\n    keywords:\n", "'keywords' must be a list of strings"},
      {"rules: \"\\xff\"\n  bad", "YAML syntax"},
      // An alias inside the node it names would be a cycle the schema check follows forever.
      {"rules:\n  - id: a\n    type: move\n    description: d\n    weight: 0.5\n    all_of: &c\n      - all_of: *c\n",
       "x.yaml:7:17: error: YAML syntax: alias '*c' is inside the node it names"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.yaml);
    auto r = ParseRules(c.yaml, "x.yaml");
    CHECK_FALSE(r.ok());
    CHECK(FirstError(r).find(c.expected) != std::string::npos);
  }
}

TEST_CASE("rules: YAML anchors, aliases, booleans and quoted nulls read as YAML 1.1 has them") {
  auto r = ParseRules(
      "rules:\n"
      "  - id: a\n"
      "    type: move\n"
      "    description: d\n"
      "    weight: +0.5\n"
      "    keywords: &words [加微信, '~', \"null\"]\n"
      "    pinyin: yes\n"
      "  - {id: b, type: move, description: d, weight: 1, keywords: *words, pinyin: Off, variants: FALSE}\n",
      "x.yaml");
  REQUIRE(r.ok());
  REQUIRE(r.rule_set.rules.size() == 2);
  const fraudscan::Rule& a = r.rule_set.rules[0];
  const fraudscan::Rule& b = r.rule_set.rules[1];
  CHECK(a.weight == doctest::Approx(0.5));
  CHECK(a.condition.keywords == std::vector<std::string>{"加微信", "~", "null"});
  CHECK(a.condition.pinyin);
  CHECK(b.condition.keywords == a.condition.keywords);
  CHECK(b.condition.no_pinyin);
  CHECK(b.condition.no_variants);
  CHECK(b.where.line == 8);
  CHECK(b.where.column == 5);
}

TEST_CASE("rules: aliases of aliases may not expand a file without bound") {
  // Each level repeats the one before ten times: 10^12 nodes if expanded.
  std::string yaml = "rules:\n  - id: a\n    type: move\n    description: d\n    weight: 0.5\n"
                     "    keywords: &l0 [a, b, c, d, e, f, g, h, i, j]\n";
  for (int i = 1; i < 12; ++i) {
    yaml += "    x" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) yaml += (k ? ", *l" : "*l") + std::to_string(i - 1);
    yaml += "]\n";
  }
  auto r = ParseRules(yaml, "x.yaml");
  CHECK_FALSE(r.ok());
  CHECK(FirstError(r).find("aliases expand this document past") != std::string::npos);
  // A few levels are fine (and are only unknown fields here).
  auto small = ParseRules("rules:\n  - {id: a, type: move, description: d, weight: 0.5, keywords: &k [x, y]}\n"
                          "  - {id: b, type: move, description: d, weight: 0.5, any_of: [{keywords: *k}, {keywords: *k}]}\n",
                          "x.yaml");
  CHECK(small.ok());
}

TEST_CASE("rules: nesting is bounded") {
  auto nested = [](int depth) {
    std::string all_of;
    for (int i = 0; i < depth; ++i) all_of += "[{all_of: ";
    all_of += "[{keywords: [x]}]";
    for (int i = 0; i < depth; ++i) all_of += "}]";
    return "rules:\n  - {id: a, type: move, description: d, weight: 0.5, all_of: " + all_of + "}\n";
  };
  CHECK(ParseRules(nested(20), "x.yaml").ok());
  auto deep = ParseRules(nested(20000), "x.yaml");
  CHECK_FALSE(deep.ok());
  CHECK(FirstError(deep).find("nested deeper than 256 levels") != std::string::npos);
}

TEST_CASE("rules: every error is reported, not only the first") {
  auto r = ParseRules(
      "rules:\n"
      "  - {id: a, type: bad1, description: d, weight: 0.5, keywords: [x]}\n"
      "  - {id: b, type: move, description: d, weight: 7, keywords: [x]}\n"
      "  - {id: a2, type: move, description: d, weight: 0.5, keywords: [x]}\n"
      "  - {id: a2, type: move, description: d, weight: 0.5, keywords: [y]}\n",
      "multi.yaml");
  int errors = 0;
  for (const auto& d : r.diagnostics) errors += d.severity == Diagnostic::Severity::error;
  CHECK(errors == 3);
  CHECK(r.rule_set.rules.size() == 1);  // only the first a2 survives
  bool duplicate = false;
  for (const auto& d : r.diagnostics) {
    duplicate = duplicate || (d.message.find("duplicate rule id 'a2'") != std::string::npos && d.where.line == 5);
  }
  CHECK(duplicate);
}

TEST_CASE("rules: missing examples are warnings") {
  auto r = ParseRules("rules:\n  - {id: a, type: move, description: d, weight: 0.5, keywords: [x]}\n", "w.yaml");
  CHECK(r.ok());
  CHECK(r.diagnostics.size() == 2);
  CHECK(r.diagnostics[0].severity == Diagnostic::Severity::warning);
}

TEST_CASE("rules: type names") {
  CHECK(fraudscan::TypeName(fraudscan::RuleType::fake_loan_credit) == "fake_loan_credit");
  CHECK(fraudscan::ParseType("benign") == fraudscan::RuleType::benign);
  CHECK_FALSE(fraudscan::ParseType("Benign").has_value());
  CHECK(fraudscan::TypeNameZh(fraudscan::RuleType::task_rebate) == "刷单返利类");
}
