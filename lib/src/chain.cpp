#include "chain.hpp"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace fraudscan::detail {

namespace {

constexpr std::size_t kMaxLiterals = 512;  // literals of one segment after expansion
constexpr std::size_t kMaxChains = 64;     // alternatives of one pattern
constexpr uint32_t kMaxRepeat = 1000;      // RE2's own limit
constexpr uint32_t kMaxRange = 64;         // characters of a range in a class

// \d and \s as RE2 reads them (ASCII only); \n is never inside a match.
constexpr std::u32string_view kDigits = U"0123456789";
constexpr std::u32string_view kSpaces = U"\t\f\r ";

// Return true iff the pattern at `p` starts with \d or \s; then `*chars` are its characters.
bool ClassEscape(std::string_view p, std::u32string_view* chars) {
  if (p.size() < 2 || p[0] != '\\') return false;
  if (p[1] == 'd') {
    *chars = kDigits;
    return true;
  }
  if (p[1] == 's') {
    *chars = kSpaces;
    return true;
  }
  return false;
}

// A parsed element: a set of literals (possibly holding "", for an optional part) or
// a gap.
struct Item {
  bool is_gap = false;
  std::vector<std::string> literals;
  Gap gap;
  std::vector<char32_t> class_chars;  // a positive class: its characters, for a repeat
  // A group whose alternatives hold gaps: one item list per alternative (then neither
  // `literals` nor `gap` is used). Flatten() turns them into separate branches.
  std::vector<std::vector<Item>> choices;
};

// Return `c` in UTF-8 (empty when it is not a code point).
std::string Utf8(char32_t c) {
  char buf[U8_MAX_LENGTH];
  int32_t n = 0;
  UBool error = false;
  U8_APPEND(reinterpret_cast<uint8_t*>(buf), n, U8_MAX_LENGTH, static_cast<UChar32>(c), error);
  return error ? std::string() : std::string(buf, static_cast<std::size_t>(n));
}

// Return the set of concatenations a+b for a in x, b in y; false when too many.
bool Product(const std::vector<std::string>& x, const std::vector<std::string>& y, std::vector<std::string>* out) {
  if (x.size() * y.size() > kMaxLiterals) return false;
  out->clear();
  for (const auto& a : x) {
    for (const auto& b : y) out->push_back(a + b);
  }
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
  return true;
}

class Parser {
 public:
  explicit Parser(std::string_view p) : p_(p) {}

  // branch ('|' branch)* to the end of the pattern.
  bool ParseTop(std::vector<std::vector<Item>>* branches) {
    for (;;) {
      branches->emplace_back();
      if (!ParseSequence(&branches->back())) return false;
      if (AtEnd()) return true;
      if (p_[i_] != '|') return false;  // a stray ')'
      ++i_;
    }
  }

 private:
  bool AtEnd() const { return i_ >= p_.size(); }

  // Items up to '|', ')' or the end.
  bool ParseSequence(std::vector<Item>* items) {
    while (!AtEnd() && p_[i_] != '|' && p_[i_] != ')') {
      Item item;
      if (!ParseAtom(&item)) return false;
      if (!ParseQuantifier(&item)) return false;
      items->push_back(std::move(item));
    }
    return true;
  }

  bool ParseAtom(Item* item) {
    const char c = p_[i_];
    if (c == '(') return ParseGroup(item);
    if (c == '[') return ParseClass(item);
    if (std::u32string_view chars; ClassEscape(p_.substr(i_), &chars)) {
      i_ += 2;
      for (const char32_t ch : chars) {
        item->literals.push_back(Utf8(ch));
        item->class_chars.push_back(ch);
      }
      return true;
    }
    if (c == '.') {
      ++i_;
      item->is_gap = true;
      item->gap.chars = {U'\n'};
      return true;
    }
    std::string lit;
    if (!ParseLiteral(/*in_class=*/false, &lit)) return false;
    item->literals = {lit};
    return true;
  }

