// engine: the whole pipeline for one transcript, normalize -> match -> score ->
// result with evidence in the original text's coordinates.
//
// An Engine is immutable once built and shared by all worker threads.
//
// Example:
//   auto engine = fraudscan::Engine::FromPaths({"rules/"}, {});
//   if (!engine.engine) { for (auto& d : engine.diagnostics) print(d); return 2; }
//   fraudscan::Result r = engine.engine->Scan(fraudscan::ParsePlainText("id", text));
//   // r.label == "impersonation_cs", r.risk == 87, r.evidence[0].rule_id == "cs.…"
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fraudscan/matcher.hpp"
#include "fraudscan/normalize.hpp"
#include "fraudscan/rules.hpp"
#include "fraudscan/scorer.hpp"
#include "fraudscan/transcript.hpp"

namespace fraudscan {

// --- Interface ---

// One piece of evidence: one part of a fired rule, located in the original text.
struct Evidence {
  std::string rule_id;
  RuleType type = RuleType::move;
  double weight = 0;
  std::string description;
  std::string text;        // the matched text as it stands in the original document
  std::string normalized;  // the same text as the rule saw it
  std::size_t offset = 0;  // byte offset in the document
  std::size_t length = 0;  // bytes in the document
  int line = 0;            // 1-based
  int column = 0;          // 1-based, in code points
  std::string speaker;     // speaker of the turn, or empty
  int part = 0;            // index of this part within the rule's match (0 = first)
  // How the match differs from what the rule wrote or from the original text:
  // "variant spelling of 微信", "homophone of 返利", "traditional to simplified",
  // "separator removed", "full-width or compatibility form", ... Empty: matched as is.
  std::vector<std::string> normalizations;
};

struct Result {
  std::string id;
  std::string label;        // a fraud type, "other_fraud" or "none"
  int risk = 0;             // 0-100
  Score score;
  // Evidence of every fired rule, most telling first: the label's type, then by
  // weight; all parts of a rule's first match are listed together.
  std::vector<Evidence> evidence;
};

class Engine {
 public:
  // REQUIRES: `rules` were compiled with `normalizer`.
  Engine(std::shared_ptr<const Normalizer> normalizer, std::shared_ptr<const CompiledRules> rules,
         ScoreOptions options);

  struct Built {
    std::unique_ptr<Engine> engine;  // null when the rules have errors
    std::vector<Diagnostic> diagnostics;
  };
  // Return an engine for the rule files under `paths`, with all diagnostics.
  static Built FromPaths(const std::vector<std::filesystem::path>& paths, ScoreOptions options,
                         const CompileOptions& compile = {});

  // Return the verdict on `t`.
  Result Scan(const Transcript& t) const;
  // Return the hits of `t` without scoring (rule tests, lint).
  std::vector<RuleHit> Hits(const Transcript& t) const;

  const CompiledRules& rules() const { return *rules_; }
  const Normalizer& normalizer() const { return *normalizer_; }
  const ScoreOptions& options() const { return options_; }

 private:
  std::shared_ptr<const CompiledRules> rules_;
  ScoreOptions options_;
  std::shared_ptr<const Normalizer> normalizer_;
};

// Return the label's Chinese name ("冒充电商物流客服类", "其他诈骗", "无").
std::string_view LabelNameZh(std::string_view label);

}  // namespace fraudscan
