#include "fraudscan/matcher.hpp"

#include "cache_file.hpp"
#include "chain.hpp"
#include "flat.hpp"
#include "literal_matcher.hpp"
#include "pattern_options.hpp"
#include "rules_cache.hpp"
#include "serial.hpp"

#include <fmt/format.h>
#include <re2/re2.h>
#include <re2/filtered_re2.h>
#include <re2/set.h>
#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <optional>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

namespace fraudscan {

namespace {

constexpr std::size_t kMaxSpansPerAtom = 64;
// Keywords that are parts of decomposed patterns: every occurrence counts.
constexpr std::size_t kMaxSpansPerChainPart = std::numeric_limits<uint32_t>::max();
constexpr std::size_t kMaxMatchesPerNode = 64;
constexpr uint32_t kUnlimited = std::numeric_limits<uint32_t>::max();

// A match of a condition: its extent and the leaf spans that make it up.
struct NodeMatch {
  uint32_t begin;
  uint32_t end;
  std::vector<Span> parts;
};

// Return `lit` as a regex that matches it in POSIX ERE, RE2 and Rust regex alike: only
// the metacharacters get a backslash (RE2::QuoteMeta also escapes '%', '-', ' ' and the
// like, which ripgrep rejects in exported patterns).
std::string EscapeRegex(std::string_view lit) {
  std::string out;
  out.reserve(lit.size());
  for (char c : lit) {
    if (std::string_view(".[]{}()\\*+?^$|").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// Return `pattern` with each run of its text outside character classes and escapes
// replaced by what `rewrite(run, &out)` appends; classes and escapes stay as written.
template <class Rewrite>
std::string RewritePlainText(std::string_view pattern, Rewrite rewrite) {
  std::string out;
  out.reserve(pattern.size());
  std::size_t start = 0;
  auto cut = [&](std::size_t at, bool plain) {  // the piece [start, at)
    if (at > start) {
      const std::string_view piece = pattern.substr(start, at - start);
      if (plain) {
        rewrite(piece, &out);
      } else {
        out += piece;
      }
    }
    start = at;
  };
  auto next_char = [&](std::size_t i) {  // past the (UTF-8) character at i
    for (++i; i < pattern.size() && (static_cast<unsigned char>(pattern[i]) & 0xC0) == 0x80;) ++i;
    return i;
  };
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      if (!in_class) cut(i, true);
      i = next_char(i + 1);
      if (!in_class) cut(i, false);
    } else if (!in_class && pattern[i] == '[') {
      cut(i, true);
      in_class = true;
      ++i;
      if (i < pattern.size() && pattern[i] == '^') ++i;
      if (i < pattern.size() && pattern[i] == ']') ++i;  // a ']' first is a member
    } else if (in_class && pattern[i] == ']') {
      in_class = false;
      cut(++i, false);
    } else {
      ++i;
    }
  }
  cut(pattern.size(), !in_class);
  return out;
}

// Return `pattern` written for normalized text: outside character classes, every
// non-ASCII character that the normalizer changes (traditional 單, full-width Ａ, a
// character variant) is replaced by what the text holds instead (刷單 -> 刷单; removed
// when normalization removes it), so that a literal written that way is not dead.
// Classes and escaped characters are left alone. (The shipped rules' gaps such as
// [^。！？] were tuned on text where ！？ had become !?, which they let through.)
std::string NormalizePatternText(const std::string& pattern, const Normalizer& norm) {
  return RewritePlainText(pattern, [&](std::string_view text, std::string* out) {
    for (std::size_t i = 0; i < text.size();) {
      std::size_t n = 1;
      while (i + n < text.size() && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80) ++n;
      const std::string ch(text.substr(i, n));
      i += n;
      const std::string normalized = static_cast<unsigned char>(ch[0]) < 0x80 ? ch : norm.Normalize(ch);
      if (normalized == ch) {
        *out += ch;
      } else {
        // grouped unless one character, so that a quantifier after it keeps its scope
        const auto lead = normalized.empty() ? 0 : static_cast<unsigned char>(normalized[0]);
        const std::size_t len = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        *out += normalized.size() == len ? EscapeRegex(normalized) : "(?:" + EscapeRegex(normalized) + ")";
      }
    }
  });
}

// Return `pattern` with every occurrence of a variant word outside character classes
// replaced by an alternation of the word and its spellings: 加微信 -> 加(?:微信|薇信|vx).
// Occurrences inside [...] or right after a backslash are left alone.
std::string ExpandVariantsInPattern(const std::string& pattern,
                                    const std::vector<std::pair<std::string, std::vector<std::string>>>& variants) {
  if (variants.empty()) return pattern;
  std::array<bool, 256> starts{};  // first bytes of the words
  for (const auto& v : variants) {
    if (!v.first.empty()) starts[static_cast<unsigned char>(v.first[0])] = true;
  }
  return RewritePlainText(pattern, [&](std::string_view text, std::string* out) {
    for (std::size_t i = 0; i < text.size();) {
      bool replaced = false;
      if (!starts[static_cast<unsigned char>(text[i])]) {
        *out += text[i++];
        continue;
      }
      for (const auto& [word, spellings] : variants) {
        if (word.empty() || word[0] != text[i] || text.compare(i, word.size(), word) != 0) continue;
        *out += "(?:" + EscapeRegex(word);
        for (const auto& sp : spellings) *out += "|" + EscapeRegex(sp);
        *out += ")";
        i += word.size();
        replaced = true;
        break;
      }
      if (!replaced) *out += text[i++];
    }
  });
}

// Return the number of Han characters (3-byte UTF-8 sequences in the CJK blocks) in `s`.
int HanCount(std::string_view s) {
  int n = 0;
  for (std::size_t i = 0; i + 2 < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b >= 0xE3 && b <= 0xE9) ++n;  // U+3000..U+9FFF lead bytes
  }
  return n;
}

// Return how many code points of `text` at `pos` differ from `literal`, comparing
// code point by code point; -1 when the two do not line up (lengths or boundaries) or
// when a differing character, in `text` or in `literal`, is one of `never` (the rule
// set's not_misheard).
// `edges`, when given, gets bit 0 when the first code point differs, bit 1 when the last
// one does.
int Substitutions(std::string_view text, std::size_t pos, std::string_view literal, const std::set<char32_t>& never,
                  int* edges = nullptr) {
  if (edges != nullptr) *edges = 0;
  if (pos + literal.size() > text.size()) return -1;
  const std::string_view t = text.substr(pos, literal.size());
  int diff = 0;
  for (std::size_t i = 0; i < t.size();) {
    std::size_t n = 1;
    while (i + n < t.size() && (static_cast<unsigned char>(t[i + n]) & 0xC0) == 0x80) ++n;
    if (i + n < literal.size() && (static_cast<unsigned char>(literal[i + n]) & 0xC0) == 0x80) return -1;
    if (t.compare(i, n, literal, i, n) != 0) {
      if (!never.empty()) {
        // Neither the character heard nor the one in the literal may be one of `never`.
        UChar32 heard = 0, meant = 0;
        int32_t k = 0;
        U8_NEXT(reinterpret_cast<const uint8_t*>(t.data() + i), k, static_cast<int32_t>(n), heard);
        k = 0;
        U8_NEXT(reinterpret_cast<const uint8_t*>(literal.data() + i), k, static_cast<int32_t>(n), meant);
        if (never.count(static_cast<char32_t>(heard)) != 0 || never.count(static_cast<char32_t>(meant)) != 0) return -1;
      }
      ++diff;
      if (edges != nullptr) *edges |= (i == 0 ? 1 : 0) | (i + n == t.size() ? 2 : 0);
    }
    i += n;
  }
  return diff;
}

// Speech recognition swaps a character or two for a homophone, not a whole word: a
// homophone of `literal` may differ in at most half of its Han characters (none for
// one character, one for two or three). Anything more is a different word that only
// sounds alike.
int MaxSubstitutions(std::string_view literal) { return HanCount(literal) / 2; }

// Looser, up to half of the Han characters rounded up (two of three: 业务员 heard as
// 掖务辕), in two places: a part of a phrase whose other parts were heard exactly (a
// decomposed pattern's other segments), and the words of exceptions (see
// CompiledRules::Impl::atom_lenient). (Every character, 古瓢 for 股票, let exceptions
// fire on fraud transcripts, plain ones too.)
int MaxSubstitutionsLenient(std::string_view literal) { return (HanCount(literal) + 1) / 2; }

// Return true iff `heard`, the characters at [begin, end) of `text`, can be `literal`
// misheard, by ICU's Chinese word dictionary:
// - `heard` is not a word of its own: 克服 is not 客服 (speech recognition writes wrong
//   characters where it meets a word it does not know; a real word in their place is
//   most likely what was said);
// - a changed first or last character (bits 0 and 1 of `edges`) does not make a word
//   with the text beside it: 某银 in 某银行 is not 某音;
// - a two-character `literal`, put in its place, starts a word of that sentence: 下价
//   in 改一下价 is not 下架, since 改一下架 reads 改/一下/架.
// With `allow_word`, the first test is skipped (the keywords of exceptions).
bool NotAWord(std::string_view text, std::size_t begin, std::size_t end, std::string_view literal, int edges,
              bool allow_word) {
  thread_local std::unique_ptr<icu::BreakIterator> words = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> it(icu::BreakIterator::createWordInstance(icu::Locale::getChinese(), status));
    return U_SUCCESS(status) ? std::move(it) : nullptr;
  }();
  if (!words) return true;
  // Up to 6 code points of context on each side, on the same line.
  auto back = [&](std::size_t pos, int n) {
    while (n-- > 0 && pos > 0 && text[pos - 1] != '\n') {
      --pos;
      while (pos > 0 && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) --pos;
    }
    return pos;
  };
  auto forward = [&](std::size_t pos, int n) {
    while (n-- > 0 && pos < text.size() && text[pos] != '\n') {
      ++pos;
      while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
    }
    return pos;
  };
  const std::size_t from = back(begin, 6), to = forward(end, 6);
  const icu::UnicodeString before = icu::UnicodeString::fromUTF8(text.substr(from, begin - from));
  const icu::UnicodeString after = icu::UnicodeString::fromUTF8(text.substr(end, to - end));
  const int32_t b = before.length();
  // As heard.
  const icu::UnicodeString span = icu::UnicodeString::fromUTF8(text.substr(begin, end - begin));
  icu::UnicodeString context = before;
  context.append(span).append(after);
  words->setText(context);
  int32_t e = b + span.length();
  if (((edges & 1) && !words->isBoundary(b)) || ((edges & 2) && !words->isBoundary(e))) return false;
  if (!allow_word && words->following(b) >= e) return false;
  // As meant, for a two-character literal whose first character was heard right: it
  // must start a word of the sentence (改一下价 reads 改/一下/架, so not 下架). Longer
  // literals of patterns are often pieces of phrases (额度已, 平台上挂) that need not
  // align with words, and ICU glues particles to a word's end (拉/黑了), so the end is
  // not checked.
  const icu::UnicodeString meant = icu::UnicodeString::fromUTF8(literal);
  if (meant.countChar32() > 2) return true;
  context = before;
  context.append(meant).append(after);
  words->setText(context);
  e = b + meant.length();
  return (edges & 1) || words->isBoundary(b);
}

}  // namespace