  // One literal character (escaped punctuation included), case-folded: into `out`.
  bool ParseLiteral(bool in_class, std::string* out) {
    auto c = static_cast<unsigned char>(p_[i_]);
    if (c == '\\') {
      if (i_ + 1 >= p_.size()) return false;
      const auto e = static_cast<unsigned char>(p_[i_ + 1]);
      // \n only as an excluded character of a gap (handled by the caller).
      if (e >= 0x80 || std::isalnum(e) || e < 0x20) return false;
      i_ += 2;
      out->push_back(static_cast<char>(e));
      return true;
    }
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7F) return false;
      if (!in_class && std::strchr(".[]{}()*+?^$|", static_cast<int>(c)) != nullptr) return false;
      if (in_class && std::strchr("[]^\\", static_cast<int>(c)) != nullptr) return false;
      out->push_back(static_cast<char>(std::tolower(c)));
      ++i_;
      return true;
    }
    UChar32 cp = 0;
    const auto* s = reinterpret_cast<const uint8_t*>(p_.data());
    auto i = static_cast<int32_t>(i_);
    U8_NEXT(s, i, static_cast<int32_t>(p_.size()), cp);
    if (cp < 0) return false;
    // Text is case-folded; a letter with other case forms would match them under RE2's
    // case-insensitive matching, which a literal search would not.
    if (u_foldCase(cp, U_FOLD_CASE_DEFAULT) != cp) return false;
    out->append(p_.substr(i_, static_cast<std::size_t>(i) - i_));
    i_ = static_cast<std::size_t>(i);
    return true;
  }

  // (...) or (?:...): alternatives of literals become one literal set; alternatives
  // that hold gaps (除非[^。]{0,3}支付) become choices, each its own branch later.
  bool ParseGroup(Item* item) {
    ++i_;
    if (p_.substr(i_, 2) == "?:") {
      i_ += 2;
    } else if (!AtEnd() && p_[i_] == '?') {
      return false;  // flags, named groups and the like
    }
    std::vector<std::vector<Item>> alternatives;
    for (;;) {
      alternatives.emplace_back();
      if (!ParseSequence(&alternatives.back())) return false;
      if (alternatives.size() > kMaxChains) return false;
      if (AtEnd()) return false;
      if (p_[i_] == ')') {
        ++i_;
        break;
      }
      ++i_;  // '|'
    }
    const bool literal_only = std::all_of(alternatives.begin(), alternatives.end(), [](const auto& seq) {
      return std::all_of(seq.begin(), seq.end(), [](const Item& it) { return !it.is_gap && it.choices.empty(); });
    });
    if (!literal_only) {
      item->choices = std::move(alternatives);
      return true;
    }
    std::vector<std::string> all;
    for (const auto& seq : alternatives) {
      std::vector<std::string> set = {""};
      for (const Item& it : seq) {
        std::vector<std::string> next;
        if (!Product(set, it.literals, &next)) return false;
        set = std::move(next);
      }
      all.insert(all.end(), set.begin(), set.end());
      if (all.size() > kMaxLiterals) return false;
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    item->literals = std::move(all);
    return true;
  }

  // [^...] is a gap (its characters are excluded); [...] a set of one-character
  // literals.
  bool ParseClass(Item* item) {
    ++i_;
    const bool negated = !AtEnd() && p_[i_] == '^';
    if (negated) ++i_;
    std::vector<std::string> chars;
    std::vector<char32_t> excluded = {U'\n'};
    bool first = true;
    while (!AtEnd() && (p_[i_] != ']' || first)) {
      first = false;
      if (negated && p_.substr(i_, 2) == "\\n") {
        i_ += 2;
        continue;
      }
      if (std::u32string_view escaped; ClassEscape(p_.substr(i_), &escaped)) {
        i_ += 2;
        for (const char32_t ch : escaped) {
          if (negated) {
            excluded.push_back(ch);
          } else {
            item->class_chars.push_back(ch);
            chars.push_back(Utf8(ch));
          }
        }
        continue;
      }
      std::string lit;
      if (!ParseLiteral(/*in_class=*/true, &lit)) return false;
      if (!AtEnd() && p_[i_] == '-' && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        if (negated) return false;
        ++i_;
        std::string hi;
        if (!ParseLiteral(/*in_class=*/true, &hi)) return false;
        const char32_t a = Decode(lit), b = Decode(hi);
        if (a > b || b - a >= kMaxRange) return false;
        for (char32_t c = a; c <= b; ++c) {
          if (u_foldCase(static_cast<UChar32>(c), U_FOLD_CASE_DEFAULT) != static_cast<UChar32>(c)) return false;
          chars.push_back(Utf8(c));
          item->class_chars.push_back(c);
        }
        continue;
      }
      if (negated) {
        excluded.push_back(Decode(lit));
      } else {
        item->class_chars.push_back(Decode(lit));
        chars.push_back(std::move(lit));
      }
    }
    if (AtEnd()) return false;
    ++i_;  // ']'
    if (negated) {
      std::sort(excluded.begin(), excluded.end());
      excluded.erase(std::unique(excluded.begin(), excluded.end()), excluded.end());
      item->is_gap = true;
      item->gap.chars = std::move(excluded);
      return true;
    }
    if (chars.empty()) return false;
    std::sort(chars.begin(), chars.end());
    chars.erase(std::unique(chars.begin(), chars.end()), chars.end());
    item->literals = std::move(chars);
    return true;
  }

  static char32_t Decode(const std::string& s) {
    UChar32 cp = 0;
    int32_t i = 0;
    U8_NEXT(reinterpret_cast<const uint8_t*>(s.data()), i, static_cast<int32_t>(s.size()), cp);
    return static_cast<char32_t>(cp < 0 ? 0xFFFD : cp);
  }

  // A quantifier after `item`: '?' on literals; {m,n}, {n}, '?' on gaps (lazy or not);
  // any repeat ({m,n}, {m,}, '*', '+') of a positive class, which makes it a gap of its
  // characters. A gap without one stands for exactly one character.
  bool ParseQuantifier(Item* item) {
    if (item->is_gap) {
      item->gap.min = item->gap.max = 1;
    }
    if (AtEnd()) return true;
    const char c = p_[i_];
    if (c == '*' || c == '+') {
      // Unbounded, so only over a positive class: the gap ends at the first other
      // character. (`.*` and `[^。]+` stay with RE2.)
      if (item->is_gap || item->class_chars.empty() || !item->choices.empty()) return false;
      ++i_;
      if (!AtEnd() && p_[i_] == '?') ++i_;
      if (!AtEnd() && std::strchr("*+?{", p_[i_]) != nullptr) return false;
      MakeClassGap(item);
      item->gap.min = c == '+' ? 1 : 0;
      item->gap.max = kUnbounded;
      return true;
    }
    if (!item->choices.empty() && c != '?') return c != '{' && c != '*' && c != '+';
    if (c == '?') {
      ++i_;
      if (!item->choices.empty()) {
        item->choices.emplace_back();  // the group may be absent
      } else if (item->is_gap) {
        item->gap.min = 0;
      } else {
        item->literals.emplace_back();
      }
      if (!AtEnd() && p_[i_] == '?') ++i_;  // lazy: the same language
      return AtEnd() || (p_[i_] != '*' && p_[i_] != '+' && p_[i_] != '?' && p_[i_] != '{');
    }
    if (c != '{') return true;
    const bool positive_class = !item->is_gap;
    if (positive_class) {
      // A repeat of a positive class: a gap of its characters.
      if (item->class_chars.empty()) return false;
      MakeClassGap(item);
    }
    ++i_;
    uint32_t lo = 0, hi = 0;
    if (!ParseNumber(&lo)) return false;
    if (!AtEnd() && p_[i_] == '}') {
      hi = lo;
    } else {
      if (AtEnd() || p_[i_] != ',') return false;
      ++i_;
      if (!AtEnd() && p_[i_] == '}' && positive_class) {
        hi = kUnbounded;  // {m,}: as for '+'
      } else if (!ParseNumber(&hi)) {
        return false;
      }
    }
    if (AtEnd() || p_[i_] != '}' || lo > hi || (hi > kMaxRepeat && hi != kUnbounded)) return false;
    ++i_;
    if (!AtEnd() && p_[i_] == '?') ++i_;
    if (!AtEnd() && std::strchr("*+?{", p_[i_]) != nullptr) return false;
    item->gap.min = lo;
    item->gap.max = hi;
    return true;
  }

  static void MakeClassGap(Item* item) {
    std::sort(item->class_chars.begin(), item->class_chars.end());
    item->class_chars.erase(std::unique(item->class_chars.begin(), item->class_chars.end()), item->class_chars.end());
    item->is_gap = true;
    item->gap.negated = false;
    item->gap.chars = item->class_chars;
    item->literals.clear();
  }

  bool ParseNumber(uint32_t* n) {
    const std::size_t start = i_;
    *n = 0;
    while (!AtEnd() && p_[i_] >= '0' && p_[i_] <= '9' && i_ - start < 5) {
      *n = *n * 10 + static_cast<uint32_t>(p_[i_] - '0');
      ++i_;
    }
    return i_ > start && (AtEnd() || p_[i_] < '0' || p_[i_] > '9');
  }

  std::string_view p_;
  std::size_t i_ = 0;
};

