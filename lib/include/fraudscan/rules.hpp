// rules: the rule set as data. YAML files -> RuleSet, with every problem reported as
// a Diagnostic carrying file:line:column, never only the first (docs/rules.md is the
// format's manual).
//
// Flow: LoadRules(paths) parses and checks the schema; CompileRules() (matcher.hpp)
// then compiles the patterns and reports regex errors the same way.
//
// Example:
//   fraudscan::LoadResult loaded = fraudscan::LoadRules({"rules/"});
//   for (const auto& d : loaded.diagnostics) print(d);   // "rules/x.yaml:12:7: error: ..."
//   if (!loaded.ok()) return 2;
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fraudscan {

// --- Interface ---

// The five fraud scripts, then the two kinds of non-script rules.
enum class RuleType {
  task_rebate,       // 刷单返利类
  fake_shopping,     // 虚假购物(服务)类
  impersonation_cs,  // 冒充电商物流客服类
  fake_investment,   // 虚假网络投资理财类
  fake_loan_credit,  // 贷款代办信用卡类
  move,              // cross-type fraud move: raises risk
  benign,            // cue of an honest conversation: lowers risk
};
inline constexpr int kFraudTypeCount = 5;
inline constexpr std::array<RuleType, kFraudTypeCount> kFraudTypes = {
    RuleType::task_rebate, RuleType::fake_shopping, RuleType::impersonation_cs, RuleType::fake_investment,
    RuleType::fake_loan_credit};

// Return "task_rebate", ..., "move", "benign".
std::string_view TypeName(RuleType type);
// Return the Chinese name ("刷单返利类", ...; "欺诈手法" for move, "正常特征" for benign).
std::string_view TypeNameZh(RuleType type);
// Return the type named `name`, or nullopt.
std::optional<RuleType> ParseType(std::string_view name);
inline bool IsFraudType(RuleType t) { return static_cast<int>(t) < kFraudTypeCount; }

struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based; 0 = unknown
};

struct Diagnostic {
  enum class Severity { error, warning };
  Severity severity = Severity::error;
  SourceLocation where;
  std::string message;
};
// Return "file:line:col: error: message".
std::string FormatDiagnostic(const Diagnostic& d);

// A condition: a leaf (keywords and/or patterns) or a combination of conditions.
struct Condition {
  enum class Kind { leaf, all_of, any_of, n_of };
  Kind kind = Kind::leaf;
  std::vector<std::string> keywords;            // literals, as written
  std::vector<SourceLocation> keyword_locations;
  std::vector<std::string> patterns;            // RE2 syntax, as written
  std::vector<SourceLocation> pattern_locations;
  bool pinyin = false;                          // `pinyin: true`: keywords and patterns also match
                                                // homophones (toneless pinyin)
  bool no_pinyin = false;                       // `pinyin: false`: never, whatever pinyin_min_chars says
  bool no_variants = false;                     // `variants: false`: not the variant spellings of
                                                // RuleSet::word_variants either, only as written
  std::vector<Condition> parts;                 // all_of / any_of / n_of
  int n = 0;                                    // n_of: how many parts must occur
  int within = -1;                              // window in characters; -1 = anywhere
  SourceLocation where;
};

struct Example {
  std::string text;
  SourceLocation where;
};

struct Rule {
  std::string id;
  RuleType type = RuleType::move;
  std::string description;
  double weight = 0;
  Condition condition;
  std::optional<Condition> unless;
  int unless_within = 10;  // characters; -1 = anywhere in the transcript
  std::vector<std::string> speakers;  // RE2 patterns on the speaker label; empty = anyone
  std::vector<Example> match_examples;
  std::vector<Example> no_match_examples;
  SourceLocation where;
};

// Another spelling of a word that rules mention (薇信, vx for 微信): every keyword that
// contains `word` also matches with each spelling in its place.
struct WordVariant {
  std::string word;
  std::vector<std::string> spellings;
  SourceLocation where;
};

struct RuleSet {
  std::vector<Rule> rules;
  std::vector<WordVariant> word_variants;            // from `variants: words:`
  std::map<char32_t, char32_t> character_variants;   // from `variants: characters:`
  // From `variants: pinyin_min_chars: N`: every keyword of N or more Han characters
  // also matches homophones, as if its condition had `pinyin: true`. 0 = off.
  int pinyin_min_chars = 0;
  // From `variants: not_misheard`: characters never taken as a misheard character in a
  // homophone match (particles and other grammatical characters sound like many
  // content characters: 验证吗 is a question, not 验证码).
  std::set<char32_t> not_misheard;
  std::vector<std::string> files;  // files loaded, in load order
};

struct LoadResult {
  RuleSet rule_set;
  std::vector<Diagnostic> diagnostics;
  // Return true iff no diagnostic is an error.
  bool ok() const;
};

struct LoadOptions {
  // Where parsed rule sets are kept between runs (keyed by the files' names below the
  // directory they were found in, their bytes, and the build); empty: parse every time.
  // Only loads without errors are kept.
  std::filesystem::path cache_dir;
};

// Return the rules of every *.yaml/*.yml file under `paths` (files, or directories
// searched recursively, in name order). Every error and warning goes to
// `diagnostics`; rules with errors are left out of the set.
LoadResult LoadRules(const std::vector<std::filesystem::path>& paths, const LoadOptions& options = {});

// Return the rules parsed from YAML text `yaml`, as if read from `file_name`.
LoadResult ParseRules(std::string_view yaml, const std::string& file_name);

}  // namespace fraudscan
