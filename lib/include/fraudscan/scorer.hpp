// scorer: fired rules -> per-type scores, an overall risk 0-100 and a label.
//
// The model (docs/rules.md, "How rules become a verdict"); every rule counts once:
//   s_t  = 1 - prod(1 - weight) over fired rules of fraud type t
//          (a rule that matched through homophones counts weight * homophone_factor)
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
  // Weight multiplier of a rule that matched through homophones. 1: homophone matches
  // are held in check by how they are found (at most half of a word's characters
  // changed, never into or out of a dictionary word: matcher.cpp) rather than by
  // weight; most script moves sit at weight 0.5, so any discount unlabels a transcript
  // that a single misheard character touched.
  double homophone_factor = 1.0;
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