// Return the strings of `n` characters of `chars` (all of them); false when too many.
bool Power(const std::vector<char32_t>& chars, uint32_t n, std::vector<std::string>* out) {
  std::vector<std::string> one;
  for (const char32_t c : chars) one.push_back(Utf8(c));
  *out = {""};
  for (uint32_t i = 0; i < n; ++i) {
    std::vector<std::string> next;
    if (!Product(*out, one, &next)) return false;
    *out = std::move(next);
  }
  return true;
}

bool IsZeroGap(const Item& it) { return it.is_gap && it.gap.max == 0; }

// A gap of no characters between two literal sets whose product would be too large: they
// are then separate segments, one right after the other.
Item ZeroGap() {
  Item it;
  it.is_gap = true;
  it.gap.chars = {U'\n'};
  return it;
}

// Return `items` with adjacent literal sets made one (their product), or, when that
// would be too many literals, left as segments with no gap between them.
std::vector<Item> MergeLiteralSets(std::vector<Item> items) {
  std::vector<Item> merged;
  for (Item& it : items) {
    if (!it.is_gap && !merged.empty() && !merged.back().is_gap) {
      std::vector<std::string> next;
      if (Product(merged.back().literals, it.literals, &next)) {
        merged.back().literals = std::move(next);
        merged.back().class_chars.clear();
        continue;
      }
      merged.push_back(ZeroGap());
    }
    merged.push_back(std::move(it));
  }
  return merged;
}

