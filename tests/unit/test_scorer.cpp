#include <doctest/doctest.h>

#include "fraudscan/scorer.hpp"

using namespace fraudscan;

namespace {

Rule MakeRule(RuleType type, double weight) {
  Rule r;
  r.id = "r";
  r.type = type;
  r.weight = weight;
  return r;
}

}  // namespace

TEST_CASE("scorer: noisy-OR per type, one count per rule") {
  Rule a = MakeRule(RuleType::impersonation_cs, 0.5);
  Rule b = MakeRule(RuleType::impersonation_cs, 0.4);
  Score s = ScoreHits({{&a, {}, 3}, {&b, {}, 1}}, {});
  CHECK(s.types[2] == doctest::Approx(0.7));  // 1 - 0.5*0.6
  CHECK(s.risk == 70);
  CHECK(s.label == "impersonation_cs");
  CHECK(s.top == 2);
}

TEST_CASE("scorer: below the threshold the label is none") {
  Rule a = MakeRule(RuleType::task_rebate, 0.3);
  Score s = ScoreHits({{&a, {}, 1}}, {});
  CHECK(s.risk == 30);
  CHECK(s.label == "none");
  ScoreOptions low;
  low.threshold = 30;
  CHECK(ScoreHits({{&a, {}, 1}}, low).label == "task_rebate");
}

TEST_CASE("scorer: moves raise risk, benign cues lower it") {
  Rule t = MakeRule(RuleType::fake_investment, 0.4);
  Rule m = MakeRule(RuleType::move, 0.5);
  Rule g = MakeRule(RuleType::benign, 0.5);
  CHECK(ScoreHits({{&t, {}, 1}}, {}).risk == 40);
  Score raised = ScoreHits({{&t, {}, 1}, {&m, {}, 1}}, {});
  CHECK(raised.risk == 70);
  CHECK(raised.label == "fake_investment");
  Score lowered = ScoreHits({{&t, {}, 1}, {&m, {}, 1}, {&g, {}, 1}}, {});
  CHECK(lowered.risk == 35);
  CHECK(lowered.label == "none");
}

TEST_CASE("scorer: strong moves without a script are other_fraud") {
  Rule m1 = MakeRule(RuleType::move, 0.5);
  Rule m2 = MakeRule(RuleType::move, 0.5);
  Rule weak = MakeRule(RuleType::fake_shopping, 0.1);
  Score s = ScoreHits({{&m1, {}, 1}, {&m2, {}, 1}, {&weak, {}, 1}}, {});
  CHECK(s.risk >= 50);
  CHECK(s.label == "other_fraud");
}

TEST_CASE("scorer: nothing fired") {
  Score s = ScoreHits({}, {});
  CHECK(s.risk == 0);
  CHECK(s.top == -1);
  CHECK(s.label == "none");
}

TEST_CASE("scorer: homophone hits weigh homophone_factor of their weight") {
  Rule a = MakeRule(RuleType::task_rebate, 0.8);
  RuleHit exact{&a, {}, 1, false};
  RuleHit homophone{&a, {}, 1, true};
  CHECK(ScoreHits({exact}, {}).risk == 80);
  CHECK(ScoreHits({homophone}, {}).risk == 80);  // default 1: held in check by matching
  ScoreOptions discounted;
  discounted.homophone_factor = 0.7;
  CHECK(ScoreHits({exact}, discounted).risk == 80);
  CHECK(ScoreHits({homophone}, discounted).risk == 56);
}
