#include "fraudscan/engine.hpp"

#include <algorithm>

namespace fraudscan {

Engine::Engine(std::shared_ptr<const Normalizer> normalizer, std::shared_ptr<const CompiledRules> rules,
               ScoreOptions options)
    : rules_(std::move(rules)), options_(options), normalizer_(std::move(normalizer)) {}

Engine::Built Engine::FromPaths(const std::vector<std::filesystem::path>& paths, ScoreOptions options,
                               const CompileOptions& compile) {
  Built built;
  LoadResult loaded = LoadRules(paths, LoadOptions{compile.cache_dir});
  built.diagnostics = std::move(loaded.diagnostics);
  NormalizerOptions norm_options;
  norm_options.character_variants = loaded.rule_set.character_variants;
  auto norm = std::make_shared<const Normalizer>(norm_options);
  CompileResult compiled = CompileRules(std::move(loaded.rule_set), *norm, compile);
  built.diagnostics.insert(built.diagnostics.end(), compiled.diagnostics.begin(), compiled.diagnostics.end());
  const bool errors = std::any_of(built.diagnostics.begin(), built.diagnostics.end(),
                                  [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::error; });
  if (!errors && compiled.ok()) built.engine = std::make_unique<Engine>(norm, std::move(compiled.rules), options);
  return built;
}

std::vector<RuleHit> Engine::Hits(const Transcript& t) const {
  NormalizedTranscript nt = NormalizeTranscript(*normalizer_, t);
  return rules_->Match(nt);
}

Result Engine::Scan(const Transcript& t) const {
  NormalizedTranscript nt = NormalizeTranscript(*normalizer_, t);
  std::vector<RuleHit> hits = rules_->Match(nt);
  Result r;
  r.id = t.id;
  r.score = ScoreHits(hits, options_);
  r.label = r.score.label;
  r.risk = r.score.risk;

  const int label_type = r.score.top;
  auto rank = [&](const RuleHit& h) {
    // Label type first, then other fraud types, then moves, then benign cues.
    if (static_cast<int>(h.rule->type) == label_type) return 0;
    if (IsFraudType(h.rule->type)) return 1;
    return h.rule->type == RuleType::move ? 2 : 3;
  };
  std::stable_sort(hits.begin(), hits.end(), [&](const RuleHit& a, const RuleHit& b) {
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    return a.rule->weight > b.rule->weight;
  });
  const std::string_view doc = t.document;
  const NormalizedText& text = nt.text;
  for (const RuleHit& h : hits) {
    const Rule& rule = *h.rule;
    int part = 0;
    for (const Span& sp : h.parts) {
      Evidence e;
      e.rule_id = rule.id;
      e.type = rule.type;
      e.weight = rule.weight;
      e.description = rule.description;
      e.offset = text.origin[sp.begin];
      // The end in the source: where the byte after the span came from.
      std::size_t end = text.origin[sp.end];
      if (end < e.offset) end = e.offset;
      e.length = end - e.offset;
      e.text.assign(doc.substr(e.offset, e.length));
      e.normalized = text.text.substr(sp.begin, sp.end - sp.begin);
      const LineColumn lc = LocateOffset(doc, e.offset);
      e.line = lc.line;
      e.column = lc.column;
      if (!t.turns.empty()) e.speaker = t.turns[nt.TurnAt(sp.begin)].speaker;
      e.part = part++;
      if (auto note = rules_->AtomNote(sp.atom); !note.empty()) e.normalizations.emplace_back(note);
      if (e.normalized != e.text) {
        for (auto& k : normalizer_->Explain(e.text)) e.normalizations.push_back(std::move(k));
      }
      r.evidence.push_back(std::move(e));
    }
  }
  return r;
}

std::string_view LabelNameZh(std::string_view label) {
  if (auto t = ParseType(label); t && IsFraudType(*t)) return TypeNameZh(*t);
  if (label == "other_fraud") return "其他诈骗";
  return "无";
}

}  // namespace fraudscan
