// `fraudscan lint` and `fraudscan test`: the rule regression harness (docs/testing.md).
//
// test = rule examples + labelled corpus (confusion matrix, per-type metrics, per-rule
// hit frequencies, per-transcript expectations) + comparison with a committed
// baseline. Every rule example and every corpus transcript is one JUnit test case.
#include <fmt/format.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <re2/re2.h>
#include <set>
#include <sstream>

#include "commands.hpp"
#include "common.hpp"
#include "input.hpp"

namespace fraudscan::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

// Longest bounded repetition lint accepts in a pattern ({0,50}).
constexpr int kMaxGap = 50;

// Labels of the confusion matrix: the five types, then none.
constexpr int kNone = kFraudTypeCount;
constexpr int kLabels = kFraudTypeCount + 1;

std::string LabelName(int i) { return i == kNone ? "none" : std::string(TypeName(kFraudTypes[static_cast<std::size_t>(i)])); }

// Return the matrix index of a label; other_fraud and anything else count as none.
int LabelIndex(std::string_view label) {
  if (auto t = ParseType(label); t && IsFraudType(*t)) return static_cast<int>(*t);
  return kNone;
}

// Return the expected label of a corpus file: its "# expect:" header, else the name
// of its directory when that is a label (benign/ and none/ mean none), else "".
std::string ExpectedLabel(const Transcript& t, const fs::path& path) {
  for (const auto& [k, v] : t.header) {
    if (k == "expect") return v;
  }
  const std::string dir = path.parent_path().filename().string();
  if (dir == "benign" || dir == "none") return "none";
  if (auto type = ParseType(dir); type && IsFraudType(*type)) return dir;
  if (dir == "other_fraud") return "other_fraud";
  return "";
}

struct Metrics {
  std::array<double, kFraudTypeCount> precision{}, recall{}, f1{};
  std::array<int, kFraudTypeCount> support{}, predicted{};
  double macro_f1 = 0;
  double benign_fpr = 0;
  int benign = 0;
  int benign_flagged = 0;
  int correct = 0;
  int total = 0;
};

struct CaseResult {
  std::string id;            // corpus-relative path
  std::string expected;      // expected label ("" = unlabelled)
  std::string label;
  int risk = 0;
  std::vector<std::string> fired;   // rule ids
  std::vector<std::string> failures;  // expectation failures
};

struct ExampleResult {
  std::string rule_id;
  std::string where;  // file:line:col
  bool match = true;  // a match example (else no_match)
  std::string text;
  bool passed = true;
};

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

Metrics ComputeMetrics(const std::vector<CaseResult>& cases, std::array<std::array<int, kLabels + 1>, kLabels>* matrix) {
  Metrics m;
  for (auto& row : *matrix) row.fill(0);
  for (const auto& c : cases) {
    if (c.expected.empty()) continue;
    const int e = LabelIndex(c.expected);
    const int p = c.label == "other_fraud" ? kLabels : LabelIndex(c.label);
    (*matrix)[static_cast<std::size_t>(e)][static_cast<std::size_t>(p)]++;
    ++m.total;
    const int p_as_label = p == kLabels ? kNone : p;
    if (p_as_label == e) ++m.correct;
    if (c.expected == "none" || c.expected == "benign") {
      ++m.benign;
      if (p_as_label != kNone) ++m.benign_flagged;
    }
  }
  double sum_f1 = 0;
  int classes = 0;
  for (int t = 0; t < kFraudTypeCount; ++t) {
    int tp = (*matrix)[static_cast<std::size_t>(t)][static_cast<std::size_t>(t)];
    int support = 0, predicted = 0;
    for (int x = 0; x <= kLabels; ++x) support += (*matrix)[static_cast<std::size_t>(t)][static_cast<std::size_t>(x)];
    for (int e = 0; e < kLabels; ++e) predicted += (*matrix)[static_cast<std::size_t>(e)][static_cast<std::size_t>(t)];
    const auto i = static_cast<std::size_t>(t);
    m.support[i] = support;
    m.predicted[i] = predicted;
    m.precision[i] = predicted ? static_cast<double>(tp) / predicted : 0;
    m.recall[i] = support ? static_cast<double>(tp) / support : 0;
    m.f1[i] = m.precision[i] + m.recall[i] > 0 ? 2 * m.precision[i] * m.recall[i] / (m.precision[i] + m.recall[i]) : 0;
    if (support > 0) {
      sum_f1 += m.f1[i];
      ++classes;
    }
  }
  m.macro_f1 = classes ? sum_f1 / classes : 0;
  m.benign_fpr = m.benign ? static_cast<double>(m.benign_flagged) / m.benign : 0;
  return m;
}

