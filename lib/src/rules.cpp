#include "fraudscan/rules.hpp"

#include "rules_cache.hpp"
#include "yaml.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace fraudscan {

namespace {

constexpr std::array<std::string_view, 7> kTypeNames = {"task_rebate",      "fake_shopping", "impersonation_cs",
                                                         "fake_investment", "fake_loan_credit", "move", "benign"};
constexpr std::array<std::string_view, 7> kTypeNamesZh = {"刷单返利类",         "虚假购物(服务)类", "冒充电商物流客服类",
                                                          "虚假网络投资理财类", "贷款代办信用卡类", "欺诈手法",
                                                          "正常特征"};

const std::set<std::string, std::less<>> kRuleKeys = {"id",      "type",   "description", "weight", "keywords",
                                                      "patterns", "all_of", "any_of",      "n_of",   "within",
                                                      "unless",  "unless_within", "speaker", "examples", "pinyin",
                                                      "variants"};
const std::set<std::string, std::less<>> kConditionKeys = {"keywords", "patterns", "all_of", "any_of", "n_of",
                                                           "within",   "pinyin",   "variants"};

using detail::YamlNode;

class Parser {
 public:
  Parser(std::string file, std::vector<Diagnostic>* diags) : file_(std::move(file)), diags_(diags) {}

  void ParseDocument(const YamlNode& root, RuleSet* set) {
    std::vector<Rule>* out = &set->rules;
    if (!root || root.IsNull()) {
      Warn(root, "empty rule file");
      return;
    }
    if (!root.IsMap()) {
      Error(root, "a rule file is a mapping with a 'rules:' list");
      return;
    }
    for (const auto& kv : root.pairs()) {
      const std::string& key = kv.first.Scalar();
      if (key != "rules" && key != "variants") {
        Error(kv.first, fmt::format("unknown top-level key '{}' (expected 'rules' or 'variants')", key));
      }
    }
    if (auto v = root["variants"]) ParseVariants(v, set);
    const YamlNode rules = root["rules"];
    if (!rules) {
      if (!root["variants"]) Error(root, "missing 'rules:' list");
      return;
    }
    if (!rules.IsSequence()) {
      Error(rules, "'rules' must be a list of rules");
      return;
    }
    for (const auto& node : rules.items()) {
      std::size_t before = ErrorCount();
      Rule rule = ParseRule(node);
      if (ErrorCount() == before) out->push_back(std::move(rule));
    }
  }

  void ParseVariants(const YamlNode& node, RuleSet* set) {
    if (!node.IsMap()) {
      Error(node, "'variants' is a mapping with 'characters' and/or 'words'");
      return;
    }
    for (const auto& kv : node.pairs()) {
      const std::string& key = kv.first.Scalar();
      if (key == "characters") {
        if (!kv.second.IsMap()) {
          Error(kv.second, "'characters' maps one character to another (帐: 账)");
          continue;
        }
        for (const auto& c : kv.second.pairs()) {
          const std::u32string from = ToU32(c.first.Scalar()), to = ToU32(c.second.IsScalar() ? c.second.Scalar() : "");
          if (from.size() != 1 || to.size() != 1) {
            Error(c.first, fmt::format("character variant '{}' -> '{}' must map one character to one character",
                                       c.first.Scalar(), c.second.IsScalar() ? c.second.Scalar() : "?"));
            continue;
          }
          set->character_variants[from[0]] = to[0];
        }
      } else if (key == "words") {
        if (!kv.second.IsMap()) {
          Error(kv.second, "'words' maps a word to its other spellings (微信: [薇信, vx])");
          continue;
        }
        for (const auto& w : kv.second.pairs()) {
          WordVariant v;
          v.word = w.first.Scalar();
          v.where = Where(w.first);
          StringList(w.second, "spellings", &v.spellings, nullptr);
          if (v.word.empty()) Error(w.first, "empty word in 'words'");
          set->word_variants.push_back(std::move(v));
        }
      } else if (key == "pinyin_min_chars") {
        Int(kv.second, "pinyin_min_chars", 0, &set->pinyin_min_chars);
      } else if (key == "not_misheard") {
        if (!kv.second.IsScalar()) {
          Error(kv.second, "'not_misheard' is a string of characters (的了吗呢)");
          continue;
        }
        for (char32_t c : ToU32(kv.second.Scalar())) set->not_misheard.insert(c);
      } else {
        Error(kv.first, fmt::format(
                            "unknown key '{}' in 'variants' (expected characters, words, pinyin_min_chars, not_misheard)", key));
      }
    }
  }

