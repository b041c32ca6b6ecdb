// matcher: a RuleSet compiled once into an immutable object that finds which rules
// fire in a normalized transcript, and where.
//
// Every keyword and pattern of every rule is one "atom". Keywords, and the literals of
// patterns made of literal sets and bounded gaps (decomposed into chains), go into one
// multi-literal pass (a double-array trie; Hyperscan or RE2::Set on request), run once
// over the text and once over its homophone view; the remaining patterns run through
// RE2 only on the lines that hold their required substrings. Only the atoms reported
// are then searched for their spans, and only the rules that own them are evaluated.
// Combinations (all_of / n_of within N characters) are decided on the positions of
// their parts, never by a gap regex.
//
// Order of calls: CompileRules() -> (ok) -> Match() any number of times, from any
// number of threads.
//
// Example:
//   fraudscan::Normalizer norm;
//   auto compiled = fraudscan::CompileRules(loaded.rule_set, norm);
//   if (!compiled.ok()) report(compiled.diagnostics);
//   fraudscan::NormalizedTranscript nt = fraudscan::NormalizeTranscript(norm, transcript);
//   std::vector<fraudscan::RuleHit> hits = compiled.rules->Match(nt);
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fraudscan/normalize.hpp"
#include "fraudscan/rules.hpp"
#include "fraudscan/transcript.hpp"

namespace fraudscan {

// --- Interface ---

// Byte range in the normalized text.
struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;
  uint32_t atom = 0;  // the keyword or pattern that matched (see CompiledRules::AtomNote)
};

// A transcript's turns normalized into one text, turns separated by '\n'.
struct NormalizedTranscript {
  NormalizedText text;            // origin[] points into the transcript's document
  std::vector<uint32_t> turn_begin;  // normalized offset where each turn starts
  const Transcript* source = nullptr;
  // Return the index of the turn holding normalized offset `pos`.
  std::size_t TurnAt(uint32_t pos) const;
};

// Return `t` normalized turn by turn. REQUIRES: `t` outlives the result.
NormalizedTranscript NormalizeTranscript(const Normalizer& norm, const Transcript& t);

// One rule that fired: the parts of its first match (one span per leaf that took
// part), and how many separate matches it had.
struct RuleHit {
  const Rule* rule = nullptr;
  std::vector<Span> parts;
  int matches = 0;
  bool homophone = false;  // some part matched only as a homophone (pinyin)
};

class CompiledRules;

struct CompileResult {
  std::shared_ptr<const CompiledRules> rules;  // null when there were errors
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return rules != nullptr; }
};

struct CompileOptions {
  // Literal engine: "" or "trie" (the default), "hyperscan" (x86-64 builds) or "re2-set".
  std::string engine;
  // Where compiled literal databases are kept between runs; empty: no cache.
  std::filesystem::path cache_dir;
};

// Return `rule_set` compiled: keywords normalized with `norm`, every pattern checked
// by RE2 (errors name the pattern's file:line:col and the offending part).
CompileResult CompileRules(RuleSet rule_set, const Normalizer& norm, const CompileOptions& options = {});

class CompiledRules {
 public:
  // Return the rules that fire in `text`, in rule-set order.
  std::vector<RuleHit> Match(const NormalizedTranscript& text) const;

  // Return only whether rule `rule_index` fires on `text` (used for rule examples).
  bool Fires(std::size_t rule_index, const NormalizedTranscript& text) const;

  const RuleSet& rule_set() const { return rule_set_; }
  // Return the regex of every atom, in RE2 syntax, one per distinct keyword/pattern
  // (variant spellings included; homophone keys excluded).
  std::vector<std::string> AtomPatterns() const;
  // Return how atom `atom` relates to what the rule wrote: "" (as written),
  // "variant spelling of 微信", or "homophone of 返利".
  std::string_view AtomNote(uint32_t atom) const;
  // Return true iff `atom` matches homophones (hits say so, and weigh
  // ScoreOptions::homophone_factor of the rule weight).
  bool IsHomophoneAtom(uint32_t atom) const;

  ~CompiledRules();
  CompiledRules(const CompiledRules&) = delete;
  CompiledRules& operator=(const CompiledRules&) = delete;

 private:
  friend CompileResult CompileRules(RuleSet rule_set, const Normalizer& norm, const CompileOptions& options);
  CompiledRules();
  struct Impl;
  RuleSet rule_set_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fraudscan
