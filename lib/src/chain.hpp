// chain: bounded-gap patterns evaluated from literal positions. Internal to lib/.
//
// Most rule patterns have one shape: sets of literals separated by bounded gaps that
// may not cross a sentence end, e.g.
//   (拨打|致电)[^。！？\n]{0,6}(客服|热线)的?(电话|号码)
// Running RE2 over every candidate line for them cost most of the scan time. A pattern
// of this shape is decomposed into Chains: a list of literal sets and the gaps between
// them. The literals join the first-pass literal engine like keywords, and a chain
// matches where an occurrence of each set follows the previous one within its gap,
// with only characters the gap allows in between. Existence of a match is
// exactly what RE2 decides; spans may differ in where they end (RE2's greedy gaps).
//
// Small classes (and \d, \s) are literal sets ([一二三]) or, repeated ([个下我一]{0,3},
// [0-9]+, \s*), gaps of those characters; a repeated class with a minimum next to
// another gap or at an end gives its minimum as literals (跌了[^。]{0,4}[0-9]+个点: 跌了,
// gap, digit, digits, 个点). A group whose alternatives hold gaps gives one chain per
// alternative. Literal sets whose product would be too large stay separate segments
// with an empty gap between them. Anything else (\p{..}, anchors, flags, \b, repeats
// of literals or groups, unbounded negated gaps such as .* or [^。]+, two gaps side by
// side that cannot be merged, a negated leading or trailing gap with a minimum...) is
// not decomposed and stays an RE2 pattern.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fraudscan::detail {

// Characters between two literal sets: min..max code points, none of them in `chars`
// (a negated class or `.`: `chars` always holds '\n', patterns never cross a line), or,
// when !negated, all of them in `chars` (a class with a bounded repeat, [个下我一]{0,3}).
inline constexpr uint32_t kUnbounded = 0xFFFFFFFF;  // Gap::max of a '+' or '*' (positive classes only)

struct Gap {
  uint32_t min = 0;
  uint32_t max = 0;  // or kUnbounded
  bool negated = true;
  std::vector<char32_t> chars;  // sorted
  bool operator==(const Gap&) const = default;
};

// segments[0] gaps[0] segments[1] ... gaps[n-2] segments[n-1]; each segment a set of
// non-empty literals (normalized text: lowercase ASCII, no case-variant letters). The
// matcher keeps only the number of segments once their literals are atoms of its own.
struct Chain {
  std::vector<std::vector<std::string>> segments;
  std::vector<Gap> gaps;
  // Characters a match needs (`min`) and extends over (up to `max`; 0: none) before its
  // first and after its last segment, as RE2's greedy match would: a leading or trailing
  // repeat of a class beyond what became literals ([0-9]{1,3}% is a digit, '%', and up
  // to two more digits before them; 微信号[a-z0-9_-]{5,} needs five such characters
  // after 微信号).
  Gap lead;
  Gap trail;
};

// Return chains such that `pattern` (RE2 syntax, matched case-insensitively on
// normalized text, never across '\n') matches a text iff one of the chains does;
// nullopt when `pattern` is outside the decomposable subset. Every pattern accepted is
// also valid RE2.
std::optional<std::vector<Chain>> DecomposePattern(std::string_view pattern);

// One occurrence of a segment's literal: byte offsets in the text.
struct Occurrence {
  uint32_t begin;
  uint32_t end;
};

// Return the non-overlapping matches of `chain` in `text`, leftmost first, at most
// `limit`. occurrences[i] holds every occurrence of segment i's literals, sorted by
// begin (ties in any order); char_at[b] is the code-point index of byte b (size
// text.size() + 1).
std::vector<Occurrence> MatchChain(const Chain& chain, std::string_view text,
                                   const std::vector<std::vector<Occurrence>>& occurrences,
                                   const std::vector<uint32_t>& char_at, std::size_t limit);

}  // namespace fraudscan::detail