struct CompiledNode {
  Condition::Kind kind = Condition::Kind::leaf;
  std::vector<int> atoms;  // leaf
  std::vector<CompiledNode> parts;
  int n = 0;
  uint32_t within = kUnlimited;
};

struct CompiledRule {
  CompiledNode condition;
  bool has_unless = false;
  CompiledNode unless;
  bool has_homophones = false;  // the condition has homophone atoms
  int unless_within = 10;
  std::vector<std::unique_ptr<RE2>> speakers;
};

}  // namespace fraudscan

namespace fraudscan::detail {

template <>
struct Fields<Gap> {
  template <class IO, class U>
  static void Apply(IO& io, U& x) {
    io(x.min)(x.max)(x.negated)(x.chars);
  }
};
template <>
struct Fields<Chain> {
  template <class IO, class U>
  static void Apply(IO& io, U& x) {
    io(x.segments)(x.gaps)(x.lead)(x.trail);
  }
};
template <>
struct Fields<CompiledNode> {
  template <class IO, class U>
  static void Apply(IO& io, U& x) {
    io(x.kind)(x.atoms)(x.parts)(x.n)(x.within);
  }
};
// The speaker patterns are compiled again from the rule.
template <>
struct Fields<CompiledRule> {
  template <class IO, class U>
  static void Apply(IO& io, U& x) {
    io(x.condition)(x.has_unless)(x.unless)(x.has_homophones)(x.unless_within);
  }
};

}  // namespace fraudscan::detail

namespace fraudscan {

struct CompiledRules::Impl {
  // First pass: one multi-literal pass (the trie, Hyperscan or RE2::Set) over the text.
  // It holds every keyword, and the required substrings ("filter atoms", found by RE2's
  // FilteredRE2) of the patterns left to RE2; such a pattern is only run on the lines
  // where one of its filter atoms occurs.
  std::unique_ptr<detail::LiteralMatcher> literals;
  struct LiteralEntry {
    bool is_filter_atom;  // false: keyword atom `index`; true: filter atom `index`
    int index;
    template <class IO, class Self>
    static void Fields(IO& io, Self& x) {
      io(x.is_filter_atom)(x.index);
    }
  };
  std::vector<LiteralEntry> literal_entries;
  // The patterns left to RE2 (those that do not decompose into chains). Each RE2 is
  // built on first use and then shared by all threads: a matcher loaded from the cache
  // builds none at start-up, and a scan only those whose filter atoms occur.
  class Pattern {
   public:
    explicit Pattern(std::string regex, std::unique_ptr<RE2> re = nullptr)
        : regex_(std::move(regex)), re_(std::move(re)) {}
    const std::string& regex() const { return regex_; }
    const RE2& Get() const {
      std::call_once(once_, [this] {
        if (!re_) re_ = std::make_unique<RE2>(regex_, detail::PatternOptions());
      });
      return *re_;
    }

   private:
    std::string regex_;
    mutable std::once_flag once_;
    mutable std::unique_ptr<RE2> re_;
  };
  std::vector<std::unique_ptr<Pattern>> patterns;  // (std::once_flag cannot move)
  std::vector<int> pattern_atom;                   // pattern -> its atom
  std::vector<int> atom_pattern;                   // atom -> its pattern, or -1
  // Filter atom -> the patterns that need it. A pattern runs where any of its filter
  // atoms occurs: looser than FilteredRE2's AND/OR tree of them, and the RE2 decides.
  std::vector<std::vector<int>> filter_patterns;
  std::vector<int> unfiltered;                     // patterns with no filter atom: run everywhere
  // An atom is a keyword (found with a plain substring search), a pattern decomposed
  // into chains (atom_chain), or a pattern RE2 runs (atom_pattern).
  detail::StringTable atom_literal;              // keywords: the normalized keyword;
                                                 // homophones: its homophone key
  detail::StringTable atom_exact;                // homophones: the keyword itself
  detail::StringTable atom_note;                 // "", "variant spelling of …", "homophone of …"
  // Homophone atoms are found in a second view of the text (Normalizer::HomophoneKey).
  std::unique_ptr<detail::LiteralMatcher> homophone_literals;
  std::vector<int> homophone_entries;            // homophone literal -> atom
  const Normalizer* norm = nullptr;
  detail::StringTable atom_source;               // patterns: the regex (keywords: empty
                                                 // once compiled)
  detail::Rows<int> atom_rules;                  // atom -> rules whose condition uses it
  std::vector<char> atom_exported;           // written by a rule (not only a chain part)
  std::vector<std::size_t> atom_span_limit;  // keywords: how many spans to find
  // Patterns decomposed into chains (chain.hpp): their literals are keyword atoms, and
  // a chain atom is reported when every segment of one of its chains has a literal.
  struct ChainGroup {
    std::vector<detail::Chain> chains;
    std::vector<std::vector<std::vector<int>>> segment_atoms;  // chain -> segment -> atoms
    std::vector<std::vector<uint32_t>> segment_ids;            // chain -> segment -> id
    // Homophone twins only: chain -> segment -> part (as in segment_atoms) -> the
    // literals of the pattern that part stands for (one homophone key, or itself).
    std::vector<std::vector<std::vector<std::vector<std::string>>>> homophones;
    bool lenient = false;  // a twin in an exception (atom_lenient)
    template <class IO, class Self>
    static void Fields(IO& io, Self& x) {
      io(x.chains)(x.segment_atoms)(x.segment_ids)(x.homophones)(x.lenient);
    }
  };
  std::vector<ChainGroup> chain_groups;
  std::vector<int> atom_chain;                     // atom -> its group, or -1
  // Every segment of every chain has an id; segments_of_atom lists those an atom is in,
  // so that one pass over the atoms found tells which segments have a literal.
  detail::Rows<uint32_t> segments_of_atom;
  std::vector<int> segment_owner;                  // segment id -> its chain atom
  // A decomposed pattern's homophone twin: the same chains over the homophone view,
  // whose parts are found in that view (atom_in_homophone_view); twin_of names the
  // exact pattern, whose matches the twin leaves to it.
  std::vector<int> twin_of;                        // atom -> exact chain atom, or -1
  std::vector<char> atom_in_homophone_view;
  // Homophones in exceptions (`unless`) are taken leniently: up to
  // MaxSubstitutionsLenient characters changed (簿收趣 for 不收取), and a keyword may be
  // heard as a word of its own (片子 for 骗子, 补用 for 不用). A warning or a negation
  // missed turns an honest transcript into fraud; one taken too readily only spares a
  // rule. A pattern's parts still may not be words: 我们是…检察 would take 例行检查, and
  // did, costing a real fraud on the development set.
  std::vector<char> atom_lenient;                  // homophone keyword atoms
  std::set<char32_t> not_misheard;                 // RuleSet::not_misheard
  std::vector<CompiledRule> rules;

  // Per-call state of one Match().
  struct Scratch {
    const NormalizedTranscript* text;
    std::vector<char> matched;                     // atom -> reported by the set
    std::vector<std::vector<Span>> spans;          // atom -> spans (filled lazily)
    std::vector<char> spans_done;
    std::vector<uint32_t> char_at;                 // byte -> code point index
    std::string homophone_text;                    // filled when the rules use pinyin
    // Reused across transcripts by one thread: only the entries touched are reset.
    uint64_t owner = 0;                            // Impl::id the vectors are sized for
    std::vector<int> matched_list;                 // atoms set in `matched`
    std::vector<int> spans_list;                   // atoms set in `spans_done`
    // Patterns: the lines where their required substrings occur (when the literal
    // engine reports positions), so that RE2 searches those lines only.
    std::vector<uint32_t> line_start;              // normalized offset of each line
    std::vector<std::vector<uint32_t>> lines_of;   // atom -> candidate lines, sorted
    std::vector<char> all_lines;                   // atom -> search the whole text
    std::vector<int> lines_list;                   // atoms touched in the two above
    std::vector<int> chain_candidates;             // Prepare's working list
    // Deduplication without sorting: an entry equal to `epoch` was seen for this
    // transcript (atom -> chain atom considered; rule -> rule listed).
    uint32_t epoch = 0;
    std::vector<uint32_t> atom_seen;
    std::vector<uint32_t> rule_seen;
    std::vector<uint32_t> segment_seen;              // segment id -> epoch it had a literal
    std::unordered_map<uint64_t, bool> not_a_word;  // hash of (begin, end, literal) -> NotAWord
  };
  uint64_t id = detail::NextInstanceId();