  static std::u32string ToU32(const std::string& s) {
    std::u32string out;
    for (std::size_t i = 0; i < s.size();) {
      const auto b = static_cast<unsigned char>(s[i]);
      const int n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
      char32_t c = n == 1 ? b : b & (0xFF >> (n + 1));
      for (int k = 1; k < n && i + static_cast<std::size_t>(k) < s.size(); ++k) {
        c = (c << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3F);
      }
      out.push_back(c);
      i += static_cast<std::size_t>(n);
    }
    return out;
  }

  SourceLocation Where(const YamlNode& node) const { return {file_, node.line(), node.column()}; }
  void Error(const YamlNode& node, std::string message) {
    diags_->push_back({Diagnostic::Severity::error, Where(node), std::move(message)});
  }
  void Warn(const YamlNode& node, std::string message) {
    diags_->push_back({Diagnostic::Severity::warning, Where(node), std::move(message)});
  }

 private:
  std::size_t ErrorCount() const {
    return static_cast<std::size_t>(std::count_if(diags_->begin(), diags_->end(), [](const Diagnostic& d) {
      return d.severity == Diagnostic::Severity::error;
    }));
  }

  bool Scalar(const YamlNode& node, const char* what, std::string* out) {
    if (!node.IsScalar()) {
      Error(node, fmt::format("'{}' must be a single value", what));
      return false;
    }
    *out = node.Scalar();
    return true;
  }

  bool Bool(const YamlNode& node, const char* what, bool* out) {
    const std::optional<bool> b = node.AsBool();
    if (!b) {
      Error(node, fmt::format("'{}' is true or false", what));
      return false;
    }
    *out = *b;
    return true;
  }

  bool Int(const YamlNode& node, const char* what, int min, int* out) {
    const std::optional<long long> v = node.AsInt();
    if (!v || *v > std::numeric_limits<int>::max() || *v < std::numeric_limits<int>::min()) {
      Error(node, fmt::format("'{}' must be a whole number", what));
      return false;
    }
    if (*v < min) {
      Error(node, fmt::format("'{}' must be at least {}", what, min));
      return false;
    }
    *out = static_cast<int>(*v);
    return true;
  }

  void StringList(const YamlNode& node, const char* what, std::vector<std::string>* out,
                  std::vector<SourceLocation>* locations) {
    auto add = [&](const YamlNode& item) {
      if (!item.IsScalar()) {
        Error(item, fmt::format("each entry of '{}' must be a string", what));
        return;
      }
      if (item.Scalar().empty()) {
        Error(item, fmt::format("empty string in '{}'", what));
        return;
      }
      out->push_back(item.Scalar());
      if (locations) locations->push_back(Where(item));
    };
    if (node.IsScalar()) {
      add(node);
    } else if (node.IsSequence()) {
      if (node.size() == 0) Error(node, fmt::format("'{}' is empty", what));
      for (const auto& item : node.items()) add(item);
    } else {
      Error(node, fmt::format("'{}' must be a list of strings", what));
    }
  }

