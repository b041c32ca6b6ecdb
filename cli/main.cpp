// fraudscan: command-line entry point. Parses the subcommand and hands over; all
// logic lives in lib/ and the cli/ command files.
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options/errors.hpp>
#ifdef FRAUDSCAN_HAVE_MIMALLOC
#include <mimalloc.h>
#endif

#include "commands.hpp"
#include "common.hpp"

namespace {

constexpr const char* kUsage = R"(fraudscan — classify Chinese call transcripts and chat logs as telecom/online fraud

Usage: fraudscan <command> [options] [args]

Commands:
  scan [PATH...]     classify transcripts (files, directories, - for stdin)
  test [CORPUS...]   run every rule's examples and check a labelled corpus
  lint               check the rule files and report every problem
  rules              list the rules, or --export-patterns for rg/grep

Run 'fraudscan <command> --help' for a command's options.
Rules: --rules PATH, else $FRAUDSCAN_RULES, else the installed rule set.

Exit status: 0 clean, 1 flagged (scan: risk at or above threshold; test/lint: a failure),
2 error (bad usage, bad rules, unreadable input).

Examples:
  fraudscan scan corpus/
  echo '您好我是抖音客服…' | fraudscan scan --explain -
  fraudscan scan --output jsonl dir/ | jq -c 'select(.label != "none")'
  fraudscan lint --strict && fraudscan test corpus/
)";

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? fraudscan::cli::kExitError : fraudscan::cli::kExitClean;
  }
  if (args[0] == "--version" || args[0] == "-V") {
#ifdef FRAUDSCAN_HAVE_MIMALLOC
    const int mi = mi_version();  // e.g. 209 for 2.0.9
    std::printf("fraudscan %s (allocator: mimalloc %d.%d.%d)\n", FRAUDSCAN_VERSION, mi / 100, mi / 10 % 10, mi % 10);
#else
    std::printf("fraudscan %s\n", FRAUDSCAN_VERSION);
#endif
    return 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "scan") return fraudscan::cli::RunScan(args);
    if (command == "test") return fraudscan::cli::RunTest(args);
    if (command == "lint") return fraudscan::cli::RunLint(args);
    if (command == "rules") return fraudscan::cli::RunRules(args);
    std::fprintf(stderr, "fraudscan: error: unknown command '%s' (scan, test, lint, rules; see --help)\n",
                 command.c_str());
    return fraudscan::cli::kExitError;
  } catch (const fraudscan::cli::BrokenPipe&) {
    return 0;
  } catch (const boost::program_options::error& e) {
    std::fprintf(stderr, "fraudscan %s: error: %s (see 'fraudscan %s --help')\n", command.c_str(), e.what(),
                 command.c_str());
    return fraudscan::cli::kExitError;
  } catch (const fraudscan::cli::UsageError& e) {
    std::fprintf(stderr, "fraudscan %s: error: %s\n", command.c_str(), e.what());
    return fraudscan::cli::kExitError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fraudscan: error: %s\n", e.what());
    return fraudscan::cli::kExitError;
  }
}