  // The compiled-matcher cache (CompileRules with a cache directory). Stored: every
  // member above that is plain data, and the patterns' text. Rebuilt on loading: the
  // literal engines (from their literals, which finds their own cached databases), the
  // speaker patterns, and what the rule set and normalizer give.
  template <class IO, class Self>
  static void PlainFields(IO& io, Self& x) {
    io(x.literal_entries)(x.pattern_atom)(x.atom_pattern)(x.filter_patterns)(x.unfiltered);
    io(x.atom_literal)(x.atom_exact)(x.atom_note);
    io(x.homophone_entries)(x.atom_source)(x.atom_rules)(x.atom_exported)(x.atom_span_limit)(x.chain_groups);
    io(x.atom_chain)(x.segments_of_atom)(x.segment_owner)(x.twin_of)(x.atom_in_homophone_view)(x.atom_lenient)(x.rules);
  }
  // Return this compiled matcher in serial.hpp's form.
  std::string Save() const;
  // Fill this (default-constructed) Impl from `bytes`, which Save() wrote for
  // `rule_set` compiled with `normalizer` and `options`; return false when `bytes` are
  // damaged or do not fit (a cache miss: the caller compiles instead).
  bool Load(std::string_view bytes, const RuleSet& rule_set, const Normalizer& normalizer,
            const CompileOptions& options);

  // Return this thread's scratch space, reset for a new transcript.
  Scratch& LocalScratch() const {
    thread_local Scratch s;
    if (s.owner != id) {
      s.matched.assign(atom_source.size(), 0);
      s.spans.assign(atom_source.size(), {});
      s.spans_done.assign(atom_source.size(), 0);
      s.matched_list.clear();
      s.spans_list.clear();
      s.lines_of.assign(atom_source.size(), {});
      s.all_lines.assign(atom_source.size(), 0);
      s.lines_list.clear();
      s.atom_seen.assign(atom_source.size(), 0);
      s.rule_seen.assign(rules.size(), 0);
      s.segment_seen.assign(segment_owner.size(), 0);
      s.epoch = 0;
      s.owner = id;
    }
    if (++s.epoch == 0) {  // wrapped: forget every mark
      std::fill(s.atom_seen.begin(), s.atom_seen.end(), 0);
      std::fill(s.rule_seen.begin(), s.rule_seen.end(), 0);
      std::fill(s.segment_seen.begin(), s.segment_seen.end(), 0);
      s.epoch = 1;
    }
    for (int a : s.lines_list) {
      s.lines_of[static_cast<std::size_t>(a)].clear();
      s.all_lines[static_cast<std::size_t>(a)] = 0;
    }
    s.lines_list.clear();
    for (int a : s.matched_list) s.matched[static_cast<std::size_t>(a)] = 0;
    for (int a : s.spans_list) {
      s.spans[static_cast<std::size_t>(a)].clear();
      s.spans_done[static_cast<std::size_t>(a)] = 0;
    }
    s.matched_list.clear();
    s.spans_list.clear();
    s.not_a_word.clear();
    return s;
  }

  void Mark(Scratch& s, int atom) const {
    if (!s.matched[static_cast<std::size_t>(atom)]) {
      s.matched[static_cast<std::size_t>(atom)] = 1;
      s.matched_list.push_back(atom);
    }
  }

  uint32_t Chars(const Scratch& s, uint32_t byte) const { return s.char_at[byte]; }

