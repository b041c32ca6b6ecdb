// scorer: fired rules -> per-type scores, an overall risk 0-100 and a label.
//
// The model (docs/rules.md, "How rules become a verdict"); every rule counts once:
//   s_t  = 1 - prod(1 - weight) over fired rules of fraud type t
//          (a rule that matched only through homophones counts weight * 0.7)
//   m    = 1 - prod(1 - weight) over fired `move` rules
//   b    = 1 - prod(1 - weight) over fired `benign` rules
//   p    = 1 - (1 - s_top) * (1 - m)
//   risk = round(100 * p * (1 - b))
//   label = risk >= threshold ? (s_top >= type_floor ? top type : "other_fraud") : "none"
#pragma once

#include <array>
#include <string>
#include <vector>

#include "fraudscan/matcher.hpp"
#include "fraudscan/rules.hpp"

namespace fraudscan {

// --- Interface ---

struct ScoreOptions {
  int threshold = 50;        // risk at or above which a transcript gets a label
  double type_floor = 0.3;   // minimum top-type score for a type label (else other_fraud)
  double homophone_factor = 0.7;  // weight multiplier of a rule that matched only through homophones
};

struct Score {
  std::array<double, kFraudTypeCount> types{};  // s_t, indexed like kFraudTypes
  double moves = 0;   // m
  double benign = 0;  // b
  int risk = 0;       // 0-100
  int top = -1;       // index of the top type, -1 when no type rule fired
  std::string label;  // a type name, "other_fraud" or "none"
};

// Return the score of `hits`.
Score ScoreHits(const std::vector<RuleHit>& hits, const ScoreOptions& options);

}  // namespace fraudscan
