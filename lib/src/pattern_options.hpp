// pattern_options: how every rule pattern is compiled by RE2. Internal to lib/; the
// decomposition tests (tests/unit/test_chain.cpp) compare chains against RE2 compiled
// with these very options.
#pragma once

#include <re2/re2.h>

namespace fraudscan::detail {

// UTF-8, case-insensitive (the text is case-folded anyway), never across a line.
inline RE2::Options PatternOptions() {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingUTF8);
  o.set_case_sensitive(false);
  o.set_log_errors(false);
  o.set_never_nl(true);
  return o;
}

}  // namespace fraudscan::detail