  const std::vector<Span>& AtomSpans(Scratch& s, int atom) const {
    auto& spans = s.spans[static_cast<std::size_t>(atom)];
    if (s.spans_done[static_cast<std::size_t>(atom)]) return spans;
    s.spans_done[static_cast<std::size_t>(atom)] = 1;
    s.spans_list.push_back(atom);
    const std::string& text = s.text->text.text;
    const auto a = static_cast<std::size_t>(atom);
    if (atom_chain[a] >= 0) {
      ChainSpans(s, atom, &spans);
      return spans;
    }
    if (atom_pattern[a] < 0) {
      const std::string_view lit = atom_literal[a];
      const bool homophone = !atom_exact[a].empty();
      const std::string& view = homophone || atom_in_homophone_view[a] ? s.homophone_text : text;
      const std::size_t limit = atom_span_limit[a];
      for (std::size_t pos = view.find(lit); pos != std::string::npos && spans.size() < limit;
           pos = view.find(lit, pos + lit.size())) {
        // A homophone hit where the keyword itself stands is the keyword's, not ours;
        // one that changes too much of the keyword is another word.
        if (homophone) {
          int edges = 0;
          const int d = Substitutions(text, pos, atom_exact[a], not_misheard, &edges);
          const bool lenient = atom_lenient[a] != 0;
          if (d <= 0 || d > (lenient ? MaxSubstitutionsLenient(atom_exact[a]) : MaxSubstitutions(atom_exact[a])) ||
              !NotAWordCached(s, static_cast<uint32_t>(pos), static_cast<uint32_t>(pos + lit.size()), atom_exact[a],
                              edges, lenient)) {
            continue;
          }
        }
        spans.push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(pos + lit.size()), static_cast<uint32_t>(atom)});
      }
      return spans;
    }
    re2::StringPiece input(text);
    re2::StringPiece m;
    const RE2& re = patterns[static_cast<std::size_t>(atom_pattern[a])]->Get();
    // Patterns never cross a line, so search only the lines that hold their required
    // substrings (or everything, when positions are unknown).
    auto search = [&](std::size_t from, std::size_t to) {
      std::size_t pos = from;
      while (pos <= to && spans.size() < kMaxSpansPerAtom) {
        if (!re.Match(input, pos, to, RE2::UNANCHORED, &m, 1)) break;
        const auto b = static_cast<uint32_t>(m.data() - text.data());
        const auto e = static_cast<uint32_t>(b + m.size());
        if (e > b) spans.push_back({b, e, static_cast<uint32_t>(atom)});
        pos = e > b ? e : e + 1;
      }
    };
    if (s.all_lines[a]) {
      search(0, text.size());
    } else {
      for (uint32_t line : s.lines_of[a]) {
        const std::size_t from = s.line_start[line];
        const std::size_t to = line + 1 < s.line_start.size() ? s.line_start[line + 1] - 1 : text.size();
        search(from, to);
      }
    }
    return spans;
  }

  // Fill `*spans` with the matches of chain atom `atom`, from its literals' spans.
  void ChainSpans(Scratch& s, int atom, std::vector<Span>* spans) const {
    const ChainGroup& group = chain_groups[static_cast<std::size_t>(atom_chain[static_cast<std::size_t>(atom)])];
    std::vector<detail::Occurrence> found;
    std::vector<std::vector<detail::Occurrence>> occurrences;
    for (std::size_t c = 0; c < group.chains.size(); ++c) {
      if (!ChainPossible(s, group, c)) continue;
      const auto& segments = group.segment_atoms[c];
      occurrences.assign(segments.size(), {});
      if (group.homophones.empty()) {
        bool complete = true;
        for (std::size_t i = 0; i < segments.size() && complete; ++i) {
          for (const int part : segments[i]) {
            if (!s.matched[static_cast<std::size_t>(part)]) continue;
            for (const Span& sp : AtomSpans(s, part)) occurrences[i].push_back({sp.begin, sp.end});
          }
          complete = !occurrences[i].empty();
          SortOccurrences(&occurrences[i]);
        }
        if (!complete) continue;
        auto m = detail::MatchChain(group.chains[c], s.text->text.text, occurrences, s.char_at, kMaxSpansPerAtom);
        found.insert(found.end(), m.begin(), m.end());
        continue;
      }
      // A twin: each occurrence of a part is the literal itself, a close homophone of
      // it, one only in context, or none of these.
      std::vector<std::vector<detail::Occurrence>> exact(segments.size()), in_context(segments.size());
      bool misheard = false, any_in_context = false;
      for (std::size_t i = 0; i < segments.size(); ++i) {
        for (std::size_t k = 0; k < segments[i].size(); ++k) {
          const int part = segments[i][k];
          if (!s.matched[static_cast<std::size_t>(part)]) continue;
          for (const Span& sp : AtomSpans(s, part)) {
            switch (ClassifyHeard(s, group.homophones[c][i][k], sp, group.lenient)) {
              case Heard::exact:
                exact[i].push_back({sp.begin, sp.end});
                occurrences[i].push_back({sp.begin, sp.end});
                break;
              case Heard::misheard:
                misheard = true;
                occurrences[i].push_back({sp.begin, sp.end});
                in_context[i].push_back({sp.begin, sp.end});
                break;
              case Heard::in_context:
                any_in_context = true;
                in_context[i].push_back({sp.begin, sp.end});
                break;
              case Heard::other:
                break;
            }
          }
        }
        SortOccurrences(&occurrences[i]);
        SortOccurrences(&exact[i]);
        SortOccurrences(&in_context[i]);
      }
      const bool complete = std::all_of(occurrences.begin(), occurrences.end(), [](const auto& o) { return !o.empty(); });
      if (complete && misheard) {
        auto m = detail::MatchChain(group.chains[c], s.text->text.text, occurrences, s.char_at, kMaxSpansPerAtom);
        found.insert(found.end(), m.begin(), m.end());
      }
      // One segment misheard beyond the usual limits, every other one heard exactly.
      if (!any_in_context || segments.size() < 2) continue;
      for (std::size_t j = 0; j < segments.size(); ++j) {
        if (in_context[j].empty()) continue;
        bool others = true;
        for (std::size_t i = 0; i < segments.size() && others; ++i) {
          occurrences[i] = i == j ? in_context[i] : exact[i];
          others = !occurrences[i].empty();
        }
        if (!others) continue;
        auto m = detail::MatchChain(group.chains[c], s.text->text.text, occurrences, s.char_at, kMaxSpansPerAtom);
        found.insert(found.end(), m.begin(), m.end());
      }
    }
    // A homophone twin leaves the places where the pattern itself matches to it.
    if (const int exact = twin_of[static_cast<std::size_t>(atom)]; exact >= 0 && s.matched[static_cast<std::size_t>(exact)]) {
      const std::vector<Span>& own = AtomSpans(s, exact);
      std::erase_if(found, [&](const detail::Occurrence& o) {
        return std::any_of(own.begin(), own.end(), [&](const Span& e) { return e.begin < o.end && o.begin < e.end; });
      });
    }
    // Several chains: leftmost first, no overlaps, as one regex search loop would give.
    std::sort(found.begin(), found.end(), [](const auto& x, const auto& y) {
      return x.begin != y.begin ? x.begin < y.begin : x.end > y.end;
    });
    uint32_t pos = 0;
    for (const auto& o : found) {
      if (o.begin < pos && !spans->empty()) continue;
      spans->push_back({o.begin, o.end, static_cast<uint32_t>(atom)});
      pos = o.end;
      if (spans->size() >= kMaxSpansPerAtom) break;
    }
  }

  static void SortOccurrences(std::vector<detail::Occurrence>* o) {
    std::sort(o->begin(), o->end(), [](const auto& x, const auto& y) { return x.begin < y.begin; });
  }

  // How the text at an occurrence of a twin's part relates to the literals that part
  // stands for (all with the part's homophone key).
  enum class Heard {
    exact,       // it is one of them
    misheard,    // a homophone of one: at most MaxSubstitutions changed (with `lenient`,
                 // MaxSubstitutionsLenient), and NotAWord
    in_context,  // a homophone of one only where the rest of the phrase was heard
                 // exactly: MaxSubstitutionsLenient changed, and NotAWord
    other,
  };
  Heard ClassifyHeard(Scratch& s, const std::vector<std::string>& candidates, const Span& sp, bool lenient) const {
    const std::string& text = s.text->text.text;
    Heard best = Heard::other;
    for (const std::string& exact : candidates) {
      int edges = 0;
      const int d = Substitutions(text, sp.begin, exact, not_misheard, &edges);
      if (d == 0) return Heard::exact;
      if (d < 0 || best == Heard::misheard) continue;
      if (d > MaxSubstitutionsLenient(exact) || !NotAWordCached(s, sp.begin, sp.end, exact, edges, false)) continue;
      best = lenient || d <= MaxSubstitutions(exact) ? Heard::misheard : Heard::in_context;
    }
    return best;
  }

  // NotAWord, remembered for this transcript: many literals share a place.
  bool NotAWordCached(Scratch& s, uint32_t begin, uint32_t end, std::string_view literal, int edges,
                      bool allow_word) const {
    const uint64_t key = ((static_cast<uint64_t>(begin) << 32) | end) ^
                         (std::hash<std::string_view>()(literal) << 1) ^ (allow_word ? 1 : 0);
    if (auto it = s.not_a_word.find(key); it != s.not_a_word.end()) return it->second;
    const bool r = NotAWord(s.text->text.text, begin, end, literal, edges, allow_word);
    s.not_a_word.emplace(key, r);
    return r;
  }

  // Return true iff every segment of chain `c` of `group` has a literal in the text.
  // (Prepare marks the segments that have one, in Scratch::segment_seen.)
  bool ChainPossible(const Scratch& s, const ChainGroup& group, std::size_t c) const {
    return std::all_of(group.segment_ids[c].begin(), group.segment_ids[c].end(),
                       [&](uint32_t seg) { return s.segment_seen[seg] == s.epoch; });
  }

  bool SpeakerOk(const Scratch& s, const CompiledRule& rule, uint32_t pos) const {
    if (rule.speakers.empty()) return true;
    const Transcript* t = s.text->source;
    if (t == nullptr || t->turns.empty()) return false;
    const std::string& speaker = t->turns[s.text->TurnAt(pos)].speaker;
    return std::any_of(rule.speakers.begin(), rule.speakers.end(),
                       [&](const auto& re) { return RE2::PartialMatch(speaker, *re); });
  }

  // Return true iff `node` could match given which atoms the first pass reported:
  // a cheap test that spares the span search for rules whose other parts are absent.
  // With `exact_only`, homophone atoms do not count.
  bool Possible(const Scratch& s, const CompiledNode& node, bool exact_only) const {
    switch (node.kind) {
      case Condition::Kind::leaf:
        return std::any_of(node.atoms.begin(), node.atoms.end(), [&](int a) {
          const auto i = static_cast<std::size_t>(a);
          return s.matched[i] != 0 && !(exact_only && !atom_exact[i].empty());
        });
      case Condition::Kind::any_of:
        return std::any_of(node.parts.begin(), node.parts.end(),
                           [&](const auto& p) { return Possible(s, p, exact_only); });
      case Condition::Kind::all_of:
        return std::all_of(node.parts.begin(), node.parts.end(),
                           [&](const auto& p) { return Possible(s, p, exact_only); });
      case Condition::Kind::n_of: {
        int n = 0;
        for (const auto& p : node.parts) n += Possible(s, p, exact_only) ? 1 : 0;
        return n >= node.n;
      }
    }
    return false;
  }

  // Return the matches of `node`; with `exact_only`, homophone atoms are left out.
  std::vector<NodeMatch> Eval(Scratch& s, const CompiledNode& node, const CompiledRule* speaker_rule,
                              bool exact_only) const {
    if (node.kind != Condition::Kind::leaf && !Possible(s, node, exact_only)) return {};
    std::vector<NodeMatch> out;
    if (node.kind == Condition::Kind::leaf) {
      for (int atom : node.atoms) {
        if (!s.matched[static_cast<std::size_t>(atom)]) continue;
        if (exact_only && !atom_exact[static_cast<std::size_t>(atom)].empty()) continue;
        for (const Span& sp : AtomSpans(s, atom)) {
          if (speaker_rule && !SpeakerOk(s, *speaker_rule, sp.begin)) continue;
          out.push_back({sp.begin, sp.end, {sp}});
        }
      }
      std::sort(out.begin(), out.end(), [](const NodeMatch& a, const NodeMatch& b) { return a.begin < b.begin; });
      if (out.size() > kMaxMatchesPerNode) out.resize(kMaxMatchesPerNode);
      return out;
    }
    std::vector<std::vector<NodeMatch>> parts;
    parts.reserve(node.parts.size());
    for (const auto& p : node.parts) parts.push_back(Eval(s, p, speaker_rule, exact_only));
    if (node.kind == Condition::Kind::any_of) {
      for (auto& p : parts) std::move(p.begin(), p.end(), std::back_inserter(out));
      std::sort(out.begin(), out.end(), [](const NodeMatch& a, const NodeMatch& b) { return a.begin < b.begin; });
      if (out.size() > kMaxMatchesPerNode) out.resize(kMaxMatchesPerNode);
      return out;
    }
    const std::size_t need = node.kind == Condition::Kind::all_of ? node.parts.size() : static_cast<std::size_t>(node.n);
    std::size_t present = 0;
    for (const auto& p : parts) present += p.empty() ? 0 : 1;
    if (present < need) return out;

    struct Event {
      uint32_t begin_char, end_char;
      std::size_t part;
      const NodeMatch* match;
    };
    std::vector<Event> events;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      for (const auto& m : parts[i]) events.push_back({Chars(s, m.begin), Chars(s, m.end), i, &m});
    }
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.begin_char < b.begin_char; });
    std::vector<const NodeMatch*> chosen(parts.size());
    for (std::size_t a = 0; a < events.size() && out.size() < kMaxMatchesPerNode; ++a) {
      std::fill(chosen.begin(), chosen.end(), nullptr);
      std::size_t distinct = 0;
      const uint32_t start = events[a].begin_char;
      for (std::size_t b = a; b < events.size(); ++b) {
        const Event& e = events[b];
        if (node.within != kUnlimited && e.begin_char - start > node.within) break;
        if (node.within != kUnlimited && e.end_char - start > node.within) continue;
        if (chosen[e.part] != nullptr) continue;
        chosen[e.part] = e.match;
        if (++distinct >= need) break;
      }
      if (distinct < need) continue;
      NodeMatch m{events[a].match->begin, 0, {}};
      for (const NodeMatch* c : chosen) {
        if (c == nullptr) continue;
        m.end = std::max(m.end, c->end);
        m.parts.insert(m.parts.end(), c->parts.begin(), c->parts.end());
      }
      out.push_back(std::move(m));
    }
    return out;
  }

  // Return the hit of rule `index`, or a hit with matches == 0.
  RuleHit EvalRule(Scratch& s, std::size_t index, const Rule& rule) const {
    const CompiledRule& cr = rules[index];
    RuleHit hit{&rule, {}, 0};
    // The words as written first: a rule that fires on them needs no homophone search
    // (most of the matching cost) and shows them as its evidence. Only when it does not
    // are homophones looked at. Exceptions (`unless`) always count their homophones.
    std::vector<NodeMatch> matches;
    std::optional<std::vector<NodeMatch>> unless;
    for (const bool exact_only : {true, false}) {
      if (!exact_only && !cr.has_homophones) break;
      matches = Eval(s, cr.condition, &cr, exact_only);
      if (matches.empty()) continue;
      if (cr.has_unless) {
        if (!unless) unless = Eval(s, cr.unless, nullptr, /*exact_only=*/false);
        if (!unless->empty()) {
          if (cr.unless_within < 0) return hit;
          const auto w = static_cast<uint32_t>(cr.unless_within);
          std::erase_if(matches, [&](const NodeMatch& m) {
            const uint32_t mb = Chars(s, m.begin), me = Chars(s, m.end);
            return std::any_of(unless->begin(), unless->end(), [&](const NodeMatch& u) {
              return Chars(s, u.begin) < me + w && Chars(s, u.end) + w > mb;
            });
          });
        }
      }
      if (!matches.empty()) break;
    }
    if (matches.empty()) return hit;
    hit.parts = std::move(matches.front().parts);
    for (const Span& sp : hit.parts) hit.homophone = hit.homophone || !atom_exact[sp.atom].empty();
    std::sort(hit.parts.begin(), hit.parts.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
    hit.matches = static_cast<int>(matches.size());
    return hit;
  }

  void Prepare(Scratch& s, const NormalizedTranscript& text) const {
    s.text = &text;
    std::vector<int> hits;
    std::vector<int> filter_atoms;
    std::vector<detail::LiteralMatcher::Occurrence> occurrences;
    const std::string& t = text.text.text;
    s.line_start.assign(1, 0);
    for (std::size_t nl = t.find('\n'); nl != std::string::npos; nl = t.find('\n', nl + 1)) {
      s.line_start.push_back(static_cast<uint32_t>(nl + 1));
    }
    if (literals) {
      literals->Match(t, &hits, &occurrences);
      for (int h : hits) {
        const LiteralEntry& e = literal_entries[static_cast<std::size_t>(h)];
        if (e.is_filter_atom) {
          filter_atoms.push_back(e.index);
        } else {
          Mark(s, e.index);
        }
      }
    }
    if (homophone_literals) {
      s.homophone_text = norm->HomophoneKey(text.text.text);
      hits.clear();
      homophone_literals->Match(s.homophone_text, &hits, nullptr);
      for (int h : hits) Mark(s, homophone_entries[static_cast<std::size_t>(h)]);
    }
    if (!chain_groups.empty()) {
      // Decomposed patterns with a literal present: reported when one of their chains
      // has a literal for every segment.
      std::vector<int>& candidates = s.chain_candidates;
      candidates.clear();
      for (int a : s.matched_list) {
        for (uint32_t seg : segments_of_atom[static_cast<std::size_t>(a)]) {
          s.segment_seen[seg] = s.epoch;
          const int c = segment_owner[seg];
          uint32_t& seen = s.atom_seen[static_cast<std::size_t>(c)];
          if (seen == s.epoch) continue;
          seen = s.epoch;
          candidates.push_back(c);
        }
      }
      for (int chain_atom : candidates) {
        const ChainGroup& group = chain_groups[static_cast<std::size_t>(atom_chain[static_cast<std::size_t>(chain_atom)])];
        for (std::size_t k = 0; k < group.chains.size(); ++k) {
          if (ChainPossible(s, group, k)) {
            Mark(s, chain_atom);
            break;
          }
        }
      }
    }
    if (!patterns.empty()) {
      auto add_lines = [&](int pattern, const uint32_t* line) {
        const int atom = pattern_atom[static_cast<std::size_t>(pattern)];
        const auto a = static_cast<std::size_t>(atom);
        if (s.all_lines[a]) return;
        Mark(s, atom);
        if (s.lines_of[a].empty()) s.lines_list.push_back(atom);
        if (line == nullptr) {
          s.all_lines[a] = 1;
        } else if (s.lines_of[a].empty() || s.lines_of[a].back() != *line) {
          s.lines_of[a].push_back(*line);
        }
      };
      // Patterns with no filter atom run on the whole text.
      for (int p : unfiltered) add_lines(p, nullptr);
      if (!literals || !literals->reports_positions()) {
        for (int f : filter_atoms) {
          for (int p : filter_patterns[static_cast<std::size_t>(f)]) add_lines(p, nullptr);
        }
      } else {
        // The others on each line that holds one of their filter atoms.
        std::vector<std::pair<uint32_t, int>> by_line;  // (line, pattern)
        for (const auto& o : occurrences) {
          const LiteralEntry& e = literal_entries[static_cast<std::size_t>(o.index)];
          const uint32_t start = o.end > 0 ? o.end - 1 : 0;
          const auto line = static_cast<uint32_t>(
              std::upper_bound(s.line_start.begin(), s.line_start.end(), start) - s.line_start.begin() - 1);
          for (int p : filter_patterns[static_cast<std::size_t>(e.index)]) by_line.emplace_back(line, p);
        }
        std::sort(by_line.begin(), by_line.end());
        by_line.erase(std::unique(by_line.begin(), by_line.end()), by_line.end());
        for (const auto& [line, p] : by_line) add_lines(p, &line);
      }
    }
    s.char_at.resize(t.size() + 1);
    uint32_t chars = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
      s.char_at[i] = chars;
      if ((static_cast<unsigned char>(t[i]) & 0xC0) != 0x80) ++chars;
    }
    s.char_at[t.size()] = chars;
  }
};

