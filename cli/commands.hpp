// The subcommands; each takes its own arguments (without the subcommand name) and
// returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace fraudscan::cli {

int RunScan(const std::vector<std::string>& args);
int RunRules(const std::vector<std::string>& args);
int RunLint(const std::vector<std::string>& args);
int RunTest(const std::vector<std::string>& args);

}  // namespace fraudscan::cli