// Turn `seq`, one choice of a branch's items, into a chain; false when it is outside
// the subset.
bool BuildChain(std::vector<Item> seq, Chain* chain) {
  // A repeated positive class with a minimum, next to another gap or at an end of the
  // pattern, becomes its minimum as literals plus a gap of the rest: 跌了[^。]{0,4}[0-9]+个点
  // is 跌了, a gap, a digit, digits, 个点. At an end, existence is the same with the
  // minimum only (RE2 finds [0-9]{2,5}元 where [0-9]{2}元 occurs); the span is widened
  // over the rest afterwards (Chain::lead and Chain::trail). When the minimum as literals
  // would be too many ([a-z0-9_-]{5,} after 微信号), an end keeps it as a count that the
  // match checks (Chain::lead and Chain::trail again).
  std::vector<Item> items;
  for (std::size_t i = 0; i < seq.size(); ++i) {
    Item& it = seq[i];
    const bool at_start = i == 0, at_end = i + 1 == seq.size();
    const bool gap_before = !at_start && seq[i - 1].is_gap && !IsZeroGap(seq[i - 1]);
    const bool gap_after = !at_end && seq[i + 1].is_gap && !IsZeroGap(seq[i + 1]);
    if (!it.is_gap || it.gap.negated || it.gap.min == 0 || (!at_start && !at_end && !gap_before && !gap_after)) {
      items.push_back(std::move(it));
      continue;
    }
    Item lits;
    if (!Power(it.gap.chars, it.gap.min, &lits.literals)) {
      if ((at_start && !gap_after) || (at_end && !gap_before)) {
        items.push_back(std::move(it));
        continue;
      }
      return false;
    }
    Item rest = it;
    rest.gap.min = 0;
    if (rest.gap.max != kUnbounded) rest.gap.max -= it.gap.min;
    // The literals go next to the gap, or at the end, away from the pattern's edge.
    const bool literals_first = gap_before || (at_end && !at_start);
    if (literals_first) {
      items.push_back(std::move(lits));
      if (rest.gap.max > 0) items.push_back(std::move(rest));
    } else {
      if (rest.gap.max > 0) items.push_back(std::move(rest));
      items.push_back(std::move(lits));
    }
  }
  const std::vector<Item> merged = MergeLiteralSets(std::move(items));
  std::optional<Gap> pending;
  for (const Item& it : merged) {
    if (it.is_gap) {
      if (!pending || pending->max == 0) {
        pending = it.gap;
      } else if (it.gap.max == 0) {
        // nothing to add
      } else if (pending->negated == it.gap.negated && pending->chars == it.gap.chars) {
        pending->min += it.gap.min;
        pending->max = pending->max == kUnbounded || it.gap.max == kUnbounded ? kUnbounded : pending->max + it.gap.max;
      } else {
        return false;  // adjacent gaps that exclude different characters
      }
      continue;
    }
    if (pending) {
      if (chain->segments.empty()) {
        // A leading gap is dropped, or, when it is a repeated positive class or has a
        // minimum, checked before the first segment and widens the span (RE2 is greedy).
        if (!pending->negated || pending->min > 0) chain->lead = *pending;
      } else {
        chain->gaps.push_back(*pending);
      }
      pending.reset();
    }
    if (it.literals.empty()) return false;
    chain->segments.push_back(it.literals);
  }
  if (pending) {
    if (!pending->negated || pending->min > 0) chain->trail = *pending;  // likewise a trailing one
  }
  if (chain->segments.empty()) return false;
  for (const Gap& g : chain->gaps) {
    if (g.max > kMaxRepeat && !(g.max == kUnbounded && !g.negated)) return false;
  }
  return true;
}

