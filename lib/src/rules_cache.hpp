// rules_cache: a parsed rule set kept on disk between runs, so that start-up skips
// YAML parsing. Internal to lib/ (LoadRules uses it when given a cache directory).
//
// The cache holds a LoadResult in serial.hpp's binary form, named by a fingerprint of
// the rule files' relative names and bytes and of this build. Only clean loads (no
// errors) are stored; a missing, stale or unreadable entry is a miss and is rewritten.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fraudscan/rules.hpp"

namespace fraudscan::detail {

// Return the fingerprint of rule files given as (name, bytes): names relative to the
// directory they were found in, so that an entry serves the same rules anywhere.
uint64_t RuleFilesFingerprint(const std::vector<std::pair<std::string_view, std::string_view>>& files);

// Return a fingerprint of what a matcher compiled from `rule_set` depends on, besides
// the normalizer and the build: conditions, exceptions, speakers and variants (not ids,
// types, weights, descriptions, examples or source locations).
uint64_t RuleSetFingerprint(const RuleSet& rule_set);

// Return the cache file for `fingerprint` under `dir`.
std::filesystem::path RuleCachePath(const std::filesystem::path& dir, uint64_t fingerprint);

// Return the LoadResult stored at `path`, or nullopt (missing or unreadable).
std::optional<LoadResult> ReadRuleCache(const std::filesystem::path& path);

// Store `result` at `path` (best effort: errors are ignored), then prune old entries.
void WriteRuleCache(const std::filesystem::path& path, const LoadResult& result);

}  // namespace fraudscan::detail