Json MetricsJson(const Metrics& m) {
  Json j;
  j["macro_f1"] = std::round(m.macro_f1 * 10000) / 10000;
  j["benign_fpr"] = std::round(m.benign_fpr * 10000) / 10000;
  j["accuracy"] = m.total ? std::round(10000.0 * m.correct / m.total) / 10000 : 0;
  Json types = Json::object();
  for (int t = 0; t < kFraudTypeCount; ++t) {
    const auto i = static_cast<std::size_t>(t);
    types[LabelName(t)] = {{"precision", std::round(m.precision[i] * 10000) / 10000},
                           {"recall", std::round(m.recall[i] * 10000) / 10000},
                           {"f1", std::round(m.f1[i] * 10000) / 10000},
                           {"support", m.support[i]}};
  }
  j["types"] = std::move(types);
  return j;
}

bool IsCorrect(const CaseResult& c) { return !c.expected.empty() && LabelIndex(c.expected) == LabelIndex(c.label); }

}  // namespace

int RunLint(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: fraudscan lint [--rules PATH]... [--strict] [--corpus DIR [--max-benign-share F]]\n\n"
      "Load and compile every rule file and report every problem as\n"
      "path:line:col: error|warning: message: YAML and schema errors, RE2 errors with the\n"
      "offending part, duplicate ids, unknown types or fields, patterns matching the empty\n"
      "string, unbounded .* or .+, bounded gaps longer than 50 characters, rules without\n"
      "examples, and (with --corpus) rules that\n"
      "fire on too large a share of the benign transcripts.\n"
      "Exit 0 when clean, 1 when --strict and there are warnings, 2 when there are errors.\n\nOptions");
  std::vector<std::string> rules;
  std::vector<std::string> corpus;
  bool strict = false;
  double max_benign_share = 0.05;
  desc.add_options()("help,h", "show this help")("rules,r", po::value(&rules)->composing(),
                                                  "rule file or directory (repeatable)")(
      "strict", po::bool_switch(&strict), "treat warnings as errors")(
      "corpus", po::value(&corpus)->composing(), "labelled corpus to measure rules on benign text (repeatable)")(
      "max-benign-share", po::value(&max_benign_share)->default_value(0.05),
      "warn when a rule fires on more than this share of the benign corpus");
  if (ParseCommandLine(args, desc)) return kExitClean;
  Engine::Built built = Engine::FromPaths(ResolveRulePaths(rules), {}, CompileOptionsFromEnvironment());
  std::vector<Diagnostic> diags = std::move(built.diagnostics);
  if (built.engine) {
    // Unbounded wildcards can run across a whole turn and make patterns slow.
    static const RE2 unbounded(R"((^|[^\\])\.[*+])");
    for (const Rule& r : built.engine->rules().rule_set().rules) {
      auto visit = [&](auto& self, const Condition& c) -> void {
        for (std::size_t i = 0; i < c.patterns.size(); ++i) {
          // Long bounded gaps ({0,60}) blow up the regex automaton; windows cost nothing.
          static const RE2 long_gap(R"(\{\d*,(\d+)\})");
          re2::StringPiece in(c.patterns[i]);
          int gap = 0;
          while (RE2::FindAndConsume(&in, long_gap, &gap)) {
            if (gap > kMaxGap) {
              diags.push_back({Diagnostic::Severity::warning, c.pattern_locations[i],
                               fmt::format("rule '{}': a gap of up to {} characters in '{}' makes the pattern slow; "
                                           "split it into an all_of with within",
                                           r.id, gap, c.patterns[i])});
              break;
            }
          }
          if (RE2::PartialMatch(c.patterns[i], unbounded)) {
            diags.push_back({Diagnostic::Severity::warning, c.pattern_locations[i],
                             fmt::format("rule '{}': unbounded '.*' or '.+' in '{}'; use a bounded gap like "
                                         "[^。！？]{{0,20}} or an all_of with within",
                                         r.id, c.patterns[i])});
          }
        }
        for (const auto& p : c.parts) self(self, p);
      };
      visit(visit, r.condition);
      if (r.unless) visit(visit, *r.unless);
    }
    if (!corpus.empty()) {
      InputStream input(corpus, InputOptions{});
      std::vector<Job> batch;
      std::map<std::string, int> benign_hits;
      int benign = 0;
      while (input.NextBatch(&batch, 256, std::size_t{8} << 20)) {
        for (const Job& job : batch) {
          if (!job.transcript) continue;
          if (LabelIndex(ExpectedLabel(*job.transcript, job.name)) != kNone ||
              ExpectedLabel(*job.transcript, job.name).empty()) {
            continue;
          }
          ++benign;
          for (const auto& h : built.engine->Hits(*job.transcript)) benign_hits[h.rule->id]++;
        }
      }
      for (const Rule& r : built.engine->rules().rule_set().rules) {
        if (r.type == RuleType::benign || benign == 0) continue;
        const int n = benign_hits[r.id];
        if (static_cast<double>(n) / benign > max_benign_share) {
          diags.push_back({Diagnostic::Severity::warning, r.where,
                           fmt::format("rule '{}' fires on {} of {} benign corpus transcripts ({:.1f}% > {:.1f}%)", r.id,
                                       n, benign, 100.0 * n / benign, 100 * max_benign_share)});
        }
      }
    }
  }
  std::size_t errors = 0, warnings = 0;
  for (const auto& d : diags) {
    std::fprintf(stderr, "%s\n", FormatDiagnostic(d).c_str());
    (d.severity == Diagnostic::Severity::error ? errors : warnings)++;
  }
  const std::size_t rule_count = built.engine ? built.engine->rules().rule_set().rules.size() : 0;
  std::fprintf(stderr, "fraudscan lint: %zu rules, %zu errors, %zu warnings\n", rule_count, errors, warnings);
  if (errors > 0) return kExitError;
  return strict && warnings > 0 ? kExitFlagged : kExitClean;
}

