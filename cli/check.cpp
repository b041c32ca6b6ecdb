// `fraudscan lint` and `fraudscan test`: the rule regression harness.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "commands.hpp"
#include "common.hpp"

namespace fraudscan::cli {

namespace po = boost::program_options;

int RunLint(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: fraudscan lint [--rules PATH]... [--strict]\n\n"
      "Load and compile every rule file and report every problem as\n"
      "path:line:col: error|warning: message. Exit 0 when clean, 1 when --strict and\n"
      "there are warnings, 2 when there are errors.\n\nOptions");
  std::vector<std::string> rules;
  bool strict = false;
  desc.add_options()("help,h", "show this help")("rules,r", po::value(&rules)->composing(),
                                                  "rule file or directory (repeatable)")(
      "strict", po::bool_switch(&strict), "treat warnings as errors");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitClean;
  }
  Engine::Built built = Engine::FromPaths(ResolveRulePaths(rules), {});
  std::size_t errors = 0, warnings = 0;
  for (const auto& d : built.diagnostics) {
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
      "Usage: fraudscan test [--rules PATH]...\n\n"
      "Run every rule's examples: each 'match' text must fire the rule, each\n"
      "'no_match' text must not. Exit 0 when all pass, 1 on a failure, 2 on bad rules.\n\nOptions");
  std::vector<std::string> rules;
  desc.add_options()("help,h", "show this help")("rules,r", po::value(&rules)->composing(),
                                                  "rule file or directory (repeatable)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitClean;
  }
  auto engine = BuildEngine(ResolveRulePaths(rules), {}, false);
  if (!engine) return kExitError;
  const auto& rule_list = engine->rules().rule_set().rules;
  std::size_t passed = 0, failed = 0;
  for (std::size_t i = 0; i < rule_list.size(); ++i) {
    const Rule& rule = rule_list[i];
    auto check = [&](const Example& ex, bool should_fire) {
      Transcript t = ParsePlainText(rule.id, ex.text);
      NormalizedTranscript nt = NormalizeTranscript(engine->normalizer(), t);
      const bool fired = engine->rules().Fires(i, nt);
      if (fired == should_fire) {
        ++passed;
        return;
      }
      ++failed;
      WriteStdout(fmt::format("{}:{}:{}: FAIL {}: {} example {}: {}\n", ex.where.file, ex.where.line, ex.where.column,
                              rule.id, should_fire ? "match" : "no_match",
                              should_fire ? "does not fire the rule" : "fires the rule", ex.text));
    };
    for (const auto& ex : rule.match_examples) check(ex, true);
    for (const auto& ex : rule.no_match_examples) check(ex, false);
  }
  WriteStdout(fmt::format("rule examples: {} passed, {} failed\n", passed, failed));
  FlushStdout();
  return failed > 0 ? kExitFlagged : kExitClean;
}

}  // namespace fraudscan::cli
