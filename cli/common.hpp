// Shared pieces of the command-line front end: rule-set location, diagnostics
// printing, and the error type that ends a command with exit code 2.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "fraudscan/engine.hpp"

namespace fraudscan::cli {

// Exit codes, documented in README.md and --help.
inline constexpr int kExitClean = 0;     // scan: nothing at or above the threshold; test/lint: all passed
inline constexpr int kExitFlagged = 1;   // scan: something at or above the threshold; test/lint: failures
inline constexpr int kExitError = 2;     // bad usage, bad rules, unreadable input

// Thrown for usage errors; main prints "fraudscan: error: <what>" and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Thrown when stdout is a closed pipe: the command ends quietly.
struct BrokenPipe {};

// Return the rule paths to load: `given` if not empty, else $FRAUDSCAN_RULES
// (':'-separated), else the installed rule set next to the binary
// (<prefix>/share/fraudscan/rules), else the source tree's rules/ (build tree use).
std::vector<std::filesystem::path> ResolveRulePaths(const std::vector<std::string>& given);

// Return the compile options from the environment: FRAUDSCAN_MATCHER picks the literal
// engine ("trie", the default; "hyperscan"; "re2-set"); compiled databases are cached in
// $FRAUDSCAN_CACHE_DIR, else $XDG_CACHE_HOME/fraudscan, else ~/.cache/fraudscan
// (FRAUDSCAN_CACHE_DIR set but empty: no cache).
CompileOptions CompileOptionsFromEnvironment();

// Build the engine from `paths`, printing every diagnostic to stderr.
// Return null when there were errors. With `warnings`, print warnings too.
std::unique_ptr<Engine> BuildEngine(const std::vector<std::filesystem::path>& paths, ScoreOptions options,
                                    bool warnings);

// Parse a subcommand's `args` with `desc`; positional arguments, if `positional_name`
// is given, go to `*positional`. Return true when --help was asked for and printed:
// the command then ends with kExitClean. Throws boost::program_options::error.
bool ParseCommandLine(const std::vector<std::string>& args, const boost::program_options::options_description& desc,
                      const char* positional_name = nullptr, std::vector<std::string>* positional = nullptr);

// Write `text` to stdout; throws BrokenPipe when the reader went away.
void WriteStdout(std::string_view text);
void FlushStdout();

}  // namespace fraudscan::cli
