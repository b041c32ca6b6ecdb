#include <doctest/doctest.h>

#include <algorithm>

#include "fraudscan/engine.hpp"

using namespace fraudscan;

namespace {

std::unique_ptr<Engine> Build() {
  const char* yaml = R"(rules:
  - id: cs.mistake
    type: impersonation_cs
    description: membership opened by mistake, will be charged
    weight: 0.6
    all_of:
      - keywords: [误开通]
      - keywords: [扣费]
    within: 30
  - id: move.screen
    type: move
    description: screen sharing
    weight: 0.4
    keywords: [共享屏幕]
)";
  auto loaded = ParseRules(yaml, "e.yaml");
  auto norm = std::make_shared<const Normalizer>();
  auto compiled = CompileRules(std::move(loaded.rule_set), *norm);
  REQUIRE(compiled.ok());
  return std::make_unique<Engine>(norm, compiled.rules, ScoreOptions{});
}

}  // namespace

TEST_CASE("engine: verdict with evidence in original coordinates") {
  auto engine = Build();
  const std::string doc = "客服：您好\n客服：您误开通了会员，下月扣费\n用户：要ＯＫ\n客服：请打开共享屏幕\n";
  Result r = engine->Scan(ParsePlainText("call-1", doc));
  CHECK(r.id == "call-1");
  CHECK(r.label == "impersonation_cs");
  CHECK(r.risk == 76);  // 1 - (1-0.6)(1-0.4)
  REQUIRE(r.evidence.size() == 3);
  const Evidence& first = r.evidence[0];
  CHECK(first.rule_id == "cs.mistake");
  CHECK(first.text == "误开通");
  CHECK(doc.substr(first.offset, first.length) == "误开通");
  CHECK(first.line == 2);
  CHECK(first.column == 5);  // 客服：您 = 4 code points before
  CHECK(first.speaker == "客服");
  CHECK(r.evidence[1].text == "扣费");
  CHECK(r.evidence[1].part == 1);
  CHECK(r.evidence[2].rule_id == "move.screen");
  CHECK(r.evidence[2].line == 4);
}

TEST_CASE("engine: evidence text is the original, not the normalized form") {
  auto engine = Build();
  const std::string doc = "请打开共享屏幕，误開通？不，误开通 了 会员 每月扣费";
  Result r = engine->Scan(ParsePlainText("x", doc));
  bool found = false;
  for (const auto& e : r.evidence) {
    CHECK(doc.substr(e.offset, e.length) == e.text);
    found = found || e.rule_id == "move.screen";
  }
  CHECK(found);
}

TEST_CASE("engine: honest text scores zero") {
  auto engine = Build();
  Result r = engine->Scan(ParsePlainText("x", "快递员：您好，您的快递放在驿站了，记得取一下"));
  CHECK(r.label == "none");
  CHECK(r.risk == 0);
  CHECK(r.evidence.empty());
}

TEST_CASE("engine: full-width evidence maps back to the full-width original") {
  auto engine = Build();
  const std::string doc = "请打开共享屏幕";
  Result r = engine->Scan(ParsePlainText("x", doc));
  REQUIRE(r.evidence.size() == 1);
  CHECK(r.evidence[0].text == "共享屏幕");
  CHECK(r.evidence[0].column == 4);
}

TEST_CASE("engine: evidence says which normalizations a match went through") {
  auto engine = Build();
  const std::string doc = "請打開共·享·屏·幕";
  Result r = engine->Scan(ParsePlainText("x", doc));
  REQUIRE(r.evidence.size() == 1);
  const Evidence& e = r.evidence[0];
  CHECK(e.text == "共·享·屏·幕");
  CHECK(e.normalized == "共享屏幕");
  CHECK(std::find(e.normalizations.begin(), e.normalizations.end(), "separator removed") != e.normalizations.end());
  CHECK(e.column == 4);
}