  // Parse the condition keys of `node` (a rule or a condition mapping).
  Condition ParseCondition(const YamlNode& node, bool is_rule) {
    Condition c;
    c.where = Where(node);
    if (!node.IsMap()) {
      Error(node, "a condition is a mapping with 'keywords'/'patterns' or one of 'all_of', 'any_of', 'n_of'");
      return c;
    }
    if (!is_rule) {
      for (const auto& kv : node.pairs()) {
        const auto key = kv.first.Scalar();
        if (!kConditionKeys.contains(key)) {
          Error(kv.first, fmt::format("unknown condition key '{}' (expected one of keywords, patterns, all_of, "
                                      "any_of, n_of, within, pinyin, variants)",
                                      key));
        }
      }
    }
    const bool leaf = node["keywords"] || node["patterns"];
    const int combos = (node["all_of"] ? 1 : 0) + (node["any_of"] ? 1 : 0) + (node["n_of"] ? 1 : 0);
    if (leaf && combos > 0) {
      Error(node, "a condition has either 'keywords'/'patterns' or one of 'all_of'/'any_of'/'n_of', not both");
      return c;
    }
    if (combos > 1) {
      Error(node, "a condition has only one of 'all_of', 'any_of', 'n_of'; nest them to combine");
      return c;
    }
    if (node["pinyin"] && !leaf) {
      Error(node["pinyin"], "'pinyin' belongs next to 'keywords'");
    }
    if (node["variants"] && !leaf) {
      Error(node["variants"], "'variants' belongs next to 'keywords'");
    }
    if (!leaf && combos == 0) {
      Error(node, is_rule ? "rule has no condition: give 'keywords', 'patterns', 'all_of', 'any_of' or 'n_of'"
                          : "empty condition: give 'keywords', 'patterns', 'all_of', 'any_of' or 'n_of'");
      return c;
    }
    if (leaf) {
      c.kind = Condition::Kind::leaf;
      if (auto k = node["keywords"]) StringList(k, "keywords", &c.keywords, &c.keyword_locations);
      if (auto p = node["patterns"]) StringList(p, "patterns", &c.patterns, &c.pattern_locations);
      if (node["within"]) Error(node["within"], "'within' applies to 'all_of' and 'n_of' only");
      if (auto py = node["pinyin"]) {
        if (Bool(py, "pinyin", &c.pinyin)) c.no_pinyin = !c.pinyin;
        if (c.keywords.empty() && c.patterns.empty()) {
          Error(py, "'pinyin' applies to keywords and patterns; this condition has none");
        }
      }
      if (auto v = node["variants"]) {
        bool variants = true;
        if (Bool(v, "variants", &variants)) c.no_variants = !variants;
      }
      return c;
    }
    YamlNode list;
    if (auto a = node["all_of"]) {
      c.kind = Condition::Kind::all_of;
      list = a;
    } else if (auto o = node["any_of"]) {
      c.kind = Condition::Kind::any_of;
      list = o;
    } else {
      c.kind = Condition::Kind::n_of;
      YamlNode n_of = node["n_of"];
      if (!n_of.IsMap() || !n_of["n"] || !n_of["of"]) {
        Error(n_of, "'n_of' is a mapping {n: N, of: [conditions]}");
        return c;
      }
      for (const auto& kv : n_of.pairs()) {
        if (kv.first.Scalar() != "n" && kv.first.Scalar() != "of") {
          Error(kv.first, fmt::format("unknown key '{}' in 'n_of' (expected n, of)", kv.first.Scalar()));
        }
      }
      Int(n_of["n"], "n", 1, &c.n);
      list = n_of["of"];
    }
    if (!list.IsSequence() || list.size() == 0) {
      Error(list, "a combination needs a non-empty list of conditions");
      return c;
    }
    for (const auto& part : list.items()) c.parts.push_back(ParseCondition(part, false));
    if (c.kind == Condition::Kind::n_of && c.n > static_cast<int>(c.parts.size())) {
      Error(node["n_of"]["n"], fmt::format("n = {} but only {} conditions are listed", c.n, c.parts.size()));
    }
    if (auto w = node["within"]) {
      if (c.kind == Condition::Kind::any_of) {
        Error(w, "'within' applies to 'all_of' and 'n_of' only");
      } else {
        Int(w, "within", 1, &c.within);
      }
    }
    return c;
  }