std::size_t NormalizedTranscript::TurnAt(uint32_t pos) const {
  auto it = std::upper_bound(turn_begin.begin(), turn_begin.end(), pos);
  return it == turn_begin.begin() ? 0 : static_cast<std::size_t>(it - turn_begin.begin() - 1);
}

NormalizedTranscript NormalizeTranscript(const Normalizer& norm, const Transcript& t) {
  NormalizedTranscript nt;
  nt.source = &t;
  nt.turn_begin.reserve(t.turns.size());
  for (std::size_t i = 0; i < t.turns.size(); ++i) {
    const Turn& turn = t.turns[i];
    if (i > 0) {
      nt.text.text.push_back('\n');
      nt.text.origin.push_back(static_cast<uint32_t>(t.turns[i - 1].end));
    }
    nt.turn_begin.push_back(static_cast<uint32_t>(nt.text.text.size()));
    norm.Append(std::string_view(t.document).substr(turn.begin, turn.end - turn.begin), turn.begin, &nt.text);
  }
  nt.text.Finish(static_cast<uint32_t>(t.turns.empty() ? 0 : t.turns.back().end));
  return nt;
}

CompiledRules::CompiledRules() : impl_(std::make_unique<Impl>()) {}
CompiledRules::~CompiledRules() = default;

std::vector<std::string> CompiledRules::AtomPatterns() const {
  std::vector<std::string> out;
  for (std::size_t a = 0; a < impl_->atom_source.size(); ++a) {
    if (!impl_->atom_exact[a].empty()) continue;  // homophone keys live in another view
    if (!impl_->atom_exported[a]) continue;       // parts of decomposed patterns
    const bool regex = impl_->atom_pattern[a] >= 0 || impl_->atom_chain[a] >= 0;
    out.push_back(regex ? std::string(impl_->atom_source[a]) : EscapeRegex(impl_->atom_literal[a]));
  }
  return out;
}

std::string_view CompiledRules::AtomNote(uint32_t atom) const {
  return atom < impl_->atom_note.size() ? impl_->atom_note[atom] : std::string_view();
}

bool CompiledRules::IsHomophoneAtom(uint32_t atom) const {
  return atom < impl_->atom_exact.size() && !impl_->atom_exact[atom].empty();
}

std::vector<RuleHit> CompiledRules::Match(const NormalizedTranscript& text) const {
  // Nothing matches empty text (patterns that match the empty string are refused), and
  // a thread's scratch space is worth allocating only for a text.
  if (text.text.text.empty()) return {};
  Impl::Scratch& s = impl_->LocalScratch();
  impl_->Prepare(s, text);
  // Candidate rules: those owning an atom the first pass reported, in rule order.
  std::vector<int> candidates;
  for (int a : s.matched_list) {
    for (int r : impl_->atom_rules[static_cast<std::size_t>(a)]) {
      uint32_t& seen = s.rule_seen[static_cast<std::size_t>(r)];
      if (seen == s.epoch) continue;
      seen = s.epoch;
      candidates.push_back(r);
    }
  }
  std::sort(candidates.begin(), candidates.end());
  std::vector<RuleHit> hits;
  for (int r : candidates) {
    RuleHit hit = impl_->EvalRule(s, static_cast<std::size_t>(r), rule_set_.rules[static_cast<std::size_t>(r)]);
    if (hit.matches > 0) hits.push_back(std::move(hit));
  }
  return hits;
}

bool CompiledRules::Fires(std::size_t rule_index, const NormalizedTranscript& text) const {
  if (text.text.text.empty()) return false;
  Impl::Scratch& s = impl_->LocalScratch();
  impl_->Prepare(s, text);
  return impl_->EvalRule(s, rule_index, rule_set_.rules[rule_index]).matches > 0;
}

namespace {

// Bump when what Impl::Save stores changes (the build stamp also keys every entry).
constexpr uint32_t kCompiledFormat = 6;

// Return the file of the compiled-matcher cache for `rule_set` compiled with `norm`
// by `engine` in this build.
std::filesystem::path CompiledCachePath(const std::filesystem::path& dir, const RuleSet& rule_set,
                                        const Normalizer& norm, std::string_view engine) {
  detail::Fingerprint f;
  f.Mix(fmt::format("fraudscan compiled v{}", kCompiledFormat));
  f.Mix(detail::BuildStamp());
  f.Mix(engine);
  f.Mix(fmt::format("{:016x}", detail::RuleSetFingerprint(rule_set)));
  detail::Writer options;
  options(norm.options().character_variants);
  f.Mix(options.payload());
  return dir / fmt::format("compiled-{:016x}.bin", f.value());
}

}  // namespace

std::string CompiledRules::Impl::Save() const {
  detail::Writer w;
  w(kCompiledFormat);
  // First what the second thread of Load() rebuilds (with the literals), then the
  // plain data.
  std::vector<std::string> regexes;
  for (const auto& p : patterns) regexes.push_back(p->regex());
  // The literal lists in the engines' serial form, which also names their cached
  // databases: a load finds those without decoding 30,000 strings. No engine, no
  // literals (an engine is made for the first literal).
  auto encode = [](const std::unique_ptr<detail::LiteralMatcher>& m) {
    return m ? detail::LiteralMatcher::Encode(m->literals(), m->positional())
             : detail::LiteralMatcher::Encode({}, {});
  };
  w(regexes)(encode(homophone_literals))(encode(literals));
  PlainFields(w, *this);
  return w.Finish();
}

