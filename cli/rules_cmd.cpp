// `fraudscan rules`: list the loaded rules, or export their patterns one per line
// (for rg -f / grep -E -f, and for the benchmark).
#include <fmt/format.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "commands.hpp"
#include "common.hpp"

namespace fraudscan::cli {

namespace po = boost::program_options;

namespace {

// Return `relative` (a data directory such as share/fraudscan/rules) under the prefix
// this binary is installed in (<prefix>/bin/fraudscan), or "" when it is not there.
std::filesystem::path InstalledDir(const char* relative) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  fs::path dir = exe.parent_path().parent_path() / relative;
  return fs::is_directory(dir, ec) ? dir : fs::path();
}

}  // namespace

std::vector<std::filesystem::path> ResolveRulePaths(const std::vector<std::string>& given) {
  namespace fs = std::filesystem;
  std::vector<fs::path> out;
  if (!given.empty()) {
    out.assign(given.begin(), given.end());
    return out;
  }
  if (const char* env = std::getenv("FRAUDSCAN_RULES"); env != nullptr && *env != '\0') {
    std::string_view s(env);
    while (!s.empty()) {
      auto colon = s.find(':');
      auto part = s.substr(0, colon);
      if (!part.empty()) out.emplace_back(part);
      if (colon == std::string_view::npos) break;
      s.remove_prefix(colon + 1);
    }
    return out;
  }
  if (fs::path installed = InstalledDir(FRAUDSCAN_INSTALL_RULES_REL); !installed.empty()) return {installed};
  return {fs::path(FRAUDSCAN_SOURCE_RULES)};
}

namespace {

// Return the cache of the shipped rule set that the build wrote (next to the installed
// rules, or in the build tree; FRAUDSCAN_SHIPPED_CACHE names another, empty: none),
// or "" when there is none.
std::filesystem::path ShippedCacheDir() {
  namespace fs = std::filesystem;
  if (const char* dir = std::getenv("FRAUDSCAN_SHIPPED_CACHE")) return dir;
  if (fs::path installed = InstalledDir(FRAUDSCAN_INSTALL_CACHE_REL); !installed.empty()) return installed;
  std::error_code ec;
  if (fs::is_directory(FRAUDSCAN_BUILD_CACHE, ec)) return FRAUDSCAN_BUILD_CACHE;
  return {};
}

// Copy into `cache_dir` the shipped entries it lacks, so that the first run of a new
// install loads the shipped rule set precompiled. Entries are keyed by the build and
// the rules' contents; ones that do not fit are never read. Best effort.
void SeedCache(const std::filesystem::path& cache_dir) {
  namespace fs = std::filesystem;
  const fs::path shipped = ShippedCacheDir();
  std::error_code ec;
  if (shipped.empty() || !fs::is_directory(shipped, ec) || fs::equivalent(shipped, cache_dir, ec)) return;
  for (auto it = fs::directory_iterator(shipped, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path target = cache_dir / it->path().filename();
    std::error_code e;
    if (fs::exists(target, e)) continue;
    fs::create_directories(cache_dir, e);
    const fs::path tmp = target.string() + fmt::format(".{}.tmp", static_cast<long>(::getpid()));
    if (fs::copy_file(it->path(), tmp, fs::copy_options::overwrite_existing, e)) fs::rename(tmp, target, e);
    if (e) fs::remove(tmp, e);
  }
}

}  // namespace

CompileOptions CompileOptionsFromEnvironment() {
  CompileOptions o;
  if (const char* engine = std::getenv("FRAUDSCAN_MATCHER")) o.engine = engine;
  if (const char* dir = std::getenv("FRAUDSCAN_CACHE_DIR")) {
    o.cache_dir = dir;  // empty: no cache
  } else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    o.cache_dir = std::filesystem::path(xdg) / "fraudscan";
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    o.cache_dir = std::filesystem::path(home) / ".cache" / "fraudscan";
  }
  if (!o.cache_dir.empty()) SeedCache(o.cache_dir);
  return o;
}

std::unique_ptr<Engine> BuildEngine(const std::vector<std::filesystem::path>& paths, ScoreOptions options,
                                    bool warnings) {
  Engine::Built built = Engine::FromPaths(paths, options, CompileOptionsFromEnvironment());
  for (const auto& d : built.diagnostics) {
    if (d.severity == Diagnostic::Severity::error || warnings) {
      std::fprintf(stderr, "%s\n", FormatDiagnostic(d).c_str());
    }
  }
  return std::move(built.engine);
}

bool ParseCommandLine(const std::vector<std::string>& args, const po::options_description& desc,
                      const char* positional_name, std::vector<std::string>* positional) {
  po::options_description all;
  all.add(desc);
  po::positional_options_description pos;
  if (positional_name != nullptr) {
    all.add_options()(positional_name, po::value(positional)->composing());
    pos.add(positional_name, -1);
  }
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return true;
  }
  return false;
}

void WriteStdout(std::string_view text) {
  if (text.empty()) return;
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) throw BrokenPipe{};
}

void FlushStdout() {
  if (std::fflush(stdout) != 0) throw BrokenPipe{};
}

int RunRules(const std::vector<std::string>& args) {
  po::options_description desc(
      "Usage: fraudscan rules [--rules PATH]... [--list | --export-patterns]\n\n"
      "List the rule set, or export every keyword and pattern as an RE2/ERE-compatible\n"
      "regex, one per line, for use with other tools (rg -f, grep -E -f).\n\nOptions");
  std::vector<std::string> rules;
  bool export_patterns = false;
  desc.add_options()("help,h", "show this help")("rules,r", po::value(&rules)->composing(),
                                                  "rule file or directory (repeatable)")(
      "list", "one line per rule: id, type, weight, file:line, description (the default)")(
      "export-patterns", po::bool_switch(&export_patterns), "one regex per line: every distinct keyword (escaped) and pattern");
  if (ParseCommandLine(args, desc)) return kExitClean;
  auto engine = BuildEngine(ResolveRulePaths(rules), {}, false);
  if (!engine) return kExitError;
  if (export_patterns) {
    for (const auto& p : engine->rules().AtomPatterns()) WriteStdout(p + "\n");
  } else {
    for (const auto& r : engine->rules().rule_set().rules) {
      WriteStdout(fmt::format("{}\t{}\t{:.2f}\t{}:{}\t{}\n", r.id, TypeName(r.type), r.weight, r.where.file,
                              r.where.line, r.description));
    }
  }
  FlushStdout();
  return kExitClean;
}

}  // namespace fraudscan::cli
