#include "rules_cache.hpp"

#include "cache_file.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>


namespace fraudscan::detail {

namespace {

using nlohmann::json;

// Bump when the stored shape changes; the build stamp also keys every entry, so a new
// build never reads an old build's cache.
constexpr int kFormatVersion = 3;

json ToJson(const SourceLocation& w) { return json::array({w.file, w.line, w.column}); }
json ToJson(const Condition& c) {
  json j;
  j["kind"] = static_cast<int>(c.kind);
  j["keywords"] = c.keywords;
  j["patterns"] = c.patterns;
  json kl = json::array(), pl = json::array(), parts = json::array();
  for (const auto& w : c.keyword_locations) kl.push_back(ToJson(w));
  for (const auto& w : c.pattern_locations) pl.push_back(ToJson(w));
  for (const auto& p : c.parts) parts.push_back(ToJson(p));
  j["keyword_locations"] = std::move(kl);
  j["pattern_locations"] = std::move(pl);
  j["parts"] = std::move(parts);
  j["pinyin"] = c.pinyin;
  j["no_pinyin"] = c.no_pinyin;
  j["n"] = c.n;
  j["within"] = c.within;
  j["where"] = ToJson(c.where);
  return j;
}

json ToJson(const std::vector<Example>& examples) {
  json j = json::array();
  for (const auto& e : examples) j.push_back(json::array({e.text, ToJson(e.where)}));
  return j;
}
json ToJson(const Rule& r) {
  json j;
  j["id"] = r.id;
  j["type"] = static_cast<int>(r.type);
  j["description"] = r.description;
  j["weight"] = r.weight;
  j["condition"] = ToJson(r.condition);
  if (r.unless) j["unless"] = ToJson(*r.unless);
  j["unless_within"] = r.unless_within;
  j["speakers"] = r.speakers;
  j["match"] = ToJson(r.match_examples);
  j["no_match"] = ToJson(r.no_match_examples);
  j["where"] = ToJson(r.where);
  return j;
}

// Reading uses simdjson's DOM (a parse of the whole file takes about a millisecond);
// every accessor throws simdjson_error on a missing key or a wrong type.
using simdjson::dom::element;

std::string Str(element e) { return std::string(std::string_view(e)); }
int Int(element e) { return static_cast<int>(int64_t(e)); }

std::vector<std::string> Strings(element e) {
  std::vector<std::string> out;
  for (element x : e.get_array()) out.push_back(Str(x));
  return out;
}

SourceLocation LocationFrom(element e) {
  simdjson::dom::array a = e.get_array();
  return {Str(a.at(0)), Int(a.at(1)), Int(a.at(2))};
}

Condition ConditionFrom(element e) {
  Condition c;
  c.kind = static_cast<Condition::Kind>(Int(e["kind"]));
  c.keywords = Strings(e["keywords"]);
  c.patterns = Strings(e["patterns"]);
  for (element w : e["keyword_locations"].get_array()) c.keyword_locations.push_back(LocationFrom(w));
  for (element w : e["pattern_locations"].get_array()) c.pattern_locations.push_back(LocationFrom(w));
  for (element p : e["parts"].get_array()) c.parts.push_back(ConditionFrom(p));
  c.pinyin = bool(e["pinyin"]);
  c.no_pinyin = bool(e["no_pinyin"]);
  c.n = Int(e["n"]);
  c.within = Int(e["within"]);
  c.where = LocationFrom(e["where"]);
  return c;
}

std::vector<Example> ExamplesFrom(element e) {
  std::vector<Example> out;
  for (element x : e.get_array()) {
    simdjson::dom::array a = x.get_array();
    out.push_back({Str(a.at(0)), LocationFrom(a.at(1))});
  }
  return out;
}

Rule RuleFrom(element e) {
  Rule r;
  r.id = Str(e["id"]);
  r.type = static_cast<RuleType>(Int(e["type"]));
  r.description = Str(e["description"]);
  r.weight = double(e["weight"]);
  r.condition = ConditionFrom(e["condition"]);
  if (element u; e["unless"].get(u) == simdjson::SUCCESS) r.unless = ConditionFrom(u);
  r.unless_within = Int(e["unless_within"]);
  r.speakers = Strings(e["speakers"]);
  r.match_examples = ExamplesFrom(e["match"]);
  r.no_match_examples = ExamplesFrom(e["no_match"]);
  r.where = LocationFrom(e["where"]);
  return r;
}

}  // namespace

uint64_t RuleFilesFingerprint(const std::vector<std::pair<std::string, std::string>>& files) {
  Fingerprint f;
  f.Mix(fmt::format("fraudscan rules v{} {} {}", kFormatVersion, __DATE__, __TIME__));
  for (const auto& [name, bytes] : files) {
    f.Mix(name);
    f.Mix(bytes);
  }
  return f.value();
}

std::filesystem::path RuleCachePath(const std::filesystem::path& dir, uint64_t fingerprint) {
  return dir / fmt::format("rules-{:016x}.json", fingerprint);
}

std::optional<LoadResult> ReadRuleCache(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  try {
    simdjson::dom::parser parser;
    element doc = parser.load(path.string());
    if (Int(doc["format"]) != kFormatVersion) return std::nullopt;
    LoadResult result;
    for (element r : doc["rules"].get_array()) result.rule_set.rules.push_back(RuleFrom(r));
    for (element v : doc["word_variants"].get_array()) {
      simdjson::dom::array a = v.get_array();
      result.rule_set.word_variants.push_back({Str(a.at(0)), Strings(a.at(1)), LocationFrom(a.at(2))});
    }
    for (element c : doc["character_variants"].get_array()) {
      simdjson::dom::array a = c.get_array();
      result.rule_set.character_variants.emplace(static_cast<char32_t>(int64_t(a.at(0))),
                                                 static_cast<char32_t>(int64_t(a.at(1))));
    }
    result.rule_set.pinyin_min_chars = Int(doc["pinyin_min_chars"]);
    for (element c : doc["not_misheard"].get_array()) {
      result.rule_set.not_misheard.insert(static_cast<char32_t>(int64_t(c)));
    }
    result.rule_set.files = Strings(doc["files"]);
    for (element d : doc["diagnostics"].get_array()) {
      simdjson::dom::array a = d.get_array();
      result.diagnostics.push_back({static_cast<Diagnostic::Severity>(Int(a.at(0))), LocationFrom(a.at(1)), Str(a.at(2))});
    }
    return result;
  } catch (const simdjson::simdjson_error&) {
    return std::nullopt;  // truncated, damaged or from another version: a miss
  }
}

void WriteRuleCache(const std::filesystem::path& path, const LoadResult& result) {
  json j;
  j["format"] = kFormatVersion;
  json rules = json::array(), variants = json::array(), chars = json::array(), diags = json::array();
  for (const auto& r : result.rule_set.rules) rules.push_back(ToJson(r));
  for (const auto& v : result.rule_set.word_variants) variants.push_back(json::array({v.word, v.spellings, ToJson(v.where)}));
  for (const auto& [from, to] : result.rule_set.character_variants) {
    chars.push_back(json::array({static_cast<uint32_t>(from), static_cast<uint32_t>(to)}));
  }
  for (const auto& d : result.diagnostics) {
    diags.push_back(json::array({static_cast<int>(d.severity), ToJson(d.where), d.message}));
  }
  j["rules"] = std::move(rules);
  j["word_variants"] = std::move(variants);
  j["character_variants"] = std::move(chars);
  j["pinyin_min_chars"] = result.rule_set.pinyin_min_chars;
  json not_misheard = json::array();
  for (char32_t c : result.rule_set.not_misheard) not_misheard.push_back(static_cast<uint32_t>(c));
  j["not_misheard"] = std::move(not_misheard);
  j["files"] = result.rule_set.files;
  j["diagnostics"] = std::move(diags);
  WriteFileAtomically(path, j.dump());
  PruneCache(path.parent_path(), "rules-", 8);
}

}  // namespace fraudscan::detail