bool CompiledRules::Impl::Load(std::string_view bytes, const RuleSet& rule_set, const Normalizer& normalizer,
                               const CompileOptions& options) {
  std::vector<std::string> regexes;
  std::string_view homophone_list;  // LiteralMatcher::Encode's form, in `bytes`
  std::string_view literal_list;
  std::size_t literal_count = 0;
  try {
    detail::Reader r(bytes);
    uint32_t format = 0;
    r(format);
    if (format != kCompiledFormat) return false;
    r(regexes)(homophone_list)(literal_list);
    const bool has_homophones = detail::LiteralMatcher::EncodedCount(homophone_list) > 0;
    literal_count = detail::LiteralMatcher::EncodedCount(literal_list);

    // The literal databases are loaded on a second thread while this one reads the
    // rest: they take about as long as each other.
    bool rebuilt = false;
    std::thread rebuild([&] {
      try {
        std::string error;
        if (has_homophones) {
          homophone_literals = detail::MakeLiteralMatcher(options.engine);
          if (!homophone_literals->CompileEncoded(homophone_list, &error, options.cache_dir)) return;
        }
        if (literal_count > 0) {
          literals = detail::MakeLiteralMatcher(options.engine);
          if (!literals->CompileEncoded(literal_list, &error, options.cache_dir)) return;
        }
        rebuilt = true;
      } catch (const std::exception&) {  // SerialError, bad_alloc: a miss like any other
      }
    });
    bool read = false;
    try {
      PlainFields(r, *this);
      r.ExpectEnd();
      read = true;
    } catch (const detail::SerialError&) {
    }
    rebuild.join();
    if (!read || !rebuilt) return false;
  } catch (const detail::SerialError&) {
    return false;
  }
  // What the indices below rely on (the checksum and the key vouch for the rest).
  const std::size_t n = atom_source.size();
  for (std::size_t size : {atom_literal.size(), atom_exact.size(), atom_note.size(), atom_rules.size(),
                           atom_exported.size(), atom_span_limit.size(), atom_chain.size(), atom_pattern.size(),
                           segments_of_atom.size(), twin_of.size(), atom_in_homophone_view.size(),
                           atom_lenient.size()}) {
    if (size != n) return false;
  }
  if (rules.size() != rule_set.rules.size() || literal_count != literal_entries.size() ||
      regexes.size() != pattern_atom.size()) {
    return false;
  }
  for (auto& regex : regexes) patterns.push_back(std::make_unique<Pattern>(std::move(regex)));
  for (std::size_t i = 0; i < rules.size(); ++i) {
    for (const auto& sp : rule_set.rules[i].speakers) {
      auto re = std::make_unique<RE2>(sp, detail::PatternOptions());
      if (!re->ok()) return false;
      rules[i].speakers.push_back(std::move(re));
    }
  }
  norm = &normalizer;
  not_misheard = rule_set.not_misheard;
  return true;
}

namespace {

// What CompileRules needs of a leaf condition that depends on nothing else: computed
// for all leaves on all cores before the atoms are numbered in order.
struct PreparedKeyword {
  std::string normalized;  // empty: nothing left after normalization (an error)
  std::string quoted;      // RE2::QuoteMeta(normalized): the atom's key
  struct Variant {
    std::string expanded;     // the keyword with a variant spelling in place of `word`
    std::string quoted;
    const std::string* word;  // the variant word (normalized)
  };
  std::vector<Variant> variants;
};
struct PreparedPattern {
  std::string expanded;  // normalized, variants spelled out: the atom's key
  std::optional<std::vector<detail::Chain>> chains;  // when it decomposes
  // Chain -> segment -> literal: the literal's homophone key, or empty when no
  // character of it may be misheard (MaxSubstitutions), for the pattern's twin.
  std::vector<std::vector<std::vector<std::string>>> twin_keys;
  // Patterns left to RE2: what is wrong with it (then empty_match says whether it is
  // only that it matches the empty string), or its required substrings.
  std::string error;
  bool empty_match = false;
  bool unfiltered = false;  // it can match without any required substring
  std::vector<std::string> required;
};
struct PreparedLeaf {
  std::vector<PreparedKeyword> keywords;
  std::vector<PreparedPattern> patterns;
};

using Variants = std::vector<std::pair<std::string, std::vector<std::string>>>;

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

PreparedPattern PreparePattern(const std::string& pattern, bool no_variants, const Normalizer& norm,
                               const Variants& variants) {
  PreparedPattern p;
  const std::string normalized = NormalizePatternText(pattern, norm);
  p.expanded = no_variants ? normalized : ExpandVariantsInPattern(normalized, variants);
  p.chains = detail::DecomposePattern(p.expanded);
  if (p.chains) {
    for (const detail::Chain& chain : *p.chains) {
      auto& segments = p.twin_keys.emplace_back();
      for (const auto& segment : chain.segments) {
        auto& keys = segments.emplace_back();
        for (const std::string& literal : segment) {
          keys.push_back(MaxSubstitutions(literal) == 0 ? std::string() : norm.HomophoneKey(literal));
        }
      }
    }
    return p;
  }
  // FilteredRE2 checks the pattern and finds its required substrings with one RE2.
  re2::FilteredRE2 prefilter(/*min_atom_len=*/3);
  int id = 0;
  if (prefilter.Add(p.expanded, detail::PatternOptions(), &id) != RE2::NoError) {
    const RE2 re(p.expanded, detail::PatternOptions());
    p.error = fmt::format("{} (at '{}')", re.error(), re.error_arg());
    return p;
  }
  prefilter.Compile(&p.required);
  if (RE2::FullMatch("", prefilter.GetRE2(id))) {
    p.error = "matches the empty string, so it would fire on every transcript";
    p.empty_match = true;
    return p;
  }
  std::vector<int> passes;
  prefilter.AllPotentials({}, &passes);  // it passes with none of them: no filter
  p.unfiltered = !passes.empty() || p.required.empty();
  return p;
}

// `first[j]`: the (leaf, pattern) where pattern j of leaf `self` first occurs; a pattern
// that occurred earlier is left empty here.
PreparedLeaf PrepareLeaf(const Condition& c, std::size_t self,
                         const std::vector<std::pair<std::size_t, std::size_t>>& first, const Normalizer& norm,
                         const Variants& variants) {
  PreparedLeaf leaf;
  for (const std::string& keyword : c.keywords) {
    PreparedKeyword& k = leaf.keywords.emplace_back();
    k.normalized = norm.Normalize(keyword);
    if (k.normalized.empty()) continue;
    k.quoted = RE2::QuoteMeta(k.normalized);
    if (c.no_variants) continue;
    for (const auto& [word, spellings] : variants) {
      if (k.normalized.find(word) == std::string::npos) continue;
      for (const auto& sp : spellings) {
        std::string expanded = ReplaceAll(k.normalized, word, sp);
        std::string quoted = RE2::QuoteMeta(expanded);
        k.variants.push_back({std::move(expanded), std::move(quoted), &word});
      }
    }
  }
  leaf.patterns.resize(c.patterns.size());
  for (std::size_t j = 0; j < c.patterns.size(); ++j) {
    if (first[j] == std::pair(self, j)) leaf.patterns[j] = PreparePattern(c.patterns[j], c.no_variants, norm, variants);
  }
  return leaf;
}

}  // namespace