// Turn one branch's items into chains (appended to `out`); false when the branch is
// outside the subset.
bool BuildChains(std::vector<Item> items, std::vector<Chain>* out) {
  std::vector<Item> merged = MergeLiteralSets(std::move(items));
  // A segment that may be empty gives two alternatives: with it, and without it.
  std::vector<std::size_t> optional;
  for (std::size_t i = 0; i < merged.size(); ++i) {
    if (!merged[i].is_gap) {
      auto& lits = merged[i].literals;
      if (std::find(lits.begin(), lits.end(), "") != lits.end()) {
        std::erase(lits, "");
        optional.push_back(i);
      }
    }
  }
  if (optional.size() > 4 || out->size() + (std::size_t{1} << optional.size()) > kMaxChains) return false;
  for (std::size_t mask = 0; mask < (std::size_t{1} << optional.size()); ++mask) {
    std::vector<Item> chosen;
    for (std::size_t i = 0, o = 0; i < merged.size(); ++i) {
      const bool is_optional = o < optional.size() && optional[o] == i;
      if (is_optional) {
        const bool present = (mask >> o) & 1;
        ++o;
        if (!present || merged[i].literals.empty()) continue;
      }
      chosen.push_back(merged[i]);
    }
    Chain chain;
    if (!BuildChain(std::move(chosen), &chain)) return false;
    out->push_back(std::move(chain));
  }
  return true;
}