int RunTest(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: fraudscan test [OPTIONS] [CORPUS...]\n\n"
      "1. Runs every rule's examples: each 'match' text must fire the rule, each\n"
      "   'no_match' text must not.\n"
      "2. Scans the labelled CORPUS (directories per label, or '# expect: LABEL' headers):\n"
      "   confusion matrix, per-type precision/recall/F1, macro-F1, benign false-positive\n"
      "   rate, and a per-rule hit table that points at over-broad and dead rules.\n"
      "3. Checks each transcript's header expectations: expect, must-hit, must-not-hit,\n"
      "   min-risk, max-risk.\n"
      "4. With --baseline, compares with the committed baseline and fails on a transcript\n"
      "   that went from right to wrong, a metric that dropped by more than --tolerance, or\n"
      "   a risk that moved the wrong way (up on an honest transcript, down on a fraud one)\n"
      "   by more than --risk-tolerance. --update-baseline rewrites it.\n\n"
      "Exit status: 0 all passed, 1 a failed example, expectation or regression, 2 an error\n"
      "(bad rules, unreadable corpus).\n\nOptions");
  std::vector<std::string> rules, corpus;
  std::string baseline, junit, json_out;
  bool update = false, show_rules = false;
  double tolerance = 0.02;
  int risk_tolerance = 15;
  desc.add_options()
      ("help,h", "show this help")
      ("rules,r", po::value(&rules)->composing(), "rule file or directory (repeatable)")
      ("baseline,b", po::value(&baseline), "baseline file (JSON) to compare with")
      ("update-baseline", po::bool_switch(&update), "write the current results to --baseline instead of comparing")
      ("tolerance", po::value(&tolerance)->default_value(0.02), "allowed drop of macro-F1, per-type F1, or rise of benign FPR")
      ("risk-tolerance", po::value(&risk_tolerance)->default_value(15), "allowed change of a transcript's risk, in points")
      ("junit", po::value(&junit), "write a JUnit XML report to this file")
      ("json", po::value(&json_out), "write the full report as JSON to this file")
      ("hit-table", po::bool_switch(&show_rules), "print the per-rule hit table even when nothing is wrong");
  if (ParseCommandLine(args, desc, "corpus", &corpus)) return kExitClean;
  if (update && baseline.empty()) throw UsageError("--update-baseline needs --baseline FILE");

  auto engine = BuildEngine(ResolveRulePaths(rules), {}, false);
  if (!engine) return kExitError;
  const auto& rule_list = engine->rules().rule_set().rules;
  std::string out;

  // 1. Rule examples.
  std::vector<ExampleResult> examples;
  std::size_t example_failures = 0;
  for (std::size_t i = 0; i < rule_list.size(); ++i) {
    const Rule& rule = rule_list[i];
    auto check = [&](const Example& ex, bool should_fire) {
      Transcript t = ParsePlainText(rule.id, ex.text);
      NormalizedTranscript nt = NormalizeTranscript(engine->normalizer(), t);
      const bool fired = engine->rules().Fires(i, nt);
      ExampleResult r{rule.id, fmt::format("{}:{}:{}", ex.where.file, ex.where.line, ex.where.column), should_fire,
                      ex.text, fired == should_fire};
      if (!r.passed) {
        ++example_failures;
        out += fmt::format("{}: FAIL {}: {} example {}: {}\n", r.where, rule.id, should_fire ? "match" : "no_match",
                           should_fire ? "does not fire the rule" : "fires the rule", ex.text);
      }
      examples.push_back(std::move(r));
    };
    for (const auto& ex : rule.match_examples) check(ex, true);
    for (const auto& ex : rule.no_match_examples) check(ex, false);
  }
  out += fmt::format("rule examples: {} passed, {} failed\n", examples.size() - example_failures, example_failures);

  // 2-3. Corpus.
  std::vector<CaseResult> cases;
  bool read_errors = false;
  std::map<std::string, std::array<int, kLabels>> rule_hits;  // rule -> hits per expected label
  const fs::path id_base = baseline.empty() ? fs::path() : fs::absolute(baseline).parent_path();
  if (!corpus.empty()) {
    InputStream input(corpus, InputOptions{});
    std::vector<Job> batch;
    while (input.NextBatch(&batch, 256, std::size_t{8} << 20)) {
      for (const Job& job : batch) {
        if (!job.error.empty()) {
          std::fprintf(stderr, "fraudscan: error: %s: %s\n", job.name.c_str(), job.error.c_str());
          read_errors = true;
          continue;
        }
        if (!job.transcript) continue;
        // The baseline usually lives in the corpus directory; it is not a transcript.
        if (std::error_code ec; !baseline.empty() && !job.from_jsonl && fs::equivalent(job.name, baseline, ec)) continue;
        const Transcript& t = *job.transcript;
        Result r = engine->Scan(t);
        CaseResult c;
        c.id = id_base.empty() ? job.name : fs::absolute(job.name).lexically_relative(id_base).generic_string();
        c.expected = ExpectedLabel(t, job.name);
        c.label = r.label;
        c.risk = r.risk;
        std::set<std::string> fired;
        for (const auto& e : r.evidence) fired.insert(e.rule_id);
        c.fired.assign(fired.begin(), fired.end());
        if (!c.expected.empty()) {
          const int e = LabelIndex(c.expected);
          for (const auto& id : fired) rule_hits[id][static_cast<std::size_t>(e)]++;
          if (LabelIndex(c.label) != e) c.failures.push_back(fmt::format("expected {}, got {} (risk {})", c.expected, c.label, c.risk));
        }
        for (const auto& [key, value] : t.header) {
          if (key == "must-hit" || key == "must-not-hit") {
            std::istringstream ids(value);
            for (std::string id; ids >> id;) {
              if (!id.empty() && id.back() == ',') id.pop_back();
              const bool hit = fired.contains(id);
              if (key == "must-hit" && !hit) c.failures.push_back(fmt::format("must-hit {} did not fire", id));
              if (key == "must-not-hit" && hit) c.failures.push_back(fmt::format("must-not-hit {} fired", id));
            }
          } else if (key == "min-risk" || key == "max-risk") {
            int limit = 0;
            try {
              limit = std::stoi(value);
            } catch (const std::exception&) {
              c.failures.push_back(fmt::format("bad {} value '{}'", key, value));
              continue;
            }
            if (key == "min-risk" && c.risk < limit) c.failures.push_back(fmt::format("risk {} < min-risk {}", c.risk, limit));
            if (key == "max-risk" && c.risk > limit) c.failures.push_back(fmt::format("risk {} > max-risk {}", c.risk, limit));
          }
        }
        cases.push_back(std::move(c));
      }
    }
  }
  std::sort(cases.begin(), cases.end(), [](const CaseResult& a, const CaseResult& b) { return a.id < b.id; });
  std::size_t case_failures = 0;
  for (const auto& c : cases) {
    if (c.failures.empty()) continue;
    ++case_failures;
    for (const auto& f : c.failures) out += fmt::format("{}: FAIL {}\n", c.id, f);
  }
  std::array<std::array<int, kLabels + 1>, kLabels> matrix{};
  Metrics metrics = ComputeMetrics(cases, &matrix);

  if (!cases.empty()) {
    out += fmt::format("\ncorpus: {} transcripts, {} passed, {} failed\n", cases.size(), cases.size() - case_failures,
                       case_failures);
    out += "\nconfusion matrix (rows: expected, columns: predicted)\n";
    out += fmt::format("{:<18}", "");
    for (int p = 0; p < kLabels; ++p) out += fmt::format("{:>9.8}", LabelName(p));
    out += fmt::format("{:>9}\n", "other");
    for (int e = 0; e < kLabels; ++e) {
      out += fmt::format("{:<18}", LabelName(e));
      for (int p = 0; p <= kLabels; ++p) out += fmt::format("{:>9}", matrix[static_cast<std::size_t>(e)][static_cast<std::size_t>(p)]);
      out += '\n';
    }
    out += fmt::format("\n{:<18}{:>9}{:>9}{:>9}{:>9}{:>9}\n", "type", "support", "pred", "prec", "recall", "f1");
    for (int t = 0; t < kFraudTypeCount; ++t) {
      const auto i = static_cast<std::size_t>(t);
      out += fmt::format("{:<18}{:>9}{:>9}{:>9.3f}{:>9.3f}{:>9.3f}\n", LabelName(t), metrics.support[i],
                         metrics.predicted[i], metrics.precision[i], metrics.recall[i], metrics.f1[i]);
    }
    out += fmt::format("macro-F1 {:.4f}   benign false-positive rate {:.4f} ({} of {})\n", metrics.macro_f1,
                       metrics.benign_fpr, metrics.benign_flagged, metrics.benign);

    // Per-rule hit table: hits per expected label, precision, and flags.
    std::string table;
    int dead = 0, broad = 0;
    for (const Rule& r : rule_list) {
      const auto& h = rule_hits[r.id];
      int total = 0;
      for (int x : h) total += x;
      int good = 0;
      if (IsFraudType(r.type)) {
        good = h[static_cast<std::size_t>(r.type)];
      } else if (r.type == RuleType::move) {
        good = total - h[kNone];
      } else {
        good = h[kNone];
      }
      std::string flag;
      if (total == 0) {
        flag = "dead";
        ++dead;
      } else if (r.type != RuleType::benign && metrics.benign > 0 &&
                 static_cast<double>(h[kNone]) / metrics.benign > 0.05) {
        flag = "broad";
        ++broad;
      } else if (static_cast<double>(good) / total < 0.5) {
        flag = "imprecise";
      }
      if (!show_rules && flag.empty()) continue;
      table += fmt::format("{:<34.34}", r.id);
      for (int x : h) table += fmt::format("{:>6}", x);
      table += fmt::format("{:>7}", total ? fmt::format("{:.2f}", static_cast<double>(good) / total) : "-");
      table += fmt::format("  {}\n", flag);
    }
    if (!table.empty()) {
      out += fmt::format("\nrule hits on the corpus, by expected label{}\n", show_rules ? "" : " (flagged rules only; --hit-table for all)");
      out += fmt::format("{:<34}", "rule");
      for (int e = 0; e < kLabels; ++e) out += fmt::format("{:>6.5}", LabelName(e));
      out += fmt::format("{:>7}\n", "prec");
      out += table;
    }
    out += fmt::format("rules: {} total, {} never fire on the corpus, {} fire on >5% of benign transcripts\n",
                       rule_list.size(), dead, broad);
  }

  // 4. Baseline.
  std::size_t regressions = 0;
  Json current;
  current["version"] = 1;
  current["metrics"] = MetricsJson(metrics);
  Json transcripts = Json::object();
  for (const auto& c : cases) {
    transcripts[c.id] = {{"expected", c.expected}, {"label", c.label}, {"risk", c.risk}};
  }
  current["transcripts"] = transcripts;
  if (!baseline.empty() && update) {
    std::ofstream f(baseline);
    f << current.dump(1, ' ', false, Json::error_handler_t::replace) << "\n";
    if (!f) throw std::runtime_error("cannot write " + baseline);
    out += fmt::format("\nbaseline written: {} ({} transcripts)\n", baseline, cases.size());
  } else if (!baseline.empty()) {
    std::ifstream f(baseline);
    if (!f) throw std::runtime_error("cannot read baseline " + baseline + " (create it with --update-baseline)");
    Json base;
    try {
      base = Json::parse(f);
    } catch (const Json::exception& e) {
      throw std::runtime_error("baseline " + baseline + " is not valid JSON: " + e.what());
    }
    std::string diff;
    const Json& old_cases = base["transcripts"];
    for (const auto& c : cases) {
      if (!old_cases.contains(c.id)) {
        diff += fmt::format("  + {}: new transcript, {} risk {}\n", c.id, c.label, c.risk);
        continue;
      }
      const Json& o = old_cases[c.id];
      const std::string old_label = o.value("label", "");
      const int old_risk = o.value("risk", 0);
      const bool was_right = !c.expected.empty() && LabelIndex(o.value("expected", "")) == LabelIndex(old_label);
      if (was_right && !IsCorrect(c)) {
        ++regressions;
        diff += fmt::format("  REGRESSION {}: was {} (right), now {} (expected {}), risk {} -> {}\n", c.id, old_label,
                            c.label, c.expected, old_risk, c.risk);
      } else if (!was_right && IsCorrect(c)) {
        diff += fmt::format("  fixed {}: was {}, now {}, risk {} -> {}\n", c.id, old_label, c.label, old_risk, c.risk);
      } else if (std::abs(c.risk - old_risk) > risk_tolerance) {
        // A move toward the expected answer is an improvement, not a regression.
        const bool expect_fraud = !c.expected.empty() && LabelIndex(c.expected) != kNone;
        const bool expect_clean = !c.expected.empty() && LabelIndex(c.expected) == kNone && c.expected != "other_fraud";
        const bool better = (expect_fraud && c.risk > old_risk) || (expect_clean && c.risk < old_risk);
        if (better) {
          diff += fmt::format("  improved {}: risk {} -> {}\n", c.id, old_risk, c.risk);
        } else {
          ++regressions;
          diff += fmt::format("  REGRESSION {}: risk moved {} -> {} (more than {} points)\n", c.id, old_risk, c.risk,
                              risk_tolerance);
        }
      } else if (old_label != c.label) {
        diff += fmt::format("  changed {}: {} -> {}\n", c.id, old_label, c.label);
      }
    }
    std::set<std::string> now;
    for (const auto& c : cases) now.insert(c.id);
    for (const auto& [id, _] : old_cases.items()) {
      if (!now.contains(id)) diff += fmt::format("  - {}: no longer in the corpus\n", id);
    }
    const Json& om = base["metrics"];
    auto drop = [&](const std::string& name, double before, double after, bool higher_is_better) {
      const double change = higher_is_better ? before - after : after - before;
      if (change > tolerance + 1e-9) {
        ++regressions;
        diff += fmt::format("  REGRESSION {}: {:.4f} -> {:.4f} (tolerance {:.4f})\n", name, before, after, tolerance);
      } else if (std::abs(before - after) > 1e-9) {
        diff += fmt::format("  {}: {:.4f} -> {:.4f}\n", name, before, after);
      }
    };
    drop("macro-F1", om.value("macro_f1", 0.0), metrics.macro_f1, true);
    drop("benign FPR", om.value("benign_fpr", 0.0), metrics.benign_fpr, false);
    for (int t = 0; t < kFraudTypeCount; ++t) {
      const std::string name = LabelName(t);
      if (om.contains("types") && om["types"].contains(name)) {
        drop(name + " F1", om["types"][name].value("f1", 0.0), metrics.f1[static_cast<std::size_t>(t)], true);
      }
    }
    out += fmt::format("\nbaseline {}: {} regression(s)\n{}", baseline, regressions, diff);
  }

  const bool failed = example_failures > 0 || case_failures > 0 || regressions > 0;
  out += fmt::format("\n{} passed, {} failed\n",
                     examples.size() - example_failures + cases.size() - case_failures,
                     example_failures + case_failures + regressions);
  WriteStdout(out);
  FlushStdout();

  if (!junit.empty()) {
    std::ofstream f(junit);
    std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    x += fmt::format("<testsuites name=\"fraudscan\" tests=\"{}\" failures=\"{}\">\n", examples.size() + cases.size() + (baseline.empty() || update ? 0 : 1),
                     example_failures + case_failures + (regressions > 0 ? 1 : 0));
    x += fmt::format("  <testsuite name=\"rule-examples\" tests=\"{}\" failures=\"{}\">\n", examples.size(), example_failures);
    for (const auto& e : examples) {
      x += fmt::format("    <testcase classname=\"{}\" name=\"{} {}\" file=\"{}\"", XmlEscape(e.rule_id),
                       e.match ? "match" : "no_match", XmlEscape(e.text), XmlEscape(e.where));
      if (e.passed) {
        x += "/>\n";
      } else {
        x += fmt::format("><failure message=\"{}\"/></testcase>\n",
                         XmlEscape(e.match ? "match example does not fire the rule" : "no_match example fires the rule"));
      }
    }
    x += "  </testsuite>\n";
    x += fmt::format("  <testsuite name=\"corpus\" tests=\"{}\" failures=\"{}\">\n", cases.size(), case_failures);
    for (const auto& c : cases) {
      x += fmt::format("    <testcase classname=\"corpus\" name=\"{}\"", XmlEscape(c.id));
      if (c.failures.empty()) {
        x += "/>\n";
      } else {
        std::string msg;
        for (const auto& m : c.failures) msg += (msg.empty() ? "" : "; ") + m;
        x += fmt::format("><failure message=\"{}\"/></testcase>\n", XmlEscape(msg));
      }
    }
    x += "  </testsuite>\n";
    if (!baseline.empty() && !update) {
      x += fmt::format("  <testsuite name=\"baseline\" tests=\"1\" failures=\"{}\">\n", regressions > 0 ? 1 : 0);
      x += "    <testcase classname=\"baseline\" name=\"no regressions\"";
      x += regressions > 0 ? fmt::format("><failure message=\"{} regression(s)\"/></testcase>\n", regressions) : "/>\n";
      x += "  </testsuite>\n";
    }
    x += "</testsuites>\n";
    f << x;
    if (!f) throw std::runtime_error("cannot write " + junit);
  }
  if (!json_out.empty()) {
    Json j = current;
    j["examples"] = {{"passed", examples.size() - example_failures}, {"failed", example_failures}};
    Json failures = Json::array();
    for (const auto& e : examples) {
      if (!e.passed) failures.push_back({{"rule", e.rule_id}, {"where", e.where}, {"kind", e.match ? "match" : "no_match"}, {"text", e.text}});
    }
    j["example_failures"] = failures;
    Json cf = Json::array();
    for (const auto& c : cases) {
      if (!c.failures.empty()) cf.push_back({{"id", c.id}, {"failures", c.failures}});
    }
    j["corpus_failures"] = cf;
    Json conf = Json::object();
    for (int e = 0; e < kLabels; ++e) {
      Json row = Json::object();
      for (int p = 0; p <= kLabels; ++p) row[p == kLabels ? "other_fraud" : LabelName(p)] = matrix[static_cast<std::size_t>(e)][static_cast<std::size_t>(p)];
      conf[LabelName(e)] = row;
    }
    j["confusion"] = conf;
    Json hits = Json::object();
    for (const Rule& r : rule_list) {
      Json row = Json::object();
      for (int e = 0; e < kLabels; ++e) row[LabelName(e)] = rule_hits[r.id][static_cast<std::size_t>(e)];
      hits[r.id] = row;
    }
    j["rule_hits"] = hits;
    j["regressions"] = regressions;
    std::ofstream f(json_out);
    f << j.dump(1, ' ', false, Json::error_handler_t::replace) << "\n";
    if (!f) throw std::runtime_error("cannot write " + json_out);
  }
  if (read_errors) return kExitError;
  return failed ? kExitFlagged : kExitClean;
}

}  // namespace fraudscan::cli
