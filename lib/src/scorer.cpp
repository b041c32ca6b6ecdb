#include "fraudscan/scorer.hpp"

#include <cmath>

namespace fraudscan {

Score ScoreHits(const std::vector<RuleHit>& hits, const ScoreOptions& options) {
  std::array<double, kFraudTypeCount> keep{};
  keep.fill(1.0);
  double keep_moves = 1.0, keep_benign = 1.0;
  for (const RuleHit& h : hits) {
    const double w = h.rule->weight * (h.homophone ? options.homophone_factor : 1.0);
    if (IsFraudType(h.rule->type)) {
      keep[static_cast<std::size_t>(h.rule->type)] *= 1.0 - w;
    } else if (h.rule->type == RuleType::move) {
      keep_moves *= 1.0 - w;
    } else {
      keep_benign *= 1.0 - w;
    }
  }
  Score s;
  double top = 0;
  for (int t = 0; t < kFraudTypeCount; ++t) {
    s.types[static_cast<std::size_t>(t)] = 1.0 - keep[static_cast<std::size_t>(t)];
    if (s.types[static_cast<std::size_t>(t)] > top) {
      top = s.types[static_cast<std::size_t>(t)];
      s.top = t;
    }
  }
  s.moves = 1.0 - keep_moves;
  s.benign = 1.0 - keep_benign;
  const double p = 1.0 - (1.0 - top) * (1.0 - s.moves);
  s.risk = static_cast<int>(std::lround(100.0 * p * (1.0 - s.benign)));
  if (s.risk >= options.threshold) {
    s.label = (s.top >= 0 && top >= options.type_floor) ? std::string(TypeName(kFraudTypes[static_cast<std::size_t>(s.top)]))
                                                        : "other_fraud";
  } else {
    s.label = "none";
  }
  return s;
}

}  // namespace fraudscan