CompileResult CompileRules(RuleSet rule_set, const Normalizer& norm, const CompileOptions& options) {
  std::filesystem::path cached;
  if (!options.cache_dir.empty()) {
    cached = CompiledCachePath(options.cache_dir, rule_set, norm, detail::MakeLiteralMatcher(options.engine)->name());
    if (const detail::MappedFile file(cached); file.ok()) {
      std::shared_ptr<CompiledRules> compiled(new CompiledRules());
      if (compiled->impl_->Load(file.bytes(), rule_set, norm, options)) {
        compiled->rule_set_ = std::move(rule_set);
        return {std::move(compiled), {}};
      }
    }
  }
  CompileResult result;
  std::shared_ptr<CompiledRules> compiled(new CompiledRules());
  CompiledRules::Impl& impl = *compiled->impl_;
  impl.literals = detail::MakeLiteralMatcher(options.engine);
  std::unordered_map<std::string, int> filter_index;  // filter atom -> its index
  // Built here, then kept compressed (flat.hpp).
  std::vector<std::vector<int>> atom_rules;
  std::vector<std::vector<uint32_t>> segments_of_atom;
  // A keyword and a filter atom may have the same text; each gets its own entry.
  auto add_literal = [&](const std::string& literal, CompiledRules::Impl::LiteralEntry entry, bool positions = false) {
    impl.literals->Add(literal, positions);
    impl.literal_entries.push_back(entry);
  };
  std::unordered_map<std::string, int> atom_index;
  atom_index.reserve(1 << 17);  // tens of thousands of atoms with their variants and homophones
  bool failed = false;

  auto error = [&](const SourceLocation& where, std::string message) {
    result.diagnostics.push_back({Diagnostic::Severity::error, where, std::move(message)});
    failed = true;
  };
  // Append one atom to the parallel per-atom arrays; return its index.
  auto append_atom = [&](std::string literal, std::string exact, std::string note,
                         const std::string& source) {
    const int idx = static_cast<int>(impl.atom_source.size());
    impl.atom_pattern.push_back(-1);
    impl.atom_literal.push_back(literal);
    impl.atom_exact.push_back(exact);
    impl.atom_note.push_back(note);
    impl.atom_source.push_back(source);
    atom_rules.emplace_back();
    impl.atom_exported.push_back(1);
    impl.atom_span_limit.push_back(kMaxSpansPerAtom);
    impl.atom_chain.push_back(-1);
    impl.twin_of.push_back(-1);
    impl.atom_in_homophone_view.push_back(0);
    impl.atom_lenient.push_back(0);
    segments_of_atom.emplace_back();
    atom_index.emplace(source, idx);
    return idx;
  };
  // Make `group` the chains of atom `chain_atom`, and its segments that atom's.
  auto add_chain_group = [&](int chain_atom, CompiledRules::Impl::ChainGroup group) {
    impl.atom_chain[static_cast<std::size_t>(chain_atom)] = static_cast<int>(impl.chain_groups.size());
    for (const auto& ids : group.segment_ids) {
      for (uint32_t seg : ids) impl.segment_owner[seg] = chain_atom;
    }
    impl.chain_groups.push_back(std::move(group));
  };
  // Return the keyword atom with escaped text `key` for a part of a decomposed pattern:
  // it finds all its occurrences, and is not exported unless a rule names it too.
  auto add_atom_literal = [&](const std::string& key, const std::string& literal) {
    int idx;
    if (auto it = atom_index.find(key); it != atom_index.end()) {
      idx = it->second;
    } else {
      add_literal(literal, {false, static_cast<int>(impl.atom_source.size())});
      idx = append_atom(literal, "", "", key);
      impl.atom_exported[static_cast<std::size_t>(idx)] = 0;
    }
    impl.atom_span_limit[static_cast<std::size_t>(idx)] = kMaxSpansPerChainPart;
    return idx;
  };
  // Return the atom for `regex` (a keyword's escaped text when `literal` is not
  // null; else a pattern, `prepared` by PreparePattern), adding it on first use; -1 on
  // error.
  auto add_atom = [&](const std::string& regex, const std::string* literal, const SourceLocation& where,
                      const std::string& shown, const std::string& note, PreparedPattern* prepared) -> int {
    if (auto it = atom_index.find(regex); it != atom_index.end()) {
      impl.atom_exported[static_cast<std::size_t>(it->second)] = 1;  // a rule names it
      return it->second;
    }
    if (literal != nullptr) {
      add_literal(*literal, {false, static_cast<int>(impl.atom_source.size())});
      return append_atom(*literal, "", note, regex);
    }
    // Literal sets with bounded gaps are evaluated from the literals' positions.
    if (auto& chains = prepared->chains) {
      CompiledRules::Impl::ChainGroup group;
      for (const detail::Chain& chain : *chains) {
        auto& segments = group.segment_atoms.emplace_back();
        auto& ids = group.segment_ids.emplace_back();
        for (const auto& segment : chain.segments) {
          auto& seg_atoms = segments.emplace_back();
          const auto seg_id = static_cast<uint32_t>(impl.segment_owner.size());
          impl.segment_owner.push_back(-1);  // set by add_chain_group
          ids.push_back(seg_id);
          for (const std::string& lit : segment) {
            const int p = add_atom_literal(RE2::QuoteMeta(lit), lit);
            seg_atoms.push_back(p);
            segments_of_atom[static_cast<std::size_t>(p)].push_back(seg_id);
          }
        }
      }
      group.chains = std::move(*chains);
      const int idx = append_atom("", "", note, regex);
      add_chain_group(idx, std::move(group));
      return idx;
    }
    if (!prepared->error.empty()) {
      error(where, prepared->empty_match ? fmt::format("pattern '{}' {}", shown, prepared->error)
                                         : fmt::format("bad pattern '{}': {}", shown, prepared->error));
      return -1;
    }
    // Its required substrings, as FilteredRE2 finds them, join the literal pass.
    const auto pattern = static_cast<int>(impl.patterns.size());
    if (prepared->unfiltered) {
      impl.unfiltered.push_back(pattern);
    } else {
      for (const std::string& substring : prepared->required) {
        auto [it, added] = filter_index.emplace(substring, static_cast<int>(impl.filter_patterns.size()));
        if (added) {
          add_literal(substring, {true, it->second}, /*positions=*/true);
          impl.filter_patterns.emplace_back();
        }
        impl.filter_patterns[static_cast<std::size_t>(it->second)].push_back(pattern);
      }
    }
    // Its RE2 is built the first time a scan needs it, as after a load from the cache.
    impl.patterns.push_back(std::make_unique<CompiledRules::Impl::Pattern>(regex));
    const int idx = append_atom("", "", note, regex);
    impl.atom_pattern[static_cast<std::size_t>(idx)] = pattern;
    impl.pattern_atom.push_back(idx);
    return idx;
  };

  // Word variants, normalized once: a keyword containing `word` also gets each spelling.
  Variants variants;
  for (const WordVariant& v : rule_set.word_variants) {
    std::string word = norm.Normalize(v.word);
    if (word.empty()) {
      // Replacing "" would never end. (A word written empty is already a load error.)
      if (!v.word.empty()) error(v.where, fmt::format("variant word '{}' is empty after normalization", v.word));
      continue;
    }
    std::vector<std::string> spellings;
    for (const auto& sp : v.spellings) spellings.push_back(norm.Normalize(sp));
    variants.emplace_back(std::move(word), std::move(spellings));
  }
  std::stable_sort(variants.begin(), variants.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  // Add a homophone atom for keyword `normalized`: its key in the homophone view. One
  // atom a keyword, not a key: 包裹 and 包过 share a key, and a homophone is judged
  // against its own keyword (保裹 is one character from 包裹, two from 包过).
  auto add_homophone = [&](const std::string& normalized, const std::string& shown, bool lenient) -> int {
    const std::string key = norm.HomophoneKey(normalized);
    const std::string id = (lenient ? "\x01homophone-lenient:" : "\x01homophone:") + key + '\x01' + normalized;
    if (auto it = atom_index.find(id); it != atom_index.end()) return it->second;
    if (!impl.homophone_literals) {
      impl.homophone_literals = detail::MakeLiteralMatcher(options.engine);
    }
    impl.homophone_literals->Add(key);
    impl.homophone_entries.push_back(static_cast<int>(impl.atom_source.size()));
    const int a = append_atom(key, normalized, "homophone of " + shown, id);
    impl.atom_lenient[static_cast<std::size_t>(a)] = lenient ? 1 : 0;
    return a;
  };
  // Add the homophone twin of decomposed pattern atom `pattern` (see Impl::twin_of).
  // `prepared` is the pattern's PreparePattern, with the homophone keys of its literals.
  auto add_homophone_chain = [&](int pattern, const std::string& shown, bool lenient,
                                 const PreparedPattern& prepared) -> int {
    const auto e = static_cast<std::size_t>(pattern);
    const std::string id =
        (lenient ? "\x01homophone-pattern-lenient:" : "\x01homophone-pattern:") + std::string(impl.atom_source[e]);
    if (auto it = atom_index.find(id); it != atom_index.end()) return it->second;
    if (!impl.homophone_literals) impl.homophone_literals = detail::MakeLiteralMatcher(options.engine);
    CompiledRules::Impl::ChainGroup group;
    group.lenient = lenient;
    const CompiledRules::Impl::ChainGroup& source = impl.chain_groups[static_cast<std::size_t>(impl.atom_chain[e])];
    group.chains = source.chains;
    std::unordered_map<int, std::size_t> slot;  // part atom -> its place in the segment
    for (std::size_t c = 0; c < source.segment_atoms.size(); ++c) {
      const auto& chain_atoms = source.segment_atoms[c];
      auto& segments = group.segment_atoms.emplace_back();
      auto& literals = group.homophones.emplace_back();  // parallel to segments
      auto& ids = group.segment_ids.emplace_back();
      for (std::size_t sg = 0; sg < chain_atoms.size(); ++sg) {
        const auto& seg = chain_atoms[sg];
        // The same decomposition as the one `source` was made from: key k is literal k's.
        const std::vector<std::string>& keys = prepared.twin_keys[c][sg];
        auto& seg_atoms = segments.emplace_back();
        auto& part_literals = literals.emplace_back();
        const auto seg_id = static_cast<uint32_t>(impl.segment_owner.size());
        impl.segment_owner.push_back(-1);  // set by add_chain_group
        ids.push_back(seg_id);
        slot.clear();
        // Add `part` (once) to this segment, standing for `literal`.
        auto add_part = [&](int part, const std::string& literal) {
          auto [at, added] = slot.emplace(part, seg_atoms.size());
          if (added) {
            seg_atoms.push_back(part);
            part_literals.emplace_back();
            segments_of_atom[static_cast<std::size_t>(part)].push_back(seg_id);
          }
          part_literals[at->second].push_back(literal);
        };
        for (std::size_t k = 0; k < seg.size(); ++k) {
          const int lit_atom = seg[k];
          // A copy: append_atom below grows atom_literal.
          const std::string exact(impl.atom_literal[static_cast<std::size_t>(lit_atom)]);
          const std::string& key = keys[k];
          if (key.empty()) {
            // Nothing of it may change (one Han character, or none): the literal
            // itself, found in the text as written, is all the twin needs.
            add_part(lit_atom, exact);
            continue;
          }
          const std::string part_id = "\x01homophone-part:" + key;
          int p;
          if (auto it = atom_index.find(part_id); it != atom_index.end()) {
            p = it->second;
          } else {
            impl.homophone_literals->Add(key);
            impl.homophone_entries.push_back(static_cast<int>(impl.atom_source.size()));
            p = append_atom(key, "", "", part_id);
            impl.atom_exported[static_cast<std::size_t>(p)] = 0;
            impl.atom_in_homophone_view[static_cast<std::size_t>(p)] = 1;
            impl.atom_span_limit[static_cast<std::size_t>(p)] = kMaxSpansPerChainPart;
          }
          add_part(p, exact);
        }
      }
    }
    const int twin = append_atom("", std::string(impl.atom_source[e]), "homophone of " + shown, id);
    impl.twin_of[static_cast<std::size_t>(twin)] = pattern;
    add_chain_group(twin, std::move(group));
    return twin;
  };
  // pinyin_min_chars is set: homophones for every rule (a `pinyin: false` leaf opts out),
  // exceptions included: a misheard warning must still count as a warning, or noise
  // alone would push honest transcripts towards fraud.
  const bool blanket_pinyin = rule_set.pinyin_min_chars > 0;
  // The pure work on each leaf condition (normalizing keywords and patterns, spelling
  // out variants, decomposing patterns, checking the others with RE2) runs ahead on a
  // second thread while this one numbers the atoms in rule order from the results,
  // preparing a leaf itself when the helper has not reached it yet.
  std::vector<const Condition*> leaves;
  auto collect_leaves = [&](auto& self, const Condition& c) -> void {
    if (!c.keywords.empty() || !c.patterns.empty()) leaves.push_back(&c);
    for (const auto& p : c.parts) self(self, p);
  };
  for (const Rule& rule : rule_set.rules) {
    collect_leaves(collect_leaves, rule.condition);
    if (rule.unless) collect_leaves(collect_leaves, *rule.unless);
  }
  std::unordered_map<const Condition*, std::size_t> leaf_index;
  // A pattern written in several rules is prepared once, for its first leaf (an earlier
  // one in the order below, so prepared before any later use).
  std::vector<std::vector<std::pair<std::size_t, std::size_t>>> first_of(leaves.size());  // (leaf, pattern)
  std::unordered_map<std::string, std::pair<std::size_t, std::size_t>> first_pattern;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    leaf_index.emplace(leaves[i], i);
    const Condition& c = *leaves[i];
    for (std::size_t j = 0; j < c.patterns.size(); ++j) {
      const auto [it, added] = first_pattern.emplace((c.no_variants ? "1" : "0") + c.patterns[j], std::pair(i, j));
      first_of[i].push_back(it->second);
    }
  }
  std::vector<PreparedLeaf> prepared(leaves.size());
  enum : int { kTodo, kBusy, kDone };
  std::vector<std::atomic<int>> leaf_state(leaves.size());  // kTodo
  auto prepare = [&](std::size_t i) {  // false: another thread has it
    int todo = kTodo;
    if (!leaf_state[i].compare_exchange_strong(todo, kBusy)) return false;
    prepared[i] = PrepareLeaf(*leaves[i], i, first_of[i], norm, variants);
    leaf_state[i].store(kDone, std::memory_order_release);
    leaf_state[i].notify_all();
    return true;
  };
  // Return once leaf i is prepared, by this thread if no other has it.
  std::size_t further = 0;  // where this thread looks for work while the helper has leaf i
  auto wait_prepared = [&](std::size_t i) {
    if (!prepare(i)) {
      further = std::max(further, i + 1);
      for (int st; (st = leaf_state[i].load(std::memory_order_acquire)) != kDone;) {
        while (further < leaves.size() && leaf_state[further].load(std::memory_order_relaxed) != kTodo) ++further;
        if (further < leaves.size()) {
          prepare(further);
        } else {
          leaf_state[i].wait(st);
        }
      }
    }
  };
  std::jthread ahead;
  if (std::thread::hardware_concurrency() > 1) {
    ahead = std::jthread([&](std::stop_token stop) {
      for (std::size_t i = 0; i < leaves.size() && !stop.stop_requested(); ++i) prepare(i);
    });
  }

  // `lenient`: an exception's homophones (Impl::atom_lenient).
  auto compile_node = [&](auto& self, const Condition& c, CompiledNode* out, bool lenient) -> void {
    out->kind = c.kind;
    out->n = c.n;
    out->within = c.within < 0 ? kUnlimited : static_cast<uint32_t>(c.within);
    const bool is_leaf = !c.keywords.empty() || !c.patterns.empty();  // as collect_leaves has it
    const std::size_t li = is_leaf ? leaf_index.at(&c) : 0;
    if (is_leaf) wait_prepared(li);
    for (std::size_t i = 0; i < c.keywords.size(); ++i) {
      const PreparedKeyword& k = prepared[li].keywords[i];
      if (k.normalized.empty()) {
        error(c.keyword_locations[i], fmt::format("keyword '{}' is empty after normalization", c.keywords[i]));
        continue;
      }
      const int a = add_atom(k.quoted, &k.normalized, c.keyword_locations[i], c.keywords[i], "", nullptr);
      if (a >= 0) out->atoms.push_back(a);
      for (const auto& v : k.variants) {
        const int va = add_atom(v.quoted, &v.expanded, c.keyword_locations[i], c.keywords[i],
                                "variant spelling of " + *v.word, nullptr);
        if (va >= 0) out->atoms.push_back(va);
      }
      if (c.pinyin || (blanket_pinyin && !c.no_pinyin && HanCount(k.normalized) >= rule_set.pinyin_min_chars)) {
        out->atoms.push_back(add_homophone(k.normalized, c.keywords[i], lenient));
      }
    }
    for (std::size_t i = 0; i < c.patterns.size(); ++i) {
      const auto [first_leaf, first_index] = first_of[li][i];
      PreparedPattern& pp = prepared[first_leaf].patterns[first_index];
      const std::string& expanded = pp.expanded;
      const int a = add_atom(expanded, nullptr, c.pattern_locations[i], c.patterns[i], "", &pp);
      if (a >= 0) out->atoms.push_back(a);
      if (a >= 0 && impl.atom_chain[static_cast<std::size_t>(a)] >= 0 && (c.pinyin || (blanket_pinyin && !c.no_pinyin))) {
        out->atoms.push_back(add_homophone_chain(a, c.patterns[i], lenient, pp));
      }
    }
    for (const auto& p : c.parts) {
      out->parts.emplace_back();
      self(self, p, &out->parts.back(), lenient);
    }
  };
  auto collect_atoms = [](auto& self, const CompiledNode& n, std::vector<int>* atoms) -> void {
    atoms->insert(atoms->end(), n.atoms.begin(), n.atoms.end());
    for (const auto& p : n.parts) self(self, p, atoms);
  };

  impl.rules.resize(rule_set.rules.size());
  for (std::size_t r = 0; r < rule_set.rules.size(); ++r) {
    const Rule& rule = rule_set.rules[r];
    CompiledRule& cr = impl.rules[r];
    compile_node(compile_node, rule.condition, &cr.condition, false);
    if (rule.unless) {
      cr.has_unless = true;
      compile_node(compile_node, *rule.unless, &cr.unless, true);
    }
    cr.unless_within = rule.unless_within;
    for (const auto& sp : rule.speakers) {
      auto re = std::make_unique<RE2>(sp, detail::PatternOptions());
      if (!re->ok()) {
        error(rule.where, fmt::format("rule '{}': bad speaker pattern '{}': {}", rule.id, sp, re->error()));
        continue;
      }
      cr.speakers.push_back(std::move(re));
    }
    std::vector<int> atoms;
    collect_atoms(collect_atoms, cr.condition, &atoms);
    cr.has_homophones = std::any_of(atoms.begin(), atoms.end(),
                                    [&](int a) { return !impl.atom_exact[static_cast<std::size_t>(a)].empty(); });
    std::sort(atoms.begin(), atoms.end());
    atoms.erase(std::unique(atoms.begin(), atoms.end()), atoms.end());
    for (int a : atoms) atom_rules[static_cast<std::size_t>(a)].push_back(static_cast<int>(r));
  }
  if (ahead.joinable()) ahead.join();  // every leaf is prepared by now
  impl.atom_rules = detail::Rows<int>(atom_rules);
  impl.segments_of_atom = detail::Rows<uint32_t>(segments_of_atom);
  if (failed) return result;
  if (impl.atom_source.empty()) {
    result.diagnostics.push_back({Diagnostic::Severity::error, {}, "the rule set has no keywords or patterns"});
    return result;
  }
  impl.norm = &norm;
  impl.not_misheard = rule_set.not_misheard;
  // The two literal engines compile side by side.
  std::string homophone_error;
  bool homophones_ok = true;
  std::thread homophone_compile;
  if (impl.homophone_literals) {
    homophone_compile = std::thread([&] {
      try {
        homophones_ok = impl.homophone_literals->Compile(&homophone_error, options.cache_dir);
      } catch (const std::bad_alloc&) {
        homophones_ok = false;
        homophone_error = "out of memory";
      }
    });
  }
  std::string literals_error;
  const bool literals_ok = impl.literal_entries.empty() || impl.literals->Compile(&literals_error, options.cache_dir);
  if (homophone_compile.joinable()) homophone_compile.join();
  if (impl.literal_entries.empty()) impl.literals.reset();
  // Twins whose parts are all exact literals make an engine with nothing in it.
  if (impl.homophone_literals && impl.homophone_literals->literals().empty()) impl.homophone_literals.reset();
  if (!homophones_ok) {
    result.diagnostics.push_back({Diagnostic::Severity::error, {}, "cannot compile the homophone keywords: " + homophone_error});
  }
  if (!literals_ok) {
    result.diagnostics.push_back({Diagnostic::Severity::error, {}, "cannot compile the rule set's keywords: " + literals_error});
  }
  if (!homophones_ok || !literals_ok) return result;
  // What only compiling needed: the source text of keyword atoms (the keyword is
  // atom_literal) and the literals of chain segments (their atoms stand for them).
  detail::StringTable sources;
  for (std::size_t a = 0; a < impl.atom_source.size(); ++a) {
    sources.push_back(impl.atom_pattern[a] < 0 && impl.atom_chain[a] < 0 ? std::string_view() : impl.atom_source[a]);
  }
  impl.atom_source = std::move(sources);
  for (auto& group : impl.chain_groups) {
    for (auto& chain : group.chains) {
      for (auto& segment : chain.segments) std::vector<std::string>().swap(segment);
    }
  }
  if (!cached.empty()) {
    detail::WriteFileAtomically(cached, impl.Save());
    detail::PruneCache(options.cache_dir, "compiled-", 8);
  }
  compiled->rule_set_ = std::move(rule_set);
  result.rules = std::move(compiled);
  return result;
}

}  // namespace fraudscan