  Rule ParseRule(const YamlNode& node) {
    Rule r;
    r.where = Where(node);
    if (!node.IsMap()) {
      Error(node, "each rule is a mapping (id, type, description, weight, a condition, examples)");
      return r;
    }
    for (const auto& kv : node.pairs()) {
      const std::string& key = kv.first.Scalar();
      if (!kRuleKeys.contains(key)) Error(kv.first, fmt::format("unknown rule field '{}'", key));
    }
    if (auto id = node["id"]) {
      if (Scalar(id, "id", &r.id)) {
        const bool valid = !r.id.empty() && std::all_of(r.id.begin(), r.id.end(), [](char ch) {
          return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
        });
        if (!valid) Error(id, fmt::format("rule id '{}' must match [a-z0-9_.-]+", r.id));
      }
    } else {
      Error(node, "rule has no 'id'");
    }
    if (auto type = node["type"]) {
      std::string name;
      if (Scalar(type, "type", &name)) {
        if (auto t = ParseType(name)) {
          r.type = *t;
        } else {
          Error(type, fmt::format("unknown type '{}' (expected task_rebate, fake_shopping, impersonation_cs, "
                                  "fake_investment, fake_loan_credit, move or benign)",
                                  name));
        }
      }
    } else {
      Error(node, fmt::format("rule '{}' has no 'type'", r.id));
    }
    if (auto d = node["description"]) {
      Scalar(d, "description", &r.description);
    } else {
      Error(node, fmt::format("rule '{}' has no 'description'", r.id));
    }
    if (auto w = node["weight"]) {
      if (const std::optional<double> weight = w.AsDouble()) {
        r.weight = *weight;
        if (!(r.weight > 0 && r.weight <= 1)) Error(w, fmt::format("weight {} is outside (0, 1]", w.Scalar()));
      } else {
        Error(w, "'weight' must be a number in (0, 1]");
      }
    } else {
      Error(node, fmt::format("rule '{}' has no 'weight'", r.id));
    }
    r.condition = ParseCondition(node, true);
    if (auto u = node["unless"]) r.unless = ParseCondition(u, false);
    if (auto uw = node["unless_within"]) {
      if (!node["unless"]) Error(uw, "'unless_within' without 'unless'");
      if (uw.IsScalar() && uw.Scalar() == "transcript") {
        r.unless_within = -1;
      } else {
        Int(uw, "unless_within", 0, &r.unless_within);
      }
    }
    if (auto s = node["speaker"]) StringList(s, "speaker", &r.speakers, nullptr);
    if (auto ex = node["examples"]) {
      if (!ex.IsMap()) {
        Error(ex, "'examples' is a mapping with 'match' and 'no_match' lists");
      } else {
        for (const auto& kv : ex.pairs()) {
          const std::string& key = kv.first.Scalar();
          if (key != "match" && key != "no_match") {
            Error(kv.first, fmt::format("unknown key '{}' in 'examples' (expected match, no_match)", key));
            continue;
          }
          auto* list = key == "match" ? &r.match_examples : &r.no_match_examples;
          if (!kv.second.IsSequence()) {
            Error(kv.second, fmt::format("'{}' must be a list of texts", key));
            continue;
          }
          for (const auto& item : kv.second.items()) {
            if (!item.IsScalar()) {
              Error(item, "an example is a string");
              continue;
            }
            list->push_back({item.Scalar(), Where(item)});
          }
        }
      }
    }
    // The rule set's standard: at least two of each (docs/rules.md).
    if (r.match_examples.size() < 2) {
      Warn(node, r.match_examples.empty() ? fmt::format("rule '{}' has no 'match' examples", r.id)
                                          : fmt::format("rule '{}' has only one 'match' example (want 2)", r.id));
    }
    if (r.no_match_examples.size() < 2) {
      Warn(node, r.no_match_examples.empty() ? fmt::format("rule '{}' has no 'no_match' examples", r.id)
                                             : fmt::format("rule '{}' has only one 'no_match' example (want 2)", r.id));
    }
    return r;
  }