// Return `pattern` without a group around all of it: (a|b) and (?:a|b) are a|b.
std::string_view Unwrap(std::string_view pattern) {
  for (;;) {
    std::size_t open = 0;
    if (pattern.starts_with("(?:")) {
      open = 3;
    } else if (pattern.starts_with("(") && !pattern.starts_with("(?")) {
      open = 1;
    } else {
      return pattern;
    }
    // Find the parenthesis that closes the first one (classes and escapes skipped).
    int depth = 0;
    bool in_class = false;
    std::size_t close = std::string_view::npos;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
      const char c = pattern[i];
      if (c == '\\') {
        ++i;
      } else if (in_class) {
        in_class = c != ']';
      } else if (c == '[') {
        in_class = true;
        if (i + 1 < pattern.size() && pattern[i + 1] == ']') ++i;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')' && --depth == 0) {
        close = i;
        break;
      }
    }
    if (close != pattern.size() - 1) return pattern;
    pattern = pattern.substr(open, close - open);
  }
}

// Append to `out` every item list that `items` stands for once each choice is made;
// false when there would be more than kMaxChains.
bool Flatten(const std::vector<Item>& items, std::vector<std::vector<Item>>* out) {
  std::vector<std::vector<Item>> lists(1);
  for (const Item& it : items) {
    if (it.choices.empty()) {
      for (auto& l : lists) l.push_back(it);
      continue;
    }
    std::vector<std::vector<Item>> alternatives;
    for (const auto& choice : it.choices) {
      if (!Flatten(choice, &alternatives)) return false;
    }
    std::vector<std::vector<Item>> next;
    for (const auto& l : lists) {
      for (const auto& alt : alternatives) {
        next.push_back(l);
        next.back().insert(next.back().end(), alt.begin(), alt.end());
        if (next.size() > kMaxChains) return false;
      }
    }
    lists = std::move(next);
  }
  if (out->size() + lists.size() > kMaxChains) return false;
  out->insert(out->end(), std::make_move_iterator(lists.begin()), std::make_move_iterator(lists.end()));
  return true;
}

}  // namespace

std::optional<std::vector<Chain>> DecomposePattern(std::string_view pattern) {
  pattern = Unwrap(pattern);
  if (pattern.empty()) return std::nullopt;
  std::vector<std::vector<Item>> branches;
  Parser parser(pattern);
  if (!parser.ParseTop(&branches)) return std::nullopt;
  std::vector<std::vector<Item>> flat;
  for (const auto& branch : branches) {
    if (!Flatten(branch, &flat)) return std::nullopt;
  }
  std::vector<Chain> chains;
  for (auto& branch : flat) {
    if (!BuildChains(std::move(branch), &chains)) return std::nullopt;
  }
  return chains;
}

std::vector<Occurrence> MatchChain(const Chain& chain, std::string_view text,
                                   const std::vector<std::vector<Occurrence>>& occurrences,
                                   const std::vector<uint32_t>& char_at, std::size_t limit) {
  const std::size_t n = chain.segments.size();
  // next[i][j]: for occurrence j of segment i, the occurrence of segment i+1 that
  // completes a match from it; -1 none; -2 not computed yet.
  std::vector<std::vector<int>> next(n);
  for (std::size_t i = 0; i + 1 < n; ++i) next[i].assign(occurrences[i].size(), -2);
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const auto size = static_cast<int32_t>(text.size());
  auto in = [](const Gap& g, UChar32 c) {
    return c != '\n' && std::binary_search(g.chars.begin(), g.chars.end(), static_cast<char32_t>(c)) != g.negated;
  };
  // Return the offset reached by stepping over up to `most` characters of `g` before
  // (backward) or after `at`, and in *count how many there were.
  auto step = [&](uint32_t at, const Gap& g, uint32_t most, bool backward, uint32_t* count) {
    *count = 0;
    while (*count < most && (backward ? at > 0 : at < text.size())) {
      auto k = static_cast<int32_t>(at);
      UChar32 c = 0;
      if (backward) {
        U8_PREV(bytes, 0, k, c);
      } else {
        U8_NEXT(bytes, k, size, c);
      }
      if (!in(g, c)) break;
      at = static_cast<uint32_t>(k);
      ++*count;
    }
    return at;
  };
  auto trail_ok = [&](uint32_t end) {
    uint32_t count = 0;
    step(end, chain.trail, chain.trail.min, false, &count);
    return count >= chain.trail.min;
  };

  // Return true iff occurrence j of segment i starts a completion.
  auto complete = [&](auto& self, std::size_t i, std::size_t j) -> bool {
    if (i + 1 == n) return trail_ok(occurrences[i][j].end);
    int& memo = next[i][j];
    if (memo != -2) return memo >= 0;
    memo = -1;
    const Gap& gap = chain.gaps[i];
    const uint32_t from = occurrences[i][j].end;
    // The first character at or after `from` that the gap may not hold, looking no
    // further than the gap.
    uint32_t barrier = static_cast<uint32_t>(text.size());
    {
      auto k = static_cast<int32_t>(from);
      for (uint32_t chars = 0; k < size && chars <= gap.max; ++chars) {
        const int32_t at = k;
        UChar32 c = 0;
        U8_NEXT(bytes, k, size, c);
        const bool listed = std::binary_search(gap.chars.begin(), gap.chars.end(), static_cast<char32_t>(c));
        if (listed == gap.negated || c == '\n') {
          barrier = static_cast<uint32_t>(at);
          break;
        }
      }
    }
    const auto& cands = occurrences[i + 1];
    auto it = std::lower_bound(cands.begin(), cands.end(), from,
                               [](const Occurrence& o, uint32_t v) { return o.begin < v; });
    for (; it != cands.end(); ++it) {
      if (it->begin > barrier) break;
      const uint32_t d = char_at[it->begin] - char_at[from];
      if (d > gap.max) break;
      if (d < gap.min) continue;
      const auto k = static_cast<std::size_t>(it - cands.begin());
      if (self(self, i + 1, k)) {
        memo = static_cast<int>(k);
        return true;
      }
    }
    return false;
  };

  std::vector<Occurrence> out;
  uint32_t pos = 0;
  const auto& firsts = occurrences[0];
  for (std::size_t j = 0; j < firsts.size() && out.size() < limit; ++j) {
    if (firsts[j].begin < pos) continue;
    // Characters the pattern needs before its first segment, then the rest of the chain.
    uint32_t count = 0;
    uint32_t begin = step(firsts[j].begin, chain.lead, chain.lead.max, /*backward=*/true, &count);
    if (count < chain.lead.min || !complete(complete, 0, j)) continue;
    std::size_t k = j;
    for (std::size_t i = 0; i + 1 < n; ++i) k = static_cast<std::size_t>(next[i][k]);
    // Widened as RE2's greedy match would be; the leading characters stop at the previous match.
    if (begin < pos) begin = pos;
    const uint32_t end = step(occurrences[n - 1][k].end, chain.trail, chain.trail.max, false, &count);
    out.push_back({begin, end});
    pos = std::max(end, firsts[j].begin + 1);
  }
  return out;
}

}  // namespace fraudscan::detail