  std::string file_;
  std::vector<Diagnostic>* diags_;
};

// Check the schema of `file` (ParseYaml's) and add its rules and variants to `*result`.
void ParseInto(const detail::YamlDocument& file, const std::string& file_name, LoadResult* result) {
  if (file.error) {
    result->diagnostics.push_back(
        {Diagnostic::Severity::error, {file_name, file.error->line, file.error->column}, "YAML syntax: " + file.error->message});
    return;
  }
  Parser parser(file_name, &result->diagnostics);
  parser.ParseDocument(file.root(), &result->rule_set);
}

void CheckDuplicateIds(LoadResult* result) {
  std::map<std::string, const Rule*> seen;
  std::vector<std::size_t> drop;
  auto& rules = result->rule_set.rules;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    auto [it, inserted] = seen.emplace(rules[i].id, &rules[i]);
    if (!inserted) {
      const SourceLocation& first = it->second->where;
      result->diagnostics.push_back({Diagnostic::Severity::error, rules[i].where,
                                     fmt::format("duplicate rule id '{}' (first defined at {}:{})", rules[i].id,
                                                 first.file, first.line)});
      drop.push_back(i);
    }
  }
  for (auto it = drop.rbegin(); it != drop.rend(); ++it) rules.erase(rules.begin() + static_cast<long>(*it));
}

// Make `names` the file names of `*loaded` (read from the cache, where the same files
// may have had other paths): every source location follows. Return false when the
// number of files differs.
bool RenameFiles(const std::vector<std::string>& names, LoadResult* loaded) {
  std::vector<std::string>& files = loaded->rule_set.files;
  if (files.size() != names.size()) return false;
  if (files == names) return true;
  std::map<std::string, std::string> renamed;
  for (std::size_t i = 0; i < names.size(); ++i) renamed.emplace(files[i], names[i]);
  auto fix = [&](SourceLocation& w) {
    if (auto it = renamed.find(w.file); it != renamed.end()) w.file = it->second;
  };
  auto fix_condition = [&](auto& self, Condition& c) -> void {
    fix(c.where);
    for (auto& w : c.keyword_locations) fix(w);
    for (auto& w : c.pattern_locations) fix(w);
    for (auto& p : c.parts) self(self, p);
  };
  for (Rule& r : loaded->rule_set.rules) {
    fix(r.where);
    fix_condition(fix_condition, r.condition);
    if (r.unless) fix_condition(fix_condition, *r.unless);
    for (auto& e : r.match_examples) fix(e.where);
    for (auto& e : r.no_match_examples) fix(e.where);
  }
  for (auto& v : loaded->rule_set.word_variants) fix(v.where);
  for (auto& d : loaded->diagnostics) fix(d.where);
  files = names;
  return true;
}

}  // namespace

std::string_view TypeName(RuleType type) { return kTypeNames[static_cast<std::size_t>(type)]; }
std::string_view TypeNameZh(RuleType type) { return kTypeNamesZh[static_cast<std::size_t>(type)]; }

std::optional<RuleType> ParseType(std::string_view name) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (kTypeNames[i] == name) return static_cast<RuleType>(i);
  }
  return std::nullopt;
}

std::string FormatDiagnostic(const Diagnostic& d) {
  const char* level = d.severity == Diagnostic::Severity::error ? "error" : "warning";
  if (d.where.line > 0) return fmt::format("{}:{}:{}: {}: {}", d.where.file, d.where.line, d.where.column, level, d.message);
  return fmt::format("{}: {}: {}", d.where.file, level, d.message);
}

bool LoadResult::ok() const {
  return std::none_of(diagnostics.begin(), diagnostics.end(),
                      [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::error; });
}

LoadResult ParseRules(std::string_view yaml, const std::string& file_name) {
  LoadResult result;
  result.rule_set.files.push_back(file_name);
  ParseInto(detail::ParseYaml(yaml), file_name, &result);
  CheckDuplicateIds(&result);
  return result;
}

LoadResult LoadRules(const std::vector<std::filesystem::path>& paths, const LoadOptions& options) {
  namespace fs = std::filesystem;
  LoadResult result;
  std::vector<fs::path> files;
  // What names each file in the cache key: its path below the directory it was found
  // in (or its own name), so that the same rules elsewhere (an installed copy, another
  // checkout) find the same entry.
  std::vector<std::string> key_names;
  for (const auto& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        const auto ext = it->path().extension();
        if (it->is_regular_file(ec) && (ext == ".yaml" || ext == ".yml")) found.push_back(it->path());
      }
      if (ec) {
        result.diagnostics.push_back({Diagnostic::Severity::error, {path.string(), 0, 0}, ec.message()});
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) {
        result.diagnostics.push_back(
            {Diagnostic::Severity::error, {path.string(), 0, 0}, "no rule files (*.yaml) in this directory"});
      }
      for (const auto& f : found) {
        files.push_back(f);
        key_names.push_back(f.lexically_relative(path).generic_string());
      }
    } else if (fs::exists(path, ec)) {
      files.push_back(path);
      key_names.push_back(path.filename().string());
    } else {
      result.diagnostics.push_back({Diagnostic::Severity::error, {path.string(), 0, 0}, "no such file or directory"});
    }
  }
  std::vector<std::pair<std::string, std::string>> contents;  // (name, bytes)
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::ifstream in(files[i], std::ios::binary);
    if (!in) {
      result.diagnostics.push_back({Diagnostic::Severity::error, {files[i].string(), 0, 0}, "cannot read rule file"});
      continue;
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    contents.emplace_back(files[i].string(), std::move(buf).str());
  }
  // A clean earlier load of the same files is read back instead of parsed, with its
  // file names made the ones given this time.
  const bool cacheable = !options.cache_dir.empty() && result.ok();
  std::filesystem::path cached;
  if (cacheable) {
    // (Every file was read, or the load is not clean: key_names and contents align.)
    std::vector<std::pair<std::string_view, std::string_view>> keyed;  // (key name, bytes)
    for (std::size_t i = 0; i < contents.size(); ++i) keyed.emplace_back(key_names[i], contents[i].second);
    cached = detail::RuleCachePath(options.cache_dir, detail::RuleFilesFingerprint(keyed));
    std::vector<std::string> names;
    for (const auto& [name, bytes] : contents) names.push_back(name);
    if (auto hit = detail::ReadRuleCache(cached); hit && RenameFiles(names, &*hit)) return std::move(*hit);
  }
  // Files are parsed on all cores, then checked in order, so that rules, variants and
  // diagnostics come out as from one thread.
  std::vector<detail::YamlDocument> parsed(contents.size());
  {
    std::atomic<std::size_t> next{0};
    auto work = [&] {
      for (std::size_t i; (i = next.fetch_add(1)) < contents.size();) {
        parsed[i] = detail::ParseYaml(contents[i].second);
      }
    };
    const std::size_t threads = std::min<std::size_t>(contents.size(), std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::jthread> helpers;
    for (std::size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
    work();
  }
  for (std::size_t i = 0; i < contents.size(); ++i) {
    result.rule_set.files.push_back(contents[i].first);
    ParseInto(parsed[i], contents[i].first, &result);
  }
  CheckDuplicateIds(&result);
  if (cacheable && result.ok()) detail::WriteRuleCache(cached, result);
  return result;
}

}  // namespace fraudscan
